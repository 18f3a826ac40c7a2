// The smart-home pieces of pipeline/: MultiHeadFusion (heads, endpointing, rules, reasons),
// StreamConfig::reset_after, and the timeline adapters (MergedSource, ClipScheduleSource,
// SegmentedEncoder, NormalizedEncoder, TimeShiftSource).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "encoders/audio_features.h"
#include "pipeline/engine.h"
#include "pipeline/multi_head.h"
#include "pipeline/source_adapters.h"
#include "pipeline/stream_config.h"
#include "sensors/audio_file.h"

namespace {

using namespace liquid::pipeline;
using liquid::encoders::FeatureFrame;
using liquid::lfm::Model;

std::shared_ptr<const Model> cfc(int in, int units, int proj, uint64_t seed) {
  nlohmann::json j = {{"model", "CfC"}, {"input_size", in}, {"units", units}, {"backbone_layers", 0}};
  if (proj > 0) j["proj_size"] = proj;
  return std::make_shared<const Model>(liquid::lfm::config_from_json(j, "test"), seed);
}

FeatureFrame frame(int stream, double time, std::vector<float> values) {
  FeatureFrame f;
  f.stream = stream;
  f.time = time;
  f.values = std::move(values);
  return f;
}

struct Rig {
  Engine engine{EngineConfig{.decisions = {.mode = DecisionMode::kPerSample}}};
  std::vector<nlohmann::json> decisions;
  MultiHeadFusion* fusion = nullptr;
  Rig(const MultiHeadConfig& config, double voice_timeout = 0.5) {
    engine.add_model(cfc(2, 4, 2, 1));  // room: 2 classes
    engine.add_model(cfc(3, 6, 3, 2));  // voice: 3 classes
    engine.add_stream({.name = "room", .model = 0, .timeout = 100, .trace = true});
    engine.add_stream({.name = "voice", .model = 1, .timeout = voice_timeout, .trace = true, .reset_after = 1.0});
    auto f = std::make_unique<MultiHeadFusion>(config, engine);
    fusion = f.get();
    engine.add_trace_sink(f->tap());
    engine.set_fusion(std::move(f), [this](const Decision& d) {
      auto j = nlohmann::json::parse(d.explanation);
      j["time"] = d.time;
      j["values"] = d.values;
      decisions.push_back(j);
    });
  }
};

MultiHeadConfig two_heads() {
  MultiHeadConfig c;
  c.heads.push_back({.name = "occupancy", .stream = "room", .classes = {"empty", "occupied"}, .reasons = 2});
  c.heads.push_back({.name = "command", .stream = "voice", .classes = {"a", "b", "c"}, .endpoint = 0.2});
  return c;
}

TEST(MultiHeadFusion, ClassesHeadGivesTheArgmaxItsProbabilityAndTheTopNeuronsOfItsStream) {
  Rig rig(two_heads());
  rig.engine.process(frame(0, 10.0, {0.5f, -1.0f}));
  ASSERT_EQ(rig.decisions.size(), 1u);
  const auto& d = rig.decisions[0];
  EXPECT_EQ(d["trigger"], "room");
  const auto& occ = d["heads"]["occupancy"];
  const auto& values = d["values"];
  const int arg = values[1].get<float>() > values[0].get<float>() ? 1 : 0;
  EXPECT_EQ(occ["value"], arg ? "occupied" : "empty");
  EXPECT_NEAR(occ["p"].get<double>(), values[arg].get<double>(), 1e-3);
  EXPECT_NEAR(values[0].get<double>() + values[1].get<double>(), 1.0, 1e-6);  // softmax of the logits
  // Reasons: neuron contributions (W[c][j] - mean_k W[k][j]) * h_j, largest first, from the model's fc.
  ASSERT_EQ(occ["neurons"].size(), 2u);
  EXPECT_GE(occ["neurons"][0]["c"].get<double>(), occ["neurons"][1]["c"].get<double>());
  const Eigen::VectorXf h = rig.engine.state(0);
  Eigen::MatrixXf w;
  rig.engine.model(0).for_each_parameter([&](const liquid::lfm::ParamRef& p) {
    if (p.name == "fc.weight") w = *p.value;
  });
  const int n = occ["neurons"][0]["n"];
  const float expected = (w(arg, n) - w.col(n).mean()) * h(n);
  EXPECT_NEAR(occ["neurons"][0]["c"].get<double>(), expected, 1e-3 * std::max(1.0f, std::abs(expected)));
  EXPECT_NEAR(occ["neurons"][0]["h"].get<double>(), h(n), 1e-3);
  // The voice stream never spoke: no value, not listening.
  EXPECT_TRUE(d["heads"]["command"]["value"].is_null());
}

TEST(MultiHeadFusion, EndpointCommitsTheLastOutputOnceAfterTheSilence) {
  MultiHeadConfig c = two_heads();
  c.rules.push_back({.name = "lights", .on = {{"command", "b", 0.0}}, .off = {{"command", "a", 0.0}}});
  Rig rig(c);
  // An utterance of 5 frames at 10 ms, then room readings.
  for (int k = 0; k < 5; ++k) rig.engine.process(frame(1, 20.0 + 0.01 * k, {0.3f * k, -0.2f, 0.1f}));
  for (const auto& d : rig.decisions) {
    EXPECT_TRUE(d["heads"]["command"]["value"].is_null());
    EXPECT_TRUE(d["heads"]["command"].contains("listening"));
  }
  const auto last_values = rig.decisions.back()["values"];
  rig.engine.process(frame(0, 20.1, {0.0f, 0.0f}));  // 0.06 s after: still within the endpoint
  EXPECT_TRUE(rig.decisions.back()["heads"]["command"]["value"].is_null());
  const size_t before = rig.decisions.size();
  rig.engine.process(frame(0, 21.0, {0.0f, 0.0f}));  // silent for 0.96 s
  // The commit does not wait for this reading: the engine woke the fusion when the 0.2 s of silence
  // ran out (20.04 + 0.2 s), a decision of its own (no stream triggered it), then the reading's.
  ASSERT_EQ(rig.decisions.size(), before + 2);
  const auto& woken = rig.decisions[before];
  EXPECT_NEAR(woken["time"].get<double>(), 20.24, 1e-9);
  EXPECT_TRUE(woken["trigger"].is_null());
  const auto& commit = woken["heads"]["command"];
  ASSERT_TRUE(commit.value("heard", false));
  int best = 0;
  for (int k = 1; k < 3; ++k)
    if (last_values[2 + k].get<float>() > last_values[2 + best].get<float>()) best = k;
  EXPECT_EQ(commit["best"], std::string(1, static_cast<char>('a' + best)));
  EXPECT_DOUBLE_EQ(commit["at"].get<double>(), std::round(20.04 * 1000) / 1000);
  EXPECT_NEAR(commit["p"].get<double>(), last_values[2 + best].get<double>(), 1e-3);
  // The rule follows the command; the reading's decision and the next commit nothing.
  EXPECT_EQ(woken["rules"]["lights"]["fired"], best != 2);
  EXPECT_TRUE(rig.decisions.back()["heads"]["command"]["value"].is_null());
  EXPECT_EQ(rig.decisions.back()["rules"]["lights"]["fired"], false);
  rig.engine.process(frame(0, 22.0, {0.0f, 0.0f}));
  EXPECT_TRUE(rig.decisions.back()["heads"]["command"]["value"].is_null());
  EXPECT_EQ(rig.decisions.back()["rules"]["lights"]["fired"], false);
}

TEST(MultiHeadFusion, HeldTriggerFiresOnceWhenTheValueHasLastedItsTime) {
  MultiHeadConfig c = two_heads();
  Rig probe(c);
  probe.engine.process(frame(0, 0.0, {0.2f, 0.4f}));
  const std::string value = probe.decisions[0]["heads"]["occupancy"]["value"];
  c.rules.push_back({.name = "lights", .off = {{"occupancy", value, 120.0}}, .initial = true});
  Rig rig(c);
  // The same input every minute: the value holds (checked below).
  for (int k = 0; k <= 5; ++k) rig.engine.process(frame(0, 60.0 * k, {0.2f, 0.4f}));
  int fired = 0;
  double since = 0.0;
  for (const auto& d : rig.decisions)
    if (d["rules"]["lights"]["fired"].get<bool>()) ++fired, since = d["time"];
  bool held = true;
  for (const auto& d : rig.decisions) held = held && d["heads"]["occupancy"]["value"] == value;
  ASSERT_TRUE(held) << "the test needs a head value that holds for the whole run";
  EXPECT_EQ(fired, 1);
  EXPECT_DOUBLE_EQ(since, 120.0);
  EXPECT_EQ(rig.decisions.back()["rules"]["lights"]["on"], false);
  EXPECT_EQ(rig.decisions.back()["rules"]["lights"]["by"], "occupancy=" + value + " for 120 s");
}

TEST(MultiHeadFusion, BadConfigurationsAreNamed) {
  Engine e;
  e.add_model(cfc(2, 4, 2, 1));
  e.add_stream({.name = "room", .model = 0, .trace = true});
  e.add_stream({.name = "quiet", .model = 0});
  auto expect_error = [&](MultiHeadConfig c, const std::string& text) {
    try {
      MultiHeadFusion f(std::move(c), e);
      FAIL() << "accepted; expected an error with: " << text;
    } catch (const std::invalid_argument& err) {
      EXPECT_NE(std::string(err.what()).find(text), std::string::npos) << err.what();
    }
  };
  expect_error({.heads = {{.name = "h", .stream = "nowhere"}}}, "fusion head 'h': stream 'nowhere' is not a stream");
  expect_error({.heads = {{.name = "h", .stream = "quiet"}}}, "stream 'quiet' must be traced");
  expect_error({.heads = {{.name = "h", .stream = "room", .classes = {"a", "b", "c"}}}}, "3 classes, but the model of 'room' has 2 outputs");
  expect_error({.heads = {{.name = "h", .stream = "room"}}, .rules = {{.name = "r", .on = {{"h", "7", 0.0}}}}},
               "head 'h' has no class \"7\" (classes: 0, 1)");
  expect_error({.heads = {{.name = "h", .stream = "room", .kind = HeadConfig::Kind::kLevel}},
                .rules = {{.name = "r", .on = {{"h", "high", 0.0}}}}},
               "level head 'h' is \"on\" or \"off\"");
}

TEST(MultiHeadFusion, StateRoundTripsThroughACheckpointVector) {
  MultiHeadConfig c = two_heads();
  c.rules.push_back({.name = "lights", .on = {{"command", "b", 0.0}}, .off = {{"occupancy", "empty", 60.0}}});
  Rig a(c), b(c);
  for (int k = 0; k < 3; ++k) a.engine.process(frame(1, 5.0 + 0.01 * k, {0.1f, 0.2f, 0.3f}));
  a.engine.process(frame(0, 7.0, {0.0f, 1.0f}));
  b.engine.restore_state(a.engine.save_state());
  a.engine.process(frame(0, 200.0, {0.0f, 1.0f}));
  b.engine.process(frame(0, 200.0, {0.0f, 1.0f}));
  EXPECT_EQ(a.decisions.back()["heads"], b.decisions.back()["heads"]);
  EXPECT_EQ(a.decisions.back()["rules"]["lights"]["fired"], b.decisions.back()["rules"]["lights"]["fired"]);
  EXPECT_EQ(a.decisions.back()["values"], b.decisions.back()["values"]);
  EXPECT_EQ(a.decisions.back()["rules"]["lights"]["on"], b.decisions.back()["rules"]["lights"]["on"]);
}

TEST(Engine, ResetAfterALongGapStartsTheCellFromTheZeroState) {
  auto m = cfc(3, 5, 0, 7);
  Engine e;
  e.add_model(m);
  e.add_stream({.name = "s", .first_dt = 0.01, .reset_after = 1.0});
  const std::vector<float> x1 = {0.3f, -0.5f, 0.9f}, x2 = {-0.1f, 0.4f, 0.2f};
  e.process(frame(0, 0.0, x1));
  e.process(frame(0, 0.5, x2));  // a gap of 0.5 s: continues
  auto state = m->initial_state();
  auto ws = m->make_workspace();
  std::vector<float> y(m->output_size());
  m->step(x1.data(), 0.01, state, y.data(), ws);
  m->step(x2.data(), 0.5, state, y.data(), ws);
  EXPECT_TRUE(e.state(0).isApprox(state.h, 1e-6f));
  e.process(frame(0, 100.0, x1));  // a gap of 99.5 s: a new episode, as the first sample
  auto fresh = m->initial_state();
  m->step(x1.data(), 0.01, fresh, y.data(), ws);
  EXPECT_TRUE(e.state(0).isApprox(fresh.h, 1e-6f));
}

// A source of given times, for the merge.
class Times : public liquid::sensors::Source {
 public:
  explicit Times(std::vector<double> t) : t_(std::move(t)) {}
  bool next(liquid::sensors::TimedSample& out) override {
    if (k_ >= t_.size()) return false;
    out.time = t_[k_++];
    out.stream = 9;
    out.payload = liquid::sensors::SeriesRow{{static_cast<float>(out.time)}, {1}};
    return true;
  }
  std::string describe() const override { return "times"; }

 private:
  std::vector<double> t_;
  size_t k_ = 0;
};

TEST(MergedSource, InterleavesSourcesInTimeOrderAndNamesEachSampleBySource) {
  std::vector<std::unique_ptr<liquid::sensors::Source>> parts;
  parts.push_back(std::make_unique<Times>(std::vector<double>{0.0, 60.0, 120.0}));
  parts.push_back(std::make_unique<Times>(std::vector<double>{1.0, 1.01, 130.0}));
  parts.push_back(std::make_unique<TimeShiftSource>(std::make_unique<Times>(std::vector<double>{0.0, 0.1}), 59.95));
  MergedSource merged(std::move(parts));
  std::vector<std::pair<double, int>> got;
  liquid::sensors::TimedSample s;
  while (merged.next(s)) got.emplace_back(s.time, s.stream);
  const std::vector<std::pair<double, int>> want = {{0.0, 0}, {1.0, 1}, {1.01, 1}, {59.95, 2}, {60.0, 0}, {60.05, 2}, {120.0, 0}, {130.0, 1}};
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_NEAR(got[k].first, want[k].first, 1e-9) << k;
    EXPECT_EQ(got[k].second, want[k].second) << k;
  }
}

TEST(ClipSchedule, EachClipIsEncodedAsOnItsOwnAtItsScheduledTime) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "liquid_clip_schedule_test";
  std::filesystem::create_directories(dir);
  const std::filesystem::path wav = std::filesystem::path(LIQUID_TEST_DATA) / "audio" / "0_george_0.wav";
  {
    std::ofstream csv(dir / "clips.csv");
    csv << "time,path,label\n1000.5," << wav.string() << ",0\n5000," << wav.string() << ",0\n";
  }
  const auto clips = read_clip_schedule(dir / "clips.csv");
  ASSERT_EQ(clips.size(), 2u);
  EXPECT_EQ(clips[1].label, "0");
  ClipScheduleSource source(clips, 97, "clips.csv");
  liquid::encoders::AudioFeatureConfig ac;
  ac.sample_rate = source.sample_rate();
  ac.window_seconds = 0.025;
  ac.hop_seconds = 0.01;
  SegmentedEncoder encoder(std::make_unique<liquid::encoders::AudioFeatureEncoder>(ac), 1e-3);
  std::vector<FeatureFrame> frames;
  liquid::sensors::TimedSample s;
  while (source.next(s)) encoder.encode(s, frames);
  encoder.flush(frames);
  // The reference: the file alone, encoded whole.
  const auto alone = liquid::encoders::encode_audio(ac, liquid::sensors::read_audio_file(wav));
  ASSERT_EQ(frames.size(), 2 * alone.size());
  for (size_t k = 0; k < alone.size(); ++k)
    for (int clip = 0; clip < 2; ++clip) {
      const FeatureFrame& f = frames[clip * alone.size() + k];
      EXPECT_NEAR(f.time, alone[k].time + (clip ? 5000.0 : 1000.5), 1e-6);
      for (size_t j = 0; j < f.values.size(); ++j) ASSERT_FLOAT_EQ(f.values[j], alone[k].values[j]) << k << " " << j;
    }
  // A schedule going back is refused with its line.
  {
    std::ofstream csv(dir / "back.csv");
    csv << "time,path\n10," << wav.string() << "\n5," << wav.string() << "\n";
  }
  try {
    read_clip_schedule(dir / "back.csv");
    FAIL() << "accepted a schedule going back";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("back.csv:3: time 5 goes back"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(NormalizedEncoder, ZScoresEveryFrameWithTheGivenStatistics) {
  liquid::encoders::AudioFeatureConfig ac;
  ac.sample_rate = 8000;
  const std::filesystem::path wav = std::filesystem::path(LIQUID_TEST_DATA) / "audio" / "0_george_0.wav";
  const auto raw = liquid::encoders::encode_audio(ac, liquid::sensors::read_audio_file(wav));
  const int w = static_cast<int>(raw[0].values.size());
  std::vector<float> mean(w), sd(w);
  for (int j = 0; j < w; ++j) mean[j] = -30.0f + j, sd[j] = 2.0f + 0.1f * j;
  NormalizedEncoder enc(std::make_unique<liquid::encoders::AudioFeatureEncoder>(ac), mean, sd);
  liquid::sensors::AudioFileSource src(wav);
  std::vector<FeatureFrame> frames;
  liquid::sensors::TimedSample s;
  while (src.next(s)) enc.encode(s, frames);
  enc.flush(frames);
  ASSERT_EQ(frames.size(), raw.size());
  for (size_t k = 0; k < raw.size(); ++k)
    for (int j = 0; j < w; ++j) ASSERT_FLOAT_EQ(frames[k].values[j], (raw[k].values[j] - mean[j]) / sd[j]);
  EXPECT_THROW(NormalizedEncoder(std::make_unique<liquid::encoders::AudioFeatureEncoder>(ac), {1.0f}, {1.0f}), std::invalid_argument);
}

}  // namespace

namespace {

std::string config_error(const std::string& text) {
  try {
    liquid::pipeline::parse_stream_config_text(text, "home.json");
  } catch (const liquid::pipeline::StreamConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(StreamConfig, HeadsClipsOffsetsAndResetsAreReadAndTheirMistakesNamed) {
  const std::string streams = R"("models": {"m": "m.safetensors"},
    "streams": [{"name": "room", "model": "m", "source": {"kind": "csv", "path": "r.csv", "time_offset": -5}},
                {"name": "voice", "model": "m", "reset_after": 1, "timeout": 0.5,
                 "source": {"kind": "clips", "schedule": "c.csv", "block_frames": 80},
                 "encoder": {"normalization": "none"}}],
    "engine": {"time_ordered": true},)";
  const auto setup = liquid::pipeline::parse_stream_config_text(
      "{" + streams + R"("fusion": {"head": "heads", "heads": [{"name": "occ", "stream": "room"},
      {"name": "cmd", "stream": "voice", "threshold": 0.6, "endpoint": 0.25}],
      "rules": [{"name": "lights", "on": [{"head": "cmd", "value": "1"}], "off": [{"head": "occ", "value": "empty", "for": 900}]}]}})",
      "dir/home.json");
  EXPECT_TRUE(setup.time_ordered);
  EXPECT_EQ(setup.head, HeadSource::kHeads);
  EXPECT_DOUBLE_EQ(setup.streams[0].source.time_offset, -5.0);
  EXPECT_EQ(setup.streams[1].source.kind, SourceKind::kClips);
  EXPECT_EQ(setup.streams[1].source.schedule, std::filesystem::path("dir/c.csv"));
  EXPECT_EQ(setup.streams[1].encoder.kind, EncoderKind::kAudio);
  EXPECT_EQ(setup.streams[1].encoder.normalization, EncoderSpec::Normalization::kNone);
  EXPECT_DOUBLE_EQ(setup.streams[1].engine.reset_after, 1.0);
  EXPECT_TRUE(setup.streams[0].engine.trace && setup.streams[1].engine.trace);  // head streams are traced
  ASSERT_EQ(setup.heads.heads.size(), 2u);
  EXPECT_FLOAT_EQ(setup.heads.heads[1].threshold, 0.6f);
  EXPECT_DOUBLE_EQ(setup.heads.heads[1].endpoint, 0.25);
  ASSERT_EQ(setup.heads.rules.size(), 1u);
  EXPECT_DOUBLE_EQ(setup.heads.rules[0].off[0].for_s, 900.0);

  EXPECT_EQ(config_error("{" + streams + R"("fusion": {"head": "heads", "heads": [{"name": "occ", "stream": "attic"}]}})"),
            "home.json: fusion.heads[0].stream: \"attic\" is not the name of a stream");
  EXPECT_EQ(config_error("{" + streams + R"("fusion": {"head": "heads", "heads": [{"name": "occ", "stream": "room"}],
            "rules": [{"name": "r", "on": [{"head": "oc", "value": "1"}]}]}})"),
            "home.json: fusion.rules[0].on[0].head: \"oc\" is not the name of a head");
  EXPECT_EQ(config_error("{" + streams + R"("fusion": {"head": "heads"}})"),
            "home.json: fusion.heads: expected a non-empty array of heads");
  EXPECT_EQ(config_error("{" + streams + R"("fusion": {"head": "stream", "stream": "room", "rules": []}})"),
            "home.json: fusion.rules: only for \"head\": \"heads\"");
  EXPECT_EQ(config_error(R"({"models": {"m": "m"}, "streams": [{"name": "v", "model": "m", "source": {"kind": "clips"}}]})"),
            "home.json: streams[0].source.schedule: missing (expected a string)");
  EXPECT_EQ(config_error(R"({"models": {"m": "m"}, "streams": [{"name": "v", "model": "m", "trace_inputs": true,
            "source": {"kind": "csv", "path": "a.csv"}}]})"),
            "home.json: streams[0].trace_inputs: needs \"trace\": true");
  EXPECT_EQ(config_error(R"({"models": {"m": "m"}, "streams": [{"name": "v", "model": "m",
            "source": {"kind": "mqtt", "topic": "t", "time_offset": 3}}]})"),
            "home.json: streams[0].source.time_offset: not a field of this source kind");
}

}  // namespace
