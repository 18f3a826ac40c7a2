// The byte-level text task: windows, one-hot inputs and next-byte labels on a known byte string,
// the chronological split's boundaries (every byte but a period's first predicted once), a corpus
// folder read in name order, option and file errors, and a short training run on two of Debian's
// licence texts that ends well below the uniform 8 bits per byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <numbers>

#include "lfm/datasets/text.h"
#include "lfm/trainer.h"

namespace liquid::lfm {
namespace {

using ::testing::HasSubstr;
const std::filesystem::path kLicenses = LIQUID_TEST_DATA "/text/licenses";

std::filesystem::path write_temp(const std::string& name, const std::string& bytes) {
  const auto file = std::filesystem::temp_directory_path() / ("liquid_text_test_" + name);
  std::ofstream(file, std::ios::binary) << bytes;
  return file;
}

std::string file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// 100 bytes, all different from their neighbours, half of them above 0x7f.
std::string known_bytes() {
  std::string s;
  for (int k = 0; k < 100; ++k) s.push_back(static_cast<char>((k * 37 + 11) % 256));
  return s;
}

TEST(Text, OneHotInputsNextByteLabelsAndChronologicalSplits) {
  const std::string bytes = known_bytes();
  const auto file = write_temp("known", bytes);
  TextOptions o;
  o.context = 4;
  const DatasetSplits s = load_text(file, o);
  s.check_shapes();
  EXPECT_EQ(s.train.input_size, 256);
  EXPECT_EQ(s.train.num_classes, 256);
  EXPECT_EQ(s.train.class_names[0x41], "0x41");
  EXPECT_EQ(s.train.class_names[255], "0xff");
  EXPECT_TRUE(s.normalization.empty());
  // Bytes cut at 80 and 90. Training: 19 full windows (starts 0 .. 72), then one ending at byte 79
  // (start 75) whose first step byte 72's window already scored.
  ASSERT_EQ(s.train.size(), 20u);
  ASSERT_EQ(s.validation.size(), 3u);  // starts 80, 84, then 85 for label 89 only
  ASSERT_EQ(s.test.size(), 3u);
  const std::pair<const SequenceDataset*, std::vector<size_t>> expect[3] = {
      {&s.train, {0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 75}},
      {&s.validation, {80, 84, 85}},
      {&s.test, {90, 94, 95}}};
  for (const auto& [d, starts] : expect) {
    int counted = 0;
    for (size_t w = 0; w < starts.size(); ++w)
      for (size_t t = 0; t < 4; ++t) {
        const size_t pos = w * 4 + t, byte = static_cast<unsigned char>(bytes[starts[w] + t]);
        const float* row = d->inputs.data() + pos * 256;
        EXPECT_EQ(row[byte], 1.0f) << d->name << " window " << w << " step " << t;
        float sum = 0;
        for (int c = 0; c < 256; ++c) sum += row[c];
        EXPECT_EQ(sum, 1.0f);
        EXPECT_EQ(d->labels[pos], static_cast<unsigned char>(bytes[starts[w] + t + 1]));
        EXPECT_EQ(d->timespans[pos], 1.0f);
        counted += d->mask[pos];
      }
    // Every byte of the period but its first is a label once.
    EXPECT_EQ(counted, d == &s.train ? 79 : 9) << d->name;
  }
  EXPECT_EQ(s.train.mask[19 * 4], 0);  // the end-aligned window's first step: byte 76 was scored
  EXPECT_EQ(s.train.mask[19 * 4 + 1], 1);

  // A stride shorter than the context overlaps windows; each is scored in full.
  o.stride = 2;
  const DatasetSplits overlapping = load_text(file, o);
  ASSERT_EQ(overlapping.train.size(), 39u);  // starts 0, 2, .., 74, then 75 for label 79 only
  EXPECT_EQ(overlapping.train.mask[37 * 4], 1);
  EXPECT_EQ(overlapping.train.mask[38 * 4 + 2], 0);
  EXPECT_EQ(overlapping.train.mask[38 * 4 + 3], 1);
  std::filesystem::remove(file);
}

TEST(Text, AFolderIsItsRegularFilesInNameOrder) {
  EXPECT_EQ(read_text_corpus(kLicenses), file_bytes(kLicenses / "Apache-2.0") + file_bytes(kLicenses / "BSD"));
  const auto dir = std::filesystem::temp_directory_path() / "liquid_text_test_folder";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  std::ofstream(dir / "b.txt") << "second";
  std::ofstream(dir / "a.txt") << "first ";
  std::ofstream(dir / "sub" / "c.txt") << "not read";
  std::filesystem::create_symlink(dir / "a.txt", dir / "z-link");
  EXPECT_EQ(read_text_corpus(dir), "first second");
  std::filesystem::remove_all(dir);
}

TEST(Text, ErrorsNameTheOptionOrTheFile) {
  const auto file = write_temp("errors", known_bytes());
  TextOptions o;
  o.context = 0;
  EXPECT_THAT([&] { load_text(file, o); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("context")));
  o.context = 4;
  o.stride = -1;
  EXPECT_THAT([&] { load_text(file, o); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("stride")));
  o.stride = 0;
  o.context = 12;  // the validation part has 10 bytes: no window of 12 + 1
  EXPECT_THAT([&] { load_text(file, o); },
              ::testing::ThrowsMessage<DataFormatError>(
                  ::testing::AllOf(HasSubstr(file.string()), HasSubstr("validation part (10 bytes)"))));
  const auto empty = write_temp("empty", "");
  EXPECT_THAT([&] { load_text(empty, {}); },
              ::testing::ThrowsMessage<DataFormatError>(::testing::AllOf(HasSubstr(empty.string()), HasSubstr("no byte"))));
  const auto missing = std::filesystem::temp_directory_path() / "liquid_text_test_missing";
  EXPECT_THAT([&] { load_text(missing, {}); }, ::testing::ThrowsMessage<DataFormatError>(HasSubstr(missing.string())));
  std::filesystem::remove(file);
  std::filesystem::remove(empty);

  const nlohmann::json base = {{"task", "text"}, {"data", kLicenses.string()}, {"model", {{"model", "CfC"}, {"units", 8}}}};
  nlohmann::json j = base;
  j["task_options"] = {{"context", "long"}};
  EXPECT_THAT([&] { train_config_from_json(j, "t.json", "/"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("t.json: field 'task_options.context'")));
  j["task_options"] = {{"scored_steps", 5}};
  EXPECT_THAT([&] { train_config_from_json(j, "t.json", "/"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("'task_options.scored_steps': unknown")));
}

TEST(Text, TheSampleConfigurationReadsTheShippedCorpus) {
  const TrainConfig c = load_train_config(LIQUID_TEST_DATA "/../../samples/train/text_hybrid.json");
  EXPECT_EQ(c.task, TrainTask::kText);
  EXPECT_EQ(read_text_corpus(c.data).size(), 237320u);
  EXPECT_EQ(task_shape(TrainTask::kText).classes, 256);
}

TEST(Text, ABackboneLearnsBelowEightBitsPerByte) {
  const nlohmann::json j = {
      {"task", "text"},
      {"data", kLicenses.string()},
      {"task_options", {{"context", 64}}},
      {"model", {{"model", "backbone"}, {"genome", "d16 liquid:16 conv:3 attn:h2,w32 mlp:2"}}},
      {"optimizer", {{"kind", "adamw"}, {"lr", 0.01}}},
      {"epochs", 3},
      {"batch_size", 8},
      {"seed", 3}};
  const TrainConfig config = train_config_from_json(j, "text.json", "/");
  const auto dir = std::filesystem::temp_directory_path() / "liquid_text_test_train";
  std::filesystem::remove_all(dir);
  const TrainResult r = train(config, {.out_dir = dir, .threads = 2});
  ASSERT_EQ(r.history.size(), 3u);
  EXPECT_LT(r.history.back().train_loss, r.history.front().train_loss);
  const double test_bits_per_byte = r.test.loss / std::numbers::ln2;
  RecordProperty("test_bits_per_byte", std::to_string(test_bits_per_byte));
  EXPECT_LT(test_bits_per_byte, 6.0);  // uniform: 8
  EXPECT_EQ(r.test.counted, std::int64_t(read_text_corpus(kLicenses).size() - size_t(12857 * 0.9)) - 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace liquid::lfm
