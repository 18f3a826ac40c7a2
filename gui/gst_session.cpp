// GstSession (gst_session.h): a gst-launch description run in-process, its bus feeding the views.
#include "gui/gst_session.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "plugins/liquid_elements.h"
#include "plugins/liquid_fusion_config.h"
#include "plugins/liquid_fusion_head.h"
#include "plugins/liquid_model_file.h"

namespace liquid::gui {

namespace {

constexpr size_t kTraceRing = 1 << 16;
constexpr auto kPreroll = std::chrono::seconds(3);

std::string factory_name(GstElement* element) {
  GstElementFactory* factory = gst_element_get_factory(element);
  return factory ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory)) : "";
}

std::string string_property(gpointer object, const char* name) {
  gchar* value = nullptr;
  g_object_get(object, name, &value, nullptr);
  std::string text = value ? value : "";
  g_free(value);
  return text;
}

// "liquidcell0: liquidcell: model file 'm.safetensors' does not exist"
std::string error_text(GstMessage* message) {
  GError* error = nullptr;
  gst_message_parse_error(message, &error, nullptr);
  std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " + (error ? error->message : "error");
  g_clear_error(&error);
  return text;
}

// The floats of a (float)< ... > field, into `out` (cleared); false when there is no such field.
bool floats(const GstStructure* s, const char* name, std::vector<float>& out) {
  out.clear();
  const GValue* array = gst_structure_get_value(s, name);
  if (!array || !GST_VALUE_HOLDS_ARRAY(array)) return false;
  for (guint k = 0; k < gst_value_array_get_size(array); ++k) {
    const GValue* v = gst_value_array_get_value(array, k);
    out.push_back(G_VALUE_HOLDS_FLOAT(v) ? g_value_get_float(v) : G_VALUE_HOLDS_DOUBLE(v) ? float(g_value_get_double(v)) : 0.0f);
  }
  return true;
}

// The model file a stream table row runs, loaded again here for what the views show (neuron names,
// wiring, class names); a file that does not load is left to the element to report on the bus.
std::optional<LiquidModelFile> try_load(const std::string& path) {
  if (path.empty()) return std::nullopt;
  try {
    return liquid_load_model_file(path);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The one pad of `element` in `direction`, or null when it has none or several (a tee, a muxer).
GstPad* only_pad(GstElement* element, GstPadDirection direction) {
  GstPad* found = nullptr;
  int count = 0;
  GstIterator* it = direction == GST_PAD_SINK ? gst_element_iterate_sink_pads(element) : gst_element_iterate_src_pads(element);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    found = GST_PAD(g_value_get_object(&item));  // the element holds it
    ++count;
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return count == 1 ? found : nullptr;
}

// The element at the other end of `pad`'s link, or null.
GstElement* linked_element(GstPad* pad) {
  GstPad* peer = gst_pad_get_peer(pad);
  if (!peer) return nullptr;
  GstElement* element = gst_pad_get_parent_element(peer);
  gst_object_unref(peer);
  if (element) gst_object_unref(element);  // the pipeline holds it
  return element;
}

// Where a row's video can be watched. Downstream of a liquidcell (through single-pad elements such
// as queue): a liquidoverlay it feeds decisions to, whose output has the decision drawn on the
// frames; else upstream of the row's sink pad: the frames entering the liquidvideofeatures that
// makes its features. Null when the row is not fed by video.
GstPad* video_pad(GstElement* cell, GstPad* sink) {
  constexpr int kHops = 8;
  if (cell) {
    GstPad* pad = gst_element_get_static_pad(cell, "src");
    if (pad) gst_object_unref(pad);  // the element holds it
    for (int hop = 0; pad && hop < kHops; ++hop) {
      GstElement* next = linked_element(pad);
      if (!next) break;
      if (factory_name(next) == "liquidoverlay") {
        GstPad* out = gst_element_get_static_pad(next, "src");
        if (out) gst_object_unref(out);
        return out;
      }
      pad = only_pad(next, GST_PAD_SRC);
    }
  }
  GstPad* pad = sink;
  for (int hop = 0; pad && hop < kHops; ++hop) {
    GstElement* previous = linked_element(pad);
    if (!previous) break;
    if (factory_name(previous) == "liquidvideofeatures") return only_pad(previous, GST_PAD_SINK);
    pad = only_pad(previous, GST_PAD_SINK);
  }
  return nullptr;
}

// A copy of a raw video frame as 8-bit BGR (the formats liquidvideofeatures and liquidoverlay take);
// false for another format.
bool to_bgr(GstPad* pad, GstBuffer* buffer, cv::Mat& out) {
  GstCaps* caps = gst_pad_get_current_caps(pad);
  GstVideoInfo info;
  const bool parsed = caps && gst_video_info_from_caps(&info, caps);
  if (caps) gst_caps_unref(caps);
  if (!parsed) return false;
  int type = CV_8UC3, code = -1;
  switch (GST_VIDEO_INFO_FORMAT(&info)) {
    case GST_VIDEO_FORMAT_BGR: break;
    case GST_VIDEO_FORMAT_RGB: code = cv::COLOR_RGB2BGR; break;
    case GST_VIDEO_FORMAT_BGRx: case GST_VIDEO_FORMAT_BGRA: type = CV_8UC4, code = cv::COLOR_BGRA2BGR; break;
    case GST_VIDEO_FORMAT_RGBx: case GST_VIDEO_FORMAT_RGBA: type = CV_8UC4, code = cv::COLOR_RGBA2BGR; break;
    case GST_VIDEO_FORMAT_GRAY8: type = CV_8UC1, code = cv::COLOR_GRAY2BGR; break;
    default: return false;
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) return false;
  const cv::Mat view(GST_VIDEO_FRAME_HEIGHT(&frame), GST_VIDEO_FRAME_WIDTH(&frame), type,
                     GST_VIDEO_FRAME_PLANE_DATA(&frame, 0), size_t(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0)));
  if (code < 0) view.copyTo(out);
  else cv::cvtColor(view, out, code);
  gst_video_frame_unmap(&frame);
  return true;
}

// h0, h1, ...: a cell's neurons (append rather than "h" + to_string: GCC 12 warns falsely, bug 105329).
std::vector<std::string> neuron_names(int n) {
  std::vector<std::string> names;
  for (int k = 0; k < n; ++k) names.push_back(std::string("h").append(std::to_string(k)));
  return names;
}

class GstSession : public Session {
 public:
  ~GstSession() override;
  void build(const std::string& description, const std::string& title);

  void start() override { set_state(GST_STATE_PLAYING); }
  void pause() override { set_state(GST_STATE_PAUSED); }
  void step() override {}
  void set_speed(double) override {}
  bool paced() const override { return false; }
  void poll_events() override;
  void set_recorder(std::shared_ptr<pipeline::TraceSink> sink) override;

 private:
  // One row of the streams table: a liquidcell (pad empty) or one sink pad of a liquidfusion.
  using Videos = std::vector<std::pair<int, GstPad*>>;  // rows fed by video, and where to watch it
  void add_rows(const std::vector<GstElement*>& cells, const std::vector<GstElement*>& fusions);
  void add_fusion_rows(GstElement* fusion, const std::vector<GstPad*>& pads, Videos& videos);
  void add_config_rows(GstElement* fusion, const std::string& path, const std::vector<GstPad*>& pads, Videos& videos);
  int add_row(StreamInfo info);
  void set_state(GstState state);
  static GstBusSyncReply on_message(GstBus* bus, GstMessage* message, gpointer self);
  void on_decision(GstMessage* message);
  // A pad probe on a row's video (video_pad): its latest frame for the preview, converted at most
  // every 40 ms (on the streaming thread; Session::offer_frame never waits for the GUI).
  struct VideoTap {
    GstSession* session = nullptr;
    int row = 0;
    std::chrono::steady_clock::time_point last{};
    cv::Mat bgr;
  };
  void tap_video(int row, GstPad* pad);
  static GstPadProbeReturn on_video(GstPad* pad, GstPadProbeInfo* info, gpointer tap);

  GstElement* pipeline_ = nullptr;
  GstBus* bus_ = nullptr;
  std::map<std::pair<GstElement*, std::string>, int> row_of_;  // (element, sink pad or "") -> row
  GstElement* plotted_ = nullptr;  // whose decisions the decision view plots
  // The rings have one writer: the pipeline's streaming threads take turns here (never the GUI).
  std::mutex writer_;
  std::vector<float> values_, states_;
  std::shared_ptr<pipeline::TraceSink> recorder_;  // under writer_
  std::map<GstElement*, std::string> last_class_;
  std::vector<std::unique_ptr<VideoTap>> taps_;  // outlive the pipeline's streaming threads
};

GstSession::~GstSession() {
  if (pipeline_) gst_element_set_state(pipeline_, GST_STATE_NULL);  // joins the streaming threads
  if (bus_) {
    gst_bus_set_sync_handler(bus_, nullptr, nullptr, nullptr);
    gst_object_unref(bus_);
  }
  if (pipeline_) gst_object_unref(pipeline_);
}

void GstSession::build(const std::string& description, const std::string& title) {
  static std::once_flag registered;
  std::call_once(registered, [] {
    if (!gst_is_initialized()) gst_init(nullptr, nullptr);
    liquid_gst_register_elements(nullptr);
  });
  title_ = title.size() > 80 ? title.substr(0, 77) + "..." : title;
  GError* error = nullptr;
  GstElement* parsed = gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (error) {
    const std::string text = error->message;
    g_clear_error(&error);
    if (parsed) gst_object_unref(parsed);
    throw std::runtime_error("the pipeline description: " + text);
  }
  if (GST_IS_PIPELINE(parsed)) {
    pipeline_ = parsed;
  } else {  // a single element
    pipeline_ = gst_pipeline_new(nullptr);
    gst_bin_add(GST_BIN(pipeline_), parsed);
  }

  // The liquid elements, in the description's order (a bin lists its children newest first).
  std::vector<GstElement*> cells, fusions;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(pipeline_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* element = GST_ELEMENT(g_value_get_object(&item));
    const std::string kind = factory_name(element);
    if (kind == "liquidcell") cells.insert(cells.begin(), element);
    if (kind == "liquidfusion") fusions.insert(fusions.begin(), element);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  if (cells.empty() && fusions.empty())
    throw std::runtime_error("the pipeline has no liquidcell or liquidfusion: the dashboard shows their decisions");
  plotted_ = fusions.empty() ? cells.back() : fusions.front();
  add_rows(cells, fusions);

  bus_ = gst_element_get_bus(pipeline_);
  gst_bus_set_sync_handler(bus_, &GstSession::on_message, this, nullptr);
  // Preroll: what fails at once fails the open, with the first error GStreamer posted.
  GstStateChangeReturn ret = gst_element_set_state(pipeline_, GST_STATE_PAUSED);
  const auto deadline = std::chrono::steady_clock::now() + kPreroll;
  while (ret == GST_STATE_CHANGE_ASYNC && std::chrono::steady_clock::now() < deadline) {
    ret = gst_element_get_state(pipeline_, nullptr, nullptr, 50 * GST_MSECOND);
    if (GstMessage* m = gst_bus_pop_filtered(bus_, GST_MESSAGE_ERROR)) {
      const std::string text = error_text(m);
      gst_message_unref(m);
      throw std::runtime_error(text);
    }
  }
  if (ret == GST_STATE_CHANGE_FAILURE) {  // a streaming thread may post its error just after
    GstMessage* m = gst_bus_timed_pop_filtered(bus_, GST_SECOND, GST_MESSAGE_ERROR);
    const std::string text = m ? error_text(m) : "the pipeline could not be paused";
    if (m) gst_message_unref(m);
    throw std::runtime_error(text);
  }
}

void GstSession::add_rows(const std::vector<GstElement*>& cells, const std::vector<GstElement*>& fusions) {
  Videos videos;
  for (GstElement* cell : cells) {
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(cell), "post-states")) g_object_set(cell, "post-states", TRUE, nullptr);
    const std::string model = string_property(cell, "model");
    StreamInfo info;
    info.name = GST_ELEMENT_NAME(cell);
    info.model = model;
    info.source = "liquidcell " + std::filesystem::path(model).filename().string();
    if (const auto file = try_load(model)) {
      info.values = neuron_names(file->model->state_size());
      describe_model(*file->model, info);
      if (cell == plotted_) {
        decision_names_ = file->classes;
        classes_ = !file->classes.empty();
        for (int k = static_cast<int>(decision_names_.size()); k < file->decision_width(); ++k)
          decision_names_.push_back("y" + std::to_string(k));
      }
    }
    GstPad* video = nullptr;
    if (GstPad* sink = gst_element_get_static_pad(cell, "sink")) {
      video = video_pad(cell, sink);
      gst_object_unref(sink);
    }
    info.video = video != nullptr;
    const int index = add_row(std::move(info));
    row_of_[{cell, ""}] = index;
    if (video) videos.emplace_back(index, video);
  }
  for (GstElement* fusion : fusions) {
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(fusion), "post-states"))
      g_object_set(fusion, "post-states", TRUE, nullptr);
    std::vector<GstPad*> pads;
    GstIterator* it = gst_element_iterate_sink_pads(fusion);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
      pads.push_back(GST_PAD(g_value_get_object(&item)));  // the element holds them
      g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    std::sort(pads.begin(), pads.end(), [](GstPad* a, GstPad* b) {  // sink_0, sink_1, ... sink_10
      return std::make_pair(strlen(GST_PAD_NAME(a)), std::string(GST_PAD_NAME(a))) <
             std::make_pair(strlen(GST_PAD_NAME(b)), std::string(GST_PAD_NAME(b)));
    });
    const std::string config = g_object_class_find_property(G_OBJECT_GET_CLASS(fusion), "config")
                                   ? string_property(fusion, "config") : "";
    if (config.empty()) add_fusion_rows(fusion, pads, videos);
    else add_config_rows(fusion, config, pads, videos);
  }
  const size_t rows = std::max<size_t>(info_.size(), 1);
  live_ = std::make_unique<StreamLive[]>(rows);
  keep_frames();
  for (const auto& [row, pad] : videos) tap_video(row, pad);
  own_ring_ = std::make_unique<pipeline::TraceRing>(kTraceRing, std::max(1, layout_.width));
  trace_view_ = own_ring_.get();
  decisions_ = std::make_unique<pipeline::TraceRing>(4096, std::max(1, static_cast<int>(decision_names_.size())));
}

// A row of the streams table; its neurons (info.values, h0 ..) are what the messages' states fill.
int GstSession::add_row(StreamInfo info) {
  const int index = static_cast<int>(info_.size());
  layout_.streams.push_back({index, info.name, info.values});
  layout_.width = std::max(layout_.width, static_cast<int>(info.values.size()));
  info_.push_back(std::move(info));
  return index;
}

// A row per sink pad, each with its pad's model (or the element's); the decision names those of
// the fusion head file, else the first model's classes (liquid_fusion_head.h).
void GstSession::add_fusion_rows(GstElement* fusion, const std::vector<GstPad*>& pads, Videos& videos) {
  const std::string model = string_property(fusion, "model");
  guint64 timeout = GST_CLOCK_TIME_NONE;
  g_object_get(fusion, "timeout", &timeout, nullptr);
  std::vector<LiquidModelFile> files;
  for (GstPad* pad : pads) {
    std::string pad_model = string_property(pad, "model");
    if (pad_model.empty()) pad_model = model;
    StreamInfo info;
    if (auto file = try_load(pad_model)) {
      info.values = neuron_names(file->model->state_size());
      describe_model(*file->model, info);
      files.push_back(std::move(*file));
    }
    info.name = std::string(GST_ELEMENT_NAME(fusion)) + ":" + GST_PAD_NAME(pad);
    info.model = pad_model;
    info.source = "liquidfusion " + std::filesystem::path(pad_model).filename().string();
    info.timeout = timeout == GST_CLOCK_TIME_NONE ? 0.0 : double(timeout) / GST_SECOND;
    GstPad* video = video_pad(nullptr, pad);
    info.video = video != nullptr;
    const int index = add_row(std::move(info));
    row_of_[{fusion, GST_PAD_NAME(pad)}] = index;
    if (video) videos.emplace_back(index, video);
  }
  if (fusion != plotted_ || files.size() != pads.size() || files.empty()) return;
  try {
    const std::string head = string_property(fusion, "fusion-location");
    int inputs = 0;
    for (const auto& f : files) inputs += f.model->output_size();
    if (!head.empty()) {
      const auto h = liquid_load_fusion_head(head, inputs);
      decision_names_ = h->names();
      classes_ = h->kind() == pipeline::HeadKind::kClasses;
    } else {
      decision_names_ = files.front().classes;
      classes_ = !decision_names_.empty();
    }
  } catch (const std::exception&) {
    // left to liquidfusion to report on the bus
  }
}

// A liquidfusion running a stream configuration (config=FILE, liquid_fusion_config.h): a row per
// configured stream, fed by every pad that names it (the smart-home voice: a pad per clip); the
// decision names are its fusion's (named heads' probabilities, levels and rules), and its messages'
// explanations are the heads, rules and reasons the decision view shows, as for `liquid stream`.
void GstSession::add_config_rows(GstElement* fusion, const std::string& path, const std::vector<GstPad*>& pads,
                                 Videos& videos) {
  std::unique_ptr<LiquidFusionConfig> config;
  try {
    config = LiquidFusionConfig::read(path);
  } catch (const std::exception&) {
    return;  // left to liquidfusion to report on the bus
  }
  std::vector<int> row_of_stream;
  for (const pipeline::StreamSpec& spec : config->setup.streams) {
    const lfm::Model& model = *config->models[size_t(spec.engine.model)].model;
    StreamInfo info;
    info.values = neuron_names(model.state_size());
    describe_model(model, info);
    info.name = spec.engine.name;
    info.model = spec.model;
    info.source = "liquidfusion " + std::filesystem::path(path).filename().string() + " -> " + spec.model;
    info.timeout = std::isfinite(spec.engine.timeout) ? spec.engine.timeout : 0.0;
    row_of_stream.push_back(add_row(std::move(info)));  // the pads map to it below
  }
  for (GstPad* pad : pads) {
    const std::string name = GST_PAD_NAME(pad);
    unsigned number = 0;
    if (sscanf(name.c_str(), "sink_%u", &number) != 1) continue;
    int stream = -1;
    try {
      stream = config->stream_for_pad(name, number, string_property(pad, "stream"));
    } catch (const std::exception&) {
      continue;  // left to liquidfusion to report
    }
    const int index = row_of_stream[size_t(stream)];
    row_of_[{fusion, name}] = index;
    if (info_[size_t(index)].video) continue;
    if (GstPad* video = video_pad(nullptr, pad)) {
      info_[size_t(index)].video = true;
      videos.emplace_back(index, video);
    }
  }
  if (fusion != plotted_) return;
  try {
    const auto engine = config->make_engine([](const pipeline::Decision&) {});
    decision_names_ = engine->fusion()->names();
    classes_ = engine->fusion()->kind() == pipeline::HeadKind::kClasses;
  } catch (const std::exception&) {
  }
}

void GstSession::tap_video(int row, GstPad* pad) {
  taps_.push_back(std::make_unique<VideoTap>());
  taps_.back()->session = this;
  taps_.back()->row = row;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &GstSession::on_video, taps_.back().get(), nullptr);
}

GstPadProbeReturn GstSession::on_video(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto& tap = *static_cast<VideoTap*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const auto now = std::chrono::steady_clock::now();
  if (!buffer || now - tap.last < std::chrono::milliseconds(40)) return GST_PAD_PROBE_OK;
  tap.last = now;
  if (to_bgr(pad, buffer, tap.bgr)) {
    const GstClockTime pts = GST_BUFFER_PTS(buffer);
    tap.session->offer_frame(tap.row, tap.bgr, GST_CLOCK_TIME_IS_VALID(pts) ? double(pts) / GST_SECOND : 0.0);
  }
  return GST_PAD_PROBE_OK;
}

void GstSession::set_state(GstState state) {
  {
    std::lock_guard lock(mutex_);
    if (finished_.load()) return;
    running_ = state == GST_STATE_PLAYING;
  }
  gst_element_set_state(pipeline_, state);
}

GstBusSyncReply GstSession::on_message(GstBus*, GstMessage* message, gpointer self) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT) return GST_BUS_PASS;
  const GstStructure* s = gst_message_get_structure(message);
  if (!s || !gst_structure_has_name(s, "liquid-decision")) return GST_BUS_PASS;
  static_cast<GstSession*>(self)->on_decision(message);
  return GST_BUS_DROP;
}

void GstSession::on_decision(GstMessage* message) {
  const GstStructure* s = gst_message_get_structure(message);
  auto* element = GST_ELEMENT(GST_MESSAGE_SRC(message));
  const char* pad = gst_structure_get_string(s, "pad");
  // A cell's row, or the row of the fusion pad (its stream's, with a configuration) that decided;
  // none for a pad requested after the open, or a fusion's decision by its clock (no pad).
  const auto found = row_of_.find({element, pad ? pad : ""});
  const int index = found == row_of_.end() ? -1 : found->second;
  if (index < 0 && element != plotted_) return;
  double time = 0.0;
  gst_structure_get_double(s, "time", &time);
  std::lock_guard lock(writer_);
  processed_.fetch_add(1, std::memory_order_relaxed);
  if (index >= 0) {
    StreamLive& l = live_[index];
    l.publish(time, l.samples.load(std::memory_order_relaxed) + 1);
    const int width = static_cast<int>(info_[size_t(index)].values.size());
    if (width > 0 && floats(s, "states", states_)) {
      const auto states = std::span<const float>(states_).first(std::min<size_t>(states_.size(), width));
      own_ring_->write(time, index, states);
      if (recorder_) recorder_->write(time, index, states);
    }
  }
  if (element == plotted_ && floats(s, "values", values_) && !values_.empty()) {
    const int argmax = static_cast<int>(std::max_element(values_.begin(), values_.end()) - values_.begin());
    decisions_->write(time, argmax, std::span<const float>(values_).first(std::min<size_t>(values_.size(), decisions_->width())));
  }
  // A configuration's heads, rules and reasons, as `liquid stream` explains them.
  if (const char* explanation = gst_structure_get_string(s, "explanation")) {
    offer_explanation(time, explanation);
    return;
  }
  // Else an element's class changing is an alert (the decision view's heads: one per element).
  const char* cls = gst_structure_get_string(s, "class");
  std::string& last = last_class_[element];
  if (cls && last != cls) {
    last = cls;
    double confidence = -1.0;
    gst_structure_get_double(s, "confidence", &confidence);
    const std::string name = GST_ELEMENT_NAME(element);
    nlohmann::json head = {{"value", last}, {"stream", name}};
    if (confidence >= 0) head["p"] = confidence;
    offer_explanation(time, nlohmann::json{{"heads", {{name, head}}}}.dump());
  }
}

void GstSession::set_recorder(std::shared_ptr<pipeline::TraceSink> sink) {
  std::shared_ptr<pipeline::TraceSink> old;
  {
    std::lock_guard lock(writer_);
    old = std::move(recorder_);
    recorder_ = std::move(sink);
  }
  if (old) old->flush();  // and closed here, on the GUI thread, once no streaming thread writes to it
}

void GstSession::poll_events() {
  // Everything but errors and the end is dropped here, so the queue never grows.
  while (GstMessage* m = gst_bus_pop_filtered(bus_, GstMessageType(GST_MESSAGE_ERROR | GST_MESSAGE_EOS))) {
    std::lock_guard lock(mutex_);
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR && error_.empty()) error_ = error_text(m);
    running_ = false;
    finished_.store(true, std::memory_order_release);
    gst_message_unref(m);
  }
}

}  // namespace

bool looks_like_pipeline(const std::string& text) { return text.find(" ! ") != std::string::npos; }

std::string read_pipeline_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::string line, description;
  while (std::getline(in, line)) {
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    if (!line.empty() && line.back() == '\\') line.pop_back();  // shell line continuations
    description += line + " ";
  }
  // A copied command line: gst-launch-1.0 and its options (-m, -e, -v ...) are not the description.
  std::istringstream words(description);
  std::string word, rest;
  size_t skip = 0;
  if (words >> word && word.find("gst-launch") != std::string::npos) {
    skip = description.find(word) + word.size();
    while (words >> word && word[0] == '-') skip = description.find(word, skip) + word.size();
  }
  description.erase(0, skip);
  if (description.find_first_not_of(" \t") == std::string::npos) throw std::runtime_error(path.string() + ": holds no pipeline description");
  return description;
}

std::unique_ptr<Session> open_pipeline(const std::string& description, const std::string& title) {
  auto session = std::make_unique<GstSession>();
  session->build(description, title);
  return session;
}

}  // namespace liquid::gui
