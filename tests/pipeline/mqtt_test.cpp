// MqttSource against a real mosquitto broker on 127.0.0.1 (a free port, started and killed here):
// payload formats, irregular readings through the runner to decisions, and a broker restart in
// the middle with nothing lost and nothing counted twice.
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "encoders/series_features.h"
#include "pipeline/mqtt_source.h"
#include "pipeline/runner.h"
#include "pipeline/source_thread.h"

namespace {

using namespace liquid::pipeline;
using liquid::lfm::Model;

// ---- payloads (no broker needed) ----

TEST(MqttPayload, NumbersCsvArraysAndJsonWithOrWithoutTime) {
  std::vector<float> v;
  std::vector<unsigned char> p;
  double t = -1;
  MqttTopic one{"home/t", 1, {}};
  EXPECT_FALSE(parse_mqtt_payload(" 21.5\n", one, "time", 1.0, v, p, t));
  EXPECT_EQ(v[0], 21.5f);
  EXPECT_EQ(t, -1);
  MqttTopic three{"home/x", 3, {}};
  parse_mqtt_payload("1,,3", three, "time", 1.0, v, p, t);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(p, (std::vector<unsigned char>{1, 0, 1}));
  parse_mqtt_payload("[1, null, 2.5]", three, "time", 1.0, v, p, t);
  EXPECT_EQ(v[2], 2.5f);
  EXPECT_TRUE(parse_mqtt_payload(R"({"time": 1700000000.25, "value": 4})", one, "time", 1.0, v, p, t));
  EXPECT_EQ(t, 1700000000.25);
  EXPECT_TRUE(parse_mqtt_payload(R"({"ts": 1500, "values": [1,2,3]})", three, "ts", 0.001, v, p, t));
  EXPECT_DOUBLE_EQ(t, 1.5);
  MqttTopic named{"home/y", 2, {"temp", "hum"}};
  parse_mqtt_payload(R"({"hum": 40, "temp": 21})", named, "time", 1.0, v, p, t);
  EXPECT_EQ(v, (std::vector<float>{21.0f, 40.0f}));

  auto error = [&](std::string_view payload, const MqttTopic& topic) -> std::string {
    try {
      parse_mqtt_payload(payload, topic, "time", 1.0, v, p, t);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(error("1,2", three).find("has 2 values, expected 3"), std::string::npos);
  EXPECT_NE(error("abc", one).find("'abc', expected a finite number"), std::string::npos);
  EXPECT_NE(error(R"({"time": "noon", "value": 1})", one).find("field 'time'"), std::string::npos);
  EXPECT_NE(error(R"({"temp": 1})", named).find("no field 'hum'"), std::string::npos);
  EXPECT_NE(error("{oops", one).find("not valid JSON"), std::string::npos);
  EXPECT_NE(error("", one).find("home/t"), std::string::npos);
}

// ---- a real broker ----

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// Polls an external condition (a broker process, a network round trip) up to `seconds`.
bool wait_for(const std::function<bool()>& done, double seconds = 20.0) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string mosquitto_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"})
    if (std::filesystem::exists(p)) return p;
  return {};
}

// mosquitto on 127.0.0.1:port with persistence in its own folder, so a restart keeps sessions.
class Broker {
 public:
  Broker() : dir_(std::filesystem::temp_directory_path() / ("liquid_mqtt_" + std::to_string(::getpid()))), port_(free_port()) {
    std::filesystem::create_directories(dir_);
    // Started as root, mosquitto drops to its own user: it must still write its log and database.
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    std::ofstream(dir_ / "mosquitto.conf") << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
                                           << "persistence true\npersistence_location " << dir_.string() << "/\n"
                                           << "log_dest file " << (dir_ / "log.txt").string() << "\n";
  }
  ~Broker() {
    stop();
    std::filesystem::remove_all(dir_);
  }
  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const std::string conf = (dir_ / "mosquitto.conf").string();
      ::execl(mosquitto_binary().c_str(), "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return wait_for([&] { return port_open(port_); }, 10.0);
  }
  void stop() {  // SIGTERM: mosquitto saves its persistence file and exits
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  int port() const { return port_; }

 private:
  std::filesystem::path dir_;
  int port_;
  pid_t pid_ = -1;
};

// A libmosquitto publisher with a persistent session: QoS 2 messages published while the broker
// is away wait in its queue and go out on reconnection.
class Publisher {
 public:
  explicit Publisher(int port) {
    mosquitto_lib_init();
    m_ = mosquitto_new("liquid-test-publisher", false, nullptr);
    mosquitto_reconnect_delay_set(m_, 1, 2, false);
    mosquitto_connect_async(m_, "127.0.0.1", port, 5);
    mosquitto_loop_start(m_);
  }
  ~Publisher() {
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, true);
    mosquitto_destroy(m_);
  }
  void publish(const std::string& topic, const std::string& payload, int qos = 2) {
    const int rc = mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, false);
    ASSERT_TRUE(rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN) << mosquitto_strerror(rc);
  }

 private:
  mosquitto* m_ = nullptr;
};

std::string reading(double time, float value) {
  char text[32];  // shortest text that reads back as the same double
  *std::to_chars(text, text + sizeof text - 1, time).ptr = '\0';
  return std::string("{\"time\": ") + text + ", \"value\": " + std::to_string(value) + "}";
}

struct Collected {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<double> times;
  size_t count() {
    std::lock_guard lock(mutex);
    return times.size();
  }
  bool wait(size_t n, double seconds = 20.0) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return times.size() >= n; });
  }
};

// Two topics -> two streams -> the engine on the runner, per-sample decisions collected.
struct Pipeline {
  std::shared_ptr<const Model> model = std::make_shared<const Model>(
      liquid::lfm::config_from_json({{"model", "CfC"}, {"input_size", 1}, {"units", 4}, {"backbone_layers", 0}}, "t"), 4);
  Engine engine{EngineConfig{.decisions = {.mode = DecisionMode::kPerSample}}};
  Collected decisions;
  std::unique_ptr<Runner> runner;
  std::unique_ptr<MqttSource> source;
  liquid::encoders::SeriesFeatures enc0{{"temp"}, {}, {.masks = false, .time_since = false}};
  liquid::encoders::SeriesFeatures enc1{{"lux"}, {}, {.masks = false, .time_since = false}};
  std::unique_ptr<SourceThread> thread;

  explicit Pipeline(int port) {
    engine.add_model(model);
    engine.add_stream({.name = "kitchen/temp", .late = LatePolicy::kDrop});
    engine.add_stream({.name = "hall/lux", .late = LatePolicy::kDrop});
    engine.set_fusion(LinearHead::random(HeadKind::kValues, {"score"}, 8, 1), [this](const Decision& d) {
      {
        std::lock_guard lock(decisions.mutex);
        decisions.times.push_back(d.time);
      }
      decisions.cv.notify_all();
    });
    runner = std::make_unique<Runner>(engine);
    Input& in = runner->add_input({.name = "mqtt"});
    runner->start();
    source = std::make_unique<MqttSource>(MqttOptions{.port = port,
                                                      .client_id = "liquid-test-engine",
                                                      .keepalive = 5,
                                                      .topics = {{"home/kitchen/temp", 1, {}}, {"home/hall/lux", 1, {}}}});
    thread = std::make_unique<SourceThread>(*source, std::vector<SourceThread::Route>{{&enc0, 0}, {&enc1, 1}}, in);
  }
  void finish() {
    source->stop();
    thread->join();
    runner->stop(CloseMode::kDrain);
  }
};

class MqttBroker : public ::testing::Test {
 protected:
  void SetUp() override {
    if (mosquitto_binary().empty()) GTEST_SKIP() << "mosquitto binary not installed (apt-get install mosquitto)";
    broker_ = std::make_unique<Broker>();
    ASSERT_TRUE(broker_->start()) << "mosquitto did not start on port " << broker_->port();
  }
  std::unique_ptr<Broker> broker_;
};

TEST_F(MqttBroker, IrregularReadingsBecomeFramesAndDecisions) {
  Pipeline p(broker_->port());
  ASSERT_TRUE(wait_for([&] { return p.source->connected(); })) << "no connection to the broker";
  // The subscription is sent from on_connect; a message on the topic proves it is in place.
  Publisher pub(broker_->port());
  pub.publish("home/kitchen/temp", reading(1000.0, 20.0f));
  ASSERT_TRUE(p.decisions.wait(1));
  std::vector<double> kitchen{1000.0}, hall;
  double t = 1000.0;
  for (int k = 1; k < 60; ++k) {
    t += 0.05 + 0.37 * (k % 7);  // irregular gaps
    if (k % 3 == 0) {
      hall.push_back(t);
      pub.publish("home/hall/lux", std::to_string(100 + k));  // plain number: stamped on receipt
    } else {
      kitchen.push_back(t);
      pub.publish("home/kitchen/temp", reading(t, 20.0f + 0.1f * k));
    }
  }
  pub.publish("home/kitchen/temp", "not a number");  // counted, not fatal
  ASSERT_TRUE(p.decisions.wait(60)) << p.decisions.count() << " decisions";
  ASSERT_TRUE(wait_for([&] { return p.source->rejected() == 1; }));
  p.finish();
  EXPECT_EQ(p.engine.stats(0).samples, kitchen.size());
  EXPECT_EQ(p.engine.stats(1).samples, hall.size());
  EXPECT_EQ(p.engine.last_time(0), kitchen.back());  // the payload's own time, to the bit
  EXPECT_GT(p.engine.last_time(1), 1.6e9);            // receive time: Unix seconds
  EXPECT_NE(p.source->last_rejection().find("home/kitchen/temp"), std::string::npos);
  EXPECT_EQ(p.decisions.count(), 60u);
}

TEST_F(MqttBroker, BrokerRestartIsReconnectedWithNothingLostOrDoubled) {
  Pipeline p(broker_->port());
  ASSERT_TRUE(wait_for([&] { return p.source->connected(); }));
  Publisher pub(broker_->port());
  pub.publish("home/kitchen/temp", reading(0.0, 0.0f));
  ASSERT_TRUE(p.decisions.wait(1));
  int n = 1;
  for (; n < 30; ++n) pub.publish("home/kitchen/temp", reading(0.1 * n + 0.013 * (n % 5), static_cast<float>(n)));
  ASSERT_TRUE(p.decisions.wait(30));

  broker_->stop();  // the broker goes away ...
  ASSERT_TRUE(wait_for([&] { return !p.source->connected(); })) << "disconnection not noticed";
  for (; n < 60; ++n) pub.publish("home/kitchen/temp", reading(0.1 * n + 0.013 * (n % 5), static_cast<float>(n)));
  ASSERT_TRUE(broker_->start());  // ... and comes back on the same port
  ASSERT_TRUE(wait_for([&] { return p.source->connected(); })) << "no reconnection";
  for (; n < 80; ++n) pub.publish("home/kitchen/temp", reading(0.1 * n + 0.013 * (n % 5), static_cast<float>(n)));
  ASSERT_TRUE(p.decisions.wait(80)) << p.decisions.count() << " of 80 readings arrived";
  p.finish();
  EXPECT_GE(p.source->connects(), 2u);
  // Exactly once and in order: 80 samples, none dropped as late (a repeat would be late or equal).
  EXPECT_EQ(p.engine.stats(0).samples, 80u);
  EXPECT_EQ(p.engine.stats(0).dropped_late, 0u);
  std::vector<double> expected;
  for (int k = 0; k < 80; ++k) expected.push_back(0.1 * k + 0.013 * (k % 5));
  std::lock_guard lock(p.decisions.mutex);
  ASSERT_EQ(p.decisions.times.size(), 80u);
  for (int k = 0; k < 80; ++k) EXPECT_NEAR(p.decisions.times[k], expected[k], 1e-6) << k;
}

}  // namespace
