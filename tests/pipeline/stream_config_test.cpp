// The engine configuration: the shipped sample parses; mistakes name the file and the JSON path.
#include <gtest/gtest.h>

#include "pipeline/stream_config.h"

namespace {

using namespace liquid::pipeline;

std::string error_of(const std::string& text) {
  try {
    parse_stream_config_text(text, "/cfg/home.json");
  } catch (const StreamConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kStream = R"("streams": [{"name": "t", "model": "m", "source": {"kind": "mqtt", "topic": "home/t"}}])";

TEST(StreamConfig, TheShippedSampleParses) {
  const StreamSetup s = parse_stream_config(std::string(LIQUID_TEST_DATA) + "/../../samples/stream/occupancy.json");
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].source.kind, SourceKind::kCsv);
  EXPECT_TRUE(std::filesystem::exists(s.streams[0].source.path)) << s.streams[0].source.path;
  EXPECT_TRUE(std::filesystem::exists(s.models[0].second));
  EXPECT_EQ(s.head, HeadSource::kStream);
  EXPECT_EQ(s.engine.decisions.mode, DecisionMode::kOnChange);
  EXPECT_NEAR(s.streams[0].engine.dt_scale, 1.0 / 60.0, 1e-12);
}

TEST(StreamConfig, MqttStreamsAndDefaults) {
  const StreamSetup s = parse_stream_config_text(
      std::string(R"({"models": {"m": "m.safetensors"}, "mqtt": {"port": 1999, "client_id": "me"}, )") + kStream +
          R"(, "fusion": {"head": "mean", "kind": "values"}})",
      "/cfg/home.json");
  EXPECT_EQ(s.models[0].second, "/cfg/m.safetensors");  // relative to the configuration's folder
  ASSERT_EQ(s.mqtt.topics.size(), 1u);
  EXPECT_EQ(s.mqtt.topics[0].topic, "home/t");
  EXPECT_EQ(s.mqtt.port, 1999);
  EXPECT_EQ(s.mqtt.qos, 2);
  EXPECT_EQ(s.engine.decisions.mode, DecisionMode::kPerSample);
  EXPECT_EQ(s.streams[0].encoder.kind, EncoderKind::kSeries);
}

TEST(StreamConfig, ErrorsNameTheFileAndTheFieldPath) {
  const std::string models = R"({"models": {"m": "m.safetensors"}, )";
  EXPECT_EQ(error_of("{"), error_of("{")) << "";
  EXPECT_NE(error_of("{").find("/cfg/home.json: not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"streams": []})").find("/cfg/home.json: models: missing"), std::string::npos);
  std::string e = error_of(models + R"("streams": [{"name": "t", "model": "m", "source": {"kind": "csv", "path": "a.csv", "speed": "fast"}}]})");
  EXPECT_NE(e.find("/cfg/home.json: streams[0].source.speed: expected a number >= 0, got \"fast\""), std::string::npos) << e;
  e = error_of(models + R"("streams": [{"name": "t", "model": "x", "source": {"kind": "csv", "path": "a.csv"}}]})");
  EXPECT_NE(e.find("streams[0].model: \"x\" is not a key of \"models\""), std::string::npos) << e;
  e = error_of(models + R"("streams": [{"name": "t", "model": "m", "source": {"kind": "csv", "path": "a.csv"}, "encoder": {"mask": true}}]})");
  EXPECT_NE(e.find("streams[0].encoder.mask: unknown field"), std::string::npos) << e;
  e = error_of(models + kStream + R"(, "fusion": {"head": "stream", "stream": "nope"}})");
  EXPECT_NE(e.find("fusion.stream: \"nope\" is not the name of a stream"), std::string::npos) << e;
  e = error_of(models + kStream + R"(, "decisions": {"mode": "rate"}})");
  EXPECT_NE(e.find("decisions.mode: decisions need a \"fusion\" head"), std::string::npos) << e;
  e = error_of(models + R"("streams": [{"name": "t", "model": "m", "source": {"kind": "mqtt", "topic": "home/#"}}]})");
  EXPECT_NE(e.find("streams[0].source.topic"), std::string::npos) << e;
  e = error_of(models + R"("streams": [{"name": "t", "model": "m", "source": {"kind": "wav", "path": "a.wav"}, "encoder": {"kind": "series"}}]})");
  EXPECT_NE(e.find("streams[0].encoder.kind"), std::string::npos) << e;
  e = error_of(models + kStream + R"(, "mqtt": {"qos": 3}})");
  EXPECT_NE(e.find("mqtt.qos"), std::string::npos) << e;
}

}  // namespace
