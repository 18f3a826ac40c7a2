// MQTT readings as a Source through libmosquitto; mqtt_source.h states the payload formats and the
// delivery guarantees.
#include "pipeline/mqtt_source.h"

#include <mosquitto.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace liquid::pipeline {

namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// One JSON value as a reading: a number, or null for missing.
void json_value(const nlohmann::json& v, const std::string& what, const std::string& topic, float& value,
                unsigned char& present) {
  if (v.is_null()) {
    value = kMissing;
    present = 0;
    return;
  }
  if (!v.is_number()) throw std::invalid_argument("topic '" + topic + "': " + what + " is " + v.dump() + ", expected a number");
  value = v.get<float>();
  present = std::isfinite(value) ? 1 : 0;
}

std::once_flag lib_once;

}  // namespace

bool parse_mqtt_payload(std::string_view payload, const MqttTopic& topic, const std::string& time_field,
                        double time_scale, std::vector<float>& values, std::vector<unsigned char>& present,
                        double& time) {
  const std::string& name = topic.topic;
  const std::string_view text = trim(payload);
  values.assign(topic.width, kMissing);
  present.assign(topic.width, 0);
  if (text.empty()) throw std::invalid_argument("topic '" + name + "': empty payload");
  auto count_error = [&](size_t got) {
    return std::invalid_argument("topic '" + name + "': payload has " + std::to_string(got) + " values, expected " +
                                 std::to_string(topic.width) + " (the topic's width)");
  };
  if (text.front() == '{' || text.front() == '[') {
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) throw std::invalid_argument("topic '" + name + "': payload is not valid JSON: " + std::string(text.substr(0, 60)));
    bool has_time = false;
    const nlohmann::json* list = nullptr;
    if (j.is_object()) {
      if (auto t = j.find(time_field); t != j.end()) {
        if (!t->is_number() || !std::isfinite(t->get<double>()))
          throw std::invalid_argument("topic '" + name + "': field '" + time_field + "' is " + t->dump() +
                                      ", expected a number of seconds");
        time = t->get<double>() * time_scale;
        has_time = true;
      }
      if (!topic.fields.empty()) {
        for (int k = 0; k < topic.width; ++k) {
          auto f = j.find(topic.fields[k]);
          if (f == j.end()) throw std::invalid_argument("topic '" + name + "': payload has no field '" + topic.fields[k] + "'");
          json_value(*f, "field '" + topic.fields[k] + "'", name, values[k], present[k]);
        }
        return has_time;
      }
      if (auto v = j.find("value"); v != j.end()) {
        if (topic.width != 1) throw count_error(1);
        json_value(*v, "field 'value'", name, values[0], present[0]);
        return has_time;
      }
      auto v = j.find("values");
      if (v == j.end() || !v->is_array())
        throw std::invalid_argument("topic '" + name + "': JSON payload has no \"value\" number or \"values\" array" +
                                    " (or configure the topic's fields)");
      list = &*v;
    } else {
      list = &j;
    }
    if (list->size() != static_cast<size_t>(topic.width)) throw count_error(list->size());
    for (int k = 0; k < topic.width; ++k)
      json_value((*list)[k], "value " + std::to_string(k + 1), name, values[k], present[k]);
    return has_time;
  }
  // Comma-separated numbers.
  size_t k = 0, pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    const std::string_view field = trim(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (k < static_cast<size_t>(topic.width)) {
      if (!(field.empty() || field == "nan" || field == "NaN" || field == "null")) {
        float v = 0.0f;
        const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
        if (ec != std::errc() || end != field.data() + field.size() || !std::isfinite(v))
          throw std::invalid_argument("topic '" + name + "': value " + std::to_string(k + 1) + " is '" + std::string(field) +
                                      "', expected a finite number");
        values[k] = v;
        present[k] = 1;
      }
    }
    ++k;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  if (k != static_cast<size_t>(topic.width)) throw count_error(k);
  return false;
}

MqttSource::MqttSource(MqttOptions options) : options_(std::move(options)) {
  if (options_.client_id.empty())
    throw sensors::SourceError("mqtt: client_id is required (the broker keeps our session under it)");
  if (options_.topics.empty()) throw sensors::SourceError("mqtt: no topics");
  if (options_.qos < 0 || options_.qos > 2) throw sensors::SourceError("mqtt: qos must be 0, 1 or 2");
  if (options_.queue_capacity == 0) throw sensors::SourceError("mqtt: queue_capacity must be at least 1");
  for (const MqttTopic& t : options_.topics) {
    if (t.topic.empty() || t.topic.find_first_of("+#") != std::string::npos)
      throw sensors::SourceError("mqtt: topic '" + t.topic + "' must be a plain topic name (no wildcards)");
    if (t.width < 1) throw sensors::SourceError("mqtt: topic '" + t.topic + "': width must be at least 1");
    if (!t.fields.empty() && static_cast<int>(t.fields.size()) != t.width)
      throw sensors::SourceError("mqtt: topic '" + t.topic + "': " + std::to_string(t.fields.size()) +
                                 " fields for a width of " + std::to_string(t.width));
  }
  std::call_once(lib_once, [] { mosquitto_lib_init(); });  // process-wide; never cleaned up
  mosq_ = mosquitto_new(options_.client_id.c_str(), options_.clean_session, this);
  if (!mosq_) throw sensors::SourceError("mqtt: mosquitto_new failed (out of memory or bad client_id)");
  mosquitto_connect_with_flags_callback_set(mosq_, &MqttSource::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &MqttSource::on_disconnect);
  mosquitto_message_callback_set(mosq_, &MqttSource::on_message);
  mosquitto_reconnect_delay_set(mosq_, options_.reconnect_delay, options_.reconnect_delay_max, true);
  // Asynchronous: the network thread connects, and retries while the broker is not there.
  int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, options_.keepalive);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO) {
    mosquitto_destroy(mosq_);
    throw sensors::SourceError("mqtt: cannot connect to " + options_.host + ":" + std::to_string(options_.port) + ": " +
                               mosquitto_strerror(rc));
  }
  rc = mosquitto_loop_start(mosq_);
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    throw sensors::SourceError(std::string("mqtt: cannot start the network thread: ") + mosquitto_strerror(rc));
  }
  loop_running_ = true;
}

MqttSource::~MqttSource() {
  stop();
  mosquitto_destroy(mosq_);
}

void MqttSource::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  room_.notify_all();  // a network thread waiting for room gives up waiting
  ready_.notify_all();
  mosquitto_disconnect(mosq_);
  if (loop_running_) mosquitto_loop_stop(mosq_, true);  // force: it may be sleeping before a reconnect
  loop_running_ = false;
}

std::string MqttSource::describe() const {
  return "mqtt " + options_.host + ":" + std::to_string(options_.port) + " as '" + options_.client_id + "', " +
         std::to_string(options_.topics.size()) + " topics, qos " + std::to_string(options_.qos);
}

std::string MqttSource::last_rejection() const {
  std::lock_guard lock(mutex_);
  return last_rejection_;
}

bool MqttSource::next(sensors::TimedSample& out) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [&] { return !queue_.empty() || stopping_; });
  if (queue_.empty()) return false;
  out = std::move(queue_.front());
  queue_.pop_front();
  lock.unlock();
  room_.notify_one();
  return true;
}

void MqttSource::on_connect(mosquitto* m, void* self, int rc, int /*flags*/) {
  auto* s = static_cast<MqttSource*>(self);
  if (rc != 0) return;  // refused (e.g. bad client id): libmosquitto retries
  s->connected_.store(true);
  s->connects_.fetch_add(1);
  // Subscribe on every connection: the broker may have lost our session (a restart without
  // persistence); with the session kept, subscribing again changes nothing.
  for (const MqttTopic& t : s->options_.topics) mosquitto_subscribe(m, nullptr, t.topic.c_str(), s->options_.qos);
}

void MqttSource::on_disconnect(mosquitto*, void* self, int) { static_cast<MqttSource*>(self)->connected_.store(false); }

void MqttSource::on_message(mosquitto*, void* self, const mosquitto_message* msg) {
  static_cast<MqttSource*>(self)->handle(*msg);
}

void MqttSource::reject(std::string why) {
  rejected_.fetch_add(1);
  std::lock_guard lock(mutex_);
  last_rejection_ = std::move(why);
}

void MqttSource::handle(const mosquitto_message& msg) {
  if (msg.retain && !options_.accept_retained) {
    retained_.fetch_add(1);
    return;
  }
  int index = -1;
  for (size_t k = 0; k < options_.topics.size(); ++k)
    if (options_.topics[k].topic == msg.topic) index = static_cast<int>(k);
  if (index < 0) return reject(std::string("message on topic '") + msg.topic + "', which is not configured");
  sensors::TimedSample sample;
  sample.stream = index;
  sensors::SeriesRow row;
  double time = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  try {
    parse_mqtt_payload(std::string_view(static_cast<const char*>(msg.payload), msg.payloadlen), options_.topics[index],
                       options_.time_field, options_.time_scale, row.values, row.present, time);
  } catch (const std::exception& e) {
    return reject(e.what());
  }
  sample.time = time;
  sample.payload = std::move(row);
  std::unique_lock lock(mutex_);
  // Full: wait (the broker holds the rest). Stopping: take it anyway, it is already acknowledged.
  room_.wait(lock, [&] { return queue_.size() < options_.queue_capacity || stopping_; });
  queue_.push_back(std::move(sample));
  received_.fetch_add(1);
  lock.unlock();
  ready_.notify_one();
}

}  // namespace liquid::pipeline
