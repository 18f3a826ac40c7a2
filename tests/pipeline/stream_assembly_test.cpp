// pipeline/stream_assembly.h and read_head_file: a stream configuration built and run without the
// runner's threads, head files and their errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lfm/safetensors.h"
#include "pipeline/stream_assembly.h"

namespace {

using namespace liquid::pipeline;
namespace fs = std::filesystem;

const fs::path kSamples = fs::path(LIQUID_TEST_DATA) / ".." / ".." / "samples";

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("liquid_assembly_" + std::to_string(::getpid()) + "_" + test_name())) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  static std::string test_name() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }
  fs::path path_;
};

void write_head(const fs::path& path, int rows, int cols, const std::map<std::string, std::string>& metadata) {
  liquid::lfm::SafetensorsFile file;
  std::vector<float> w(size_t(rows) * cols), b(rows);
  for (size_t k = 0; k < w.size(); ++k) w[k] = 0.1f * static_cast<float>(k);
  for (int k = 0; k < rows; ++k) b[k] = -1.0f * static_cast<float>(k);
  file.add_tensor("weight", {rows, cols}, w);
  file.add_tensor("bias", {rows}, b);
  for (const auto& [key, value] : metadata) file.set_metadata(key, value);
  file.write_file(path);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(HeadFile, ReadsWeightsRowMajorAndNamesFromTheMetadata) {
  TempDir dir;
  const fs::path path = dir.path() / "head.safetensors";
  write_head(path, 2, 3, {{"liquid.head", R"({"kind": "classes", "names": ["off", "on"]})"}});
  const HeadFile head = read_head_file(path, 3);
  ASSERT_EQ(head.weight.rows(), 2);
  ASSERT_EQ(head.weight.cols(), 3);
  EXPECT_FLOAT_EQ(head.weight(0, 1), 0.1f);  // [rows, cols] row-major on disk
  EXPECT_FLOAT_EQ(head.weight(1, 0), 0.3f);
  EXPECT_FLOAT_EQ(head.bias(1), -1.0f);
  EXPECT_EQ(head.kind, HeadKind::kClasses);
  EXPECT_EQ(head.names, (std::vector<std::string>{"off", "on"}));

  write_head(path, 2, 3, {{"liquid.classes", R"(["empty", "occupied"])"}});
  EXPECT_EQ(read_head_file(path, 3).names, (std::vector<std::string>{"empty", "occupied"}));
  EXPECT_EQ(read_head_file(path, 3).kind, HeadKind::kClasses);
  write_head(path, 2, 3, {});
  EXPECT_FALSE(read_head_file(path, 3).kind.has_value());
  EXPECT_TRUE(read_head_file(path, 3).names.empty());
}

TEST(HeadFile, ErrorsNameTheFileAndWhatIsWrong) {
  TempDir dir;
  const fs::path path = dir.path() / "head.safetensors";
  EXPECT_NE(error_of([&] { read_head_file(path, 3); }).find("does not exist"), std::string::npos);
  write_head(path, 2, 3, {});
  const std::string width = error_of([&] { read_head_file(path, 4); });
  EXPECT_NE(width.find(path.string()), std::string::npos) << width;
  EXPECT_NE(width.find("takes 3 inputs"), std::string::npos) << width;
  EXPECT_NE(width.find("give 4 outputs"), std::string::npos) << width;
  write_head(path, 2, 3, {{"liquid.head", R"({"names": ["a", "b", "c"]})"}});
  EXPECT_NE(error_of([&] { read_head_file(path, 3); }).find("3 names for a head of 2 outputs"), std::string::npos);
  write_head(path, 2, 3, {{"liquid.head", R"({"kind": "probabilities"})"}});
  EXPECT_NE(error_of([&] { read_head_file(path, 3); }).find("expected \"classes\" or \"values\""), std::string::npos);
}

// The shipped occupancy configuration, built as `liquid stream` builds it and pumped by hand
// (source -> encoder -> engine): the decisions are the room model's own classes.
TEST(StreamAssembly, TheShippedOccupancyConfigurationBuildsAndDecides) {
  const StreamSetup setup = parse_stream_config(kSamples / "stream" / "occupancy.json");
  const std::vector<ModelFile> models = load_models(setup);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(model_classes(models[0]).size(), 2u);
  Engine engine(setup.engine);
  add_streams(setup, models, engine);
  ASSERT_EQ(engine.stream_count(), 1);
  std::vector<std::string> names;
  int decisions = 0;
  auto fusion = make_fusion(setup, models, engine);
  ASSERT_NE(fusion, nullptr);
  names = fusion->names();
  engine.set_fusion(std::move(fusion), [&](const Decision& d) {
    ++decisions;
    EXPECT_GE(d.argmax, 0);
  });
  StopFlag stop;
  StreamSources built = build_sources(setup, models, engine, false, stop, nullptr);
  ASSERT_EQ(built.sources.size(), 1u);
  ASSERT_NE(built.sources[0], nullptr);
  EXPECT_EQ(built.mqtt, nullptr);
  EXPECT_EQ(built.encoder(0).width(), engine.model(0).input_size());
  liquid::sensors::TimedSample sample;
  std::vector<liquid::encoders::FeatureFrame> frames;
  int rows = 0;
  while (built.sources[0]->next(sample)) {
    frames.clear();
    built.encoder(0).encode(sample, frames);
    for (auto& f : frames) f.stream = 0;
    engine.process(frames);
    ++rows;
  }
  EXPECT_EQ(rows, 2665);  // datatest.txt's readings
  EXPECT_EQ(engine.samples(), uint64_t(rows));
  EXPECT_GT(decisions, 1);  // on change: occupied and empty both happen in the test file
  EXPECT_EQ(names, model_classes(models[0]));
}

TEST(StreamAssembly, AStreamWhoseModelDoesNotFitItsEncoderIsNamed) {
  TempDir dir;
  std::ofstream(dir.path() / "room.csv") << "time,temp,co2\n0,20,400\n60,21,410\n";
  liquid::lfm::Model(liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", 5}, {"units", 4}}, "test"), 1)
      .save(dir.path() / "m.safetensors");
  const StreamSetup setup = parse_stream_config_text(
      R"({"models": {"m": "m.safetensors"},
          "streams": [{"name": "room", "model": "m", "source": {"kind": "csv", "path": "room.csv"},
                       "encoder": {"kind": "series"}}]})",
      dir.path() / "home.json");
  const auto models = load_models(setup);
  Engine engine(setup.engine);
  add_streams(setup, models, engine);
  StopFlag stop;
  const std::string error = error_of([&] { build_sources(setup, models, engine, false, stop, nullptr); });
  EXPECT_NE(error.find("home.json: streams[0].encoder: gives 2 features, but model 'm' takes 5 inputs"), std::string::npos)
      << error;
}

}  // namespace
