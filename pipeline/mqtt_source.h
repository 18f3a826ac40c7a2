// MqttSource: live readings from an MQTT broker (libmosquitto) as a Source of SeriesRow samples,
// for smart homes and other sensor networks. Each configured topic is one stream: a sample's
// `stream` is the topic's index in MqttOptions::topics (SourceThread routes it to that stream's
// encoder and engine stream).
//
// Payloads (parse_mqtt_payload), UTF-8 text:
//   21.5                    one number
//   21.5,40.1,,3            comma-separated numbers; an empty field, "nan" or "null" is missing
//   [21.5, 40.1]            a JSON array of numbers (null: missing)
//   {"time": 1700000000.25, "value": 21.5}            a JSON object: the values are the topic's
//   {"values": [21.5, 40.1]}  {"t": .., "temp": 21.5}  `fields` in order if it names any, else
//                                                     "value" (a number) or "values" (an array)
// The time is the object's `time_field` (seconds, times `time_scale`: 0.001 for milliseconds) when
// present, otherwise the moment the message arrived (Unix seconds, system clock). The topic's
// `width` (values per message) is checked; a bad payload is not fatal for a live source: it is
// counted (rejected()) and the latest reason kept (last_rejection()), naming topic and problem.
//
// Delivery: the client keeps a persistent session (clean_session false, a fixed client_id) and
// subscribes with QoS 2 by default. While we are disconnected the broker queues what arrives for
// us; when the connection breaks, libmosquitto reconnects on its own (reconnect_delay ..
// reconnect_delay_max seconds) and we subscribe again (harmless if the session survived, needed if
// the broker lost it). QoS 2 hands every message to us exactly once: with QoS 1 a message whose
// acknowledgement was lost in the break is sent again, and MQTT gives the client no way to tell
// (libmosquitto does not expose the DUP flag), so QoS 1 may double count. Retained messages are
// replayed by the broker on every subscription, so they are skipped (accept_retained to take
// them). Limits, stated: a message reaches us only if the broker held it: messages published while
// the broker itself is down are the publisher's to keep (libmosquitto queues QoS > 0 publishes and
// sends them on reconnection), and a broker restarted without persistence forgets what it had
// queued for us. Publishers must use QoS >= 1 (2 for exactly once): the delivery QoS is the lower
// of the publisher's and ours.
//
// Back-pressure: received samples wait in a queue of queue_capacity; when it is full the network
// thread waits, so TCP and then the broker's per-client queue hold the rest.
// Stopping: stop() disconnects, then next() hands out what is still queued and returns false.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sensors/source.h"

struct mosquitto;
struct mosquitto_message;

namespace liquid::pipeline {

struct MqttTopic {
  std::string topic;                // exact topic name (no wildcards: one topic, one stream)
  int width = 1;                    // values per message
  std::vector<std::string> fields;  // JSON object payloads: the value fields, in order
};

struct MqttOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // required: the broker keeps the session under this name
  int qos = 2;
  bool clean_session = false;
  int keepalive = 10;  // seconds; also how fast a silently dead broker is noticed (1.5x)
  int reconnect_delay = 1, reconnect_delay_max = 4;  // seconds, doubling
  std::string time_field = "time";
  double time_scale = 1.0;  // payload time units to seconds
  bool accept_retained = false;
  size_t queue_capacity = 4096;
  std::vector<MqttTopic> topics;
};

// Parses one payload into `values` / `present` (resized to topic.width) and sets `time` when the
// payload carries one (returns true) or leaves it (returns false). Throws std::invalid_argument
// naming the topic and what was wrong.
bool parse_mqtt_payload(std::string_view payload, const MqttTopic& topic, const std::string& time_field,
                        double time_scale, std::vector<float>& values, std::vector<unsigned char>& present,
                        double& time);

class MqttSource : public sensors::Source {
 public:
  // Starts connecting at once (asynchronously: a broker that is not up yet is retried). Throws
  // sensors::SourceError for bad options or when libmosquitto cannot start.
  explicit MqttSource(MqttOptions options);
  ~MqttSource() override;
  MqttSource(const MqttSource&) = delete;
  MqttSource& operator=(const MqttSource&) = delete;

  // Blocks until a sample arrives; false once stop() was called and the queue is empty.
  bool next(sensors::TimedSample& out) override;
  std::string describe() const override;
  bool live() const override { return true; }
  void stop();  // any thread; idempotent

  bool connected() const { return connected_.load(); }
  uint64_t connects() const { return connects_.load(); }        // successful connections, reconnections included
  uint64_t received() const { return received_.load(); }        // accepted samples
  uint64_t rejected() const { return rejected_.load(); }        // bad payloads, unknown topics
  uint64_t retained_skipped() const { return retained_.load(); }
  std::string last_rejection() const;
  const MqttOptions& options() const { return options_; }

 private:
  static void on_connect(mosquitto* m, void* self, int rc, int flags);
  static void on_disconnect(mosquitto* m, void* self, int rc);
  static void on_message(mosquitto* m, void* self, const mosquitto_message* msg);
  void handle(const mosquitto_message& msg);
  void reject(std::string why);

  MqttOptions options_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<sensors::TimedSample> queue_;
  std::string last_rejection_;
  bool stopping_ = false;
  bool loop_running_ = false;
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> connects_{0}, received_{0}, rejected_{0}, retained_{0};
};

}  // namespace liquid::pipeline
