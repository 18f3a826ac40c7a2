// liquidoverlay (see gstliquidoverlay.h). A GstVideoFilter drawing in place with OpenCV on a cv::Mat
// that wraps the mapped frame; a second, always sink pad `decision_sink` takes decision buffers.
//   gst-launch-1.0 -m filesrc location=v.avi ! decodebin ! videoconvert ! tee name=t
//     t. ! queue ! liquidvideofeatures grid-cols=4 grid-rows=6 ! liquidcell model=video.safetensors ! o.decision_sink
//     t. ! queue ! liquidoverlay name=o neurons=0,1,2 ! videoconvert ! autovideosink
#include "plugins/gstliquidoverlay.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "plugins/gstliquiddecisionmeta.h"
#include "plugins/liquid_features.h"

GST_DEBUG_CATEGORY_STATIC(liquid_overlay_debug);
#define GST_CAT_DEFAULT liquid_overlay_debug

namespace {

enum {
  PROP_0,
  PROP_NEURONS,
  PROP_TRACE_SECONDS,
  PROP_X,
  PROP_Y,
  PROP_WIDTH,
  PROP_FONT_SCALE,
  PROP_MAX_ENTRIES,
  PROP_SHOW_TRACES,
  PROP_WAIT,
};

constexpr const char* kDefaultNeurons = "0,1,2,3";
constexpr size_t kMaxPending = 4096;  // decisions waiting for their frame; the oldest go first

struct Decision {
  GstClockTime running_time = 0;
  std::vector<float> values;
  std::vector<GQuark> quarks;  // one per value, or empty
  std::vector<float> neurons;
};

struct TracePoint {
  double t;                   // running time, seconds
  std::vector<float> values;  // the selected neurons (NaN where the decision had none)
};

// Everything the two streaming threads share (`lock`).
struct State {
  std::mutex lock;
  std::condition_variable cond;  // a decision came, or EOS, or a flush (for `wait`)
  std::deque<Decision> pending;  // from decision_sink, in arrival order
  GstSegment decision_segment;
  int decision_width = 0;  // from the decision pad's caps; 0 until they come
  GstClockTime newest = GST_CLOCK_TIME_NONE;  // running time of the latest decision received
  bool decision_eos = false, flushing = false;
  Decision current;
  bool has_current = false;
  std::deque<TracePoint> history;

  State() { gst_segment_init(&decision_segment, GST_FORMAT_TIME); }
  void reset() {
    pending.clear();
    has_current = false;
    history.clear();
    newest = GST_CLOCK_TIME_NONE;
    decision_eos = flushing = false;
  }
};

// The decisions a buffer carries: its meta's (the last frame's decision, at the meta's own time),
// else its floats, `width` per decision, frame k at PTS + k DURATION / K as liquidcell stamps them
// (all of them as one decision at the PTS when the width is unknown or does not divide them).
std::vector<Decision> decisions_of(GstBuffer* buf, int width) {
  std::vector<Decision> out;
  if (const GstLiquidDecisionMeta* meta = gst_buffer_get_liquid_decision_meta(buf)) {
    Decision& d = out.emplace_back();
    d.values.assign(meta->confidence_levels, meta->confidence_levels + meta->length);
    if (meta->class_quarks && std::any_of(meta->class_quarks, meta->class_quarks + meta->length, [](GQuark q) { return q != 0; }))
      d.quarks.assign(meta->class_quarks, meta->class_quarks + meta->length);
    if (meta->n_neurons > 0) d.neurons.assign(meta->neurons, meta->neurons + meta->n_neurons);
    d.running_time = GST_CLOCK_TIME_IS_VALID(meta->time) ? meta->time : GST_BUFFER_PTS(buf);
    return out;
  }
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) return out;
  const auto* f = reinterpret_cast<const float*>(map.data);
  LiquidFrames frames;
  if (width <= 0 || !liquid_frames_of(buf, map.size, width, &frames)) {
    frames = {1, GST_BUFFER_PTS(buf), 0};
    width = int(map.size / sizeof(float));
  }
  for (size_t k = 0; k < frames.count; ++k) {
    Decision& d = out.emplace_back();
    d.values.assign(f + k * size_t(width), f + (k + 1) * size_t(width));
    d.running_time = GST_CLOCK_TIME_IS_VALID(frames.pts) ? frames.time(k) : GST_CLOCK_TIME_NONE;
  }
  gst_buffer_unmap(buf, &map);
  return out;
}

}  // namespace

struct _GstLiquidOverlay {
  GstVideoFilter parent;
  GstPad* decision_pad;
  // Properties (GST_OBJECT_LOCK).
  gchar* neurons_text;
  std::vector<int>* neurons;
  gdouble trace_seconds;
  gint x, y, width;
  gdouble font_scale;
  gint max_entries;
  gboolean show_traces;
  gboolean wait;
  State* state;
};

G_DEFINE_TYPE(GstLiquidOverlay, gst_liquid_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(liquidoverlay, "liquidoverlay", GST_RANK_NONE, GST_TYPE_LIQUID_OVERLAY);

#define OVERLAY_FORMATS "{ BGRx, BGRA, RGBx, RGBA, BGR, RGB }"
static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(OVERLAY_FORMATS)));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(OVERLAY_FORMATS)));
static GstStaticPadTemplate decision_template = GST_STATIC_PAD_TEMPLATE("decision_sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                                         GST_STATIC_CAPS(LIQUID_DECISION_CAPS));

// ---------------------------------------------------------------------------------------------
// decision_sink: store, never block, never forward

static GstFlowReturn gst_liquid_overlay_decision_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  auto* self = GST_LIQUID_OVERLAY(parent);
  State& st = *self->state;
  {
    std::lock_guard<std::mutex> guard(st.lock);
    for (Decision& d : decisions_of(buf, st.decision_width)) {
      // running_time holds the decision's PTS until here: to running time on the decision segment.
      const GstClockTime pts = d.running_time;
      const GstClockTime rt =
          GST_CLOCK_TIME_IS_VALID(pts) ? gst_segment_to_running_time(&st.decision_segment, GST_FORMAT_TIME, pts) : 0;
      d.running_time = GST_CLOCK_TIME_IS_VALID(rt) ? rt : 0;
      if (st.pending.size() >= kMaxPending) st.pending.pop_front();
      st.newest = d.running_time;
      st.pending.push_back(std::move(d));
    }
  }
  st.cond.notify_all();
  gst_buffer_unref(buf);
  return GST_FLOW_OK;
}

static gboolean gst_liquid_overlay_decision_event(GstPad*, GstObject* parent, GstEvent* event) {
  auto* self = GST_LIQUID_OVERLAY(parent);
  State& st = *self->state;
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
    std::lock_guard<std::mutex> guard(st.lock);
    gst_event_copy_segment(event, &st.decision_segment);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps* caps;
    gst_event_parse_caps(event, &caps);
    int width = 0;
    gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
    std::lock_guard<std::mutex> guard(st.lock);
    st.decision_width = width;
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> guard(st.lock);
    st.pending.clear();
    st.newest = GST_CLOCK_TIME_NONE;
    st.decision_eos = false;
    gst_segment_init(&st.decision_segment, GST_FORMAT_TIME);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    {
      std::lock_guard<std::mutex> guard(st.lock);
      st.decision_eos = true;
    }
    st.cond.notify_all();
  }
  gst_event_unref(event);
  return TRUE;
}

static gboolean gst_liquid_overlay_decision_query(GstPad* pad, GstObject*, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GstCaps* filter = nullptr;
    gst_query_parse_caps(query, &filter);
    GstCaps* caps = gst_pad_get_pad_template_caps(pad);
    if (filter) {
      GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref(caps);
      caps = both;
    }
    gst_query_set_caps_result(query, caps);
    gst_caps_unref(caps);
    return TRUE;
  }
  if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps* caps = nullptr;
    gst_query_parse_accept_caps(query, &caps);
    GstCaps* templ = gst_pad_get_pad_template_caps(pad);
    gst_query_set_accept_caps_result(query, gst_caps_is_subset(caps, templ));
    gst_caps_unref(templ);
    return TRUE;
  }
  return FALSE;  // nothing to forward: the decisions end here
}

// ---------------------------------------------------------------------------------------------
// Drawing

struct Style {
  std::vector<int> neurons;
  double trace_seconds, font_scale;
  int x, y, width, max_entries;
  bool show_traces;
};

static void draw(cv::Mat& img, bool rgb, const Style& style, const Decision& d, const std::deque<TracePoint>& history,
                 double now) {
  auto colour = [rgb](int b, int g, int r) { return rgb ? cv::Scalar(r, g, b, 255) : cv::Scalar(b, g, r, 255); };
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  int baseline = 0;
  const cv::Size text = cv::getTextSize("Ag", font, style.font_scale, 1, &baseline);
  const int line_h = text.height + baseline + 4, margin = 4;
  const int entries = std::min<int>(style.max_entries, static_cast<int>(d.values.size()));
  const bool traces = style.show_traces && !d.neurons.empty() && !style.neurons.empty();
  const int trace_h = traces ? 4 * line_h : 0;
  const int panel_h = margin + line_h * (1 + entries) + (traces ? trace_h + margin : 0) + margin;
  const cv::Rect panel = cv::Rect(style.x, style.y, style.width, panel_h) & cv::Rect(0, 0, img.cols, img.rows);
  if (panel.area() == 0) return;
  cv::Mat roi = img(panel);
  cv::multiply(roi, cv::Scalar(0.35, 0.35, 0.35, 1.0), roi);  // darken, keep alpha

  // The entries in decreasing order; the header names the top one.
  std::vector<int> order(d.values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return d.values[size_t(a)] > d.values[size_t(b)]; });
  auto name = [&](int i) {
    return d.quarks.empty() ? std::string("y").append(std::to_string(i)) : std::string(g_quark_to_string(d.quarks[size_t(i)]));
  };
  const bool probabilities = !d.quarks.empty();
  float scale = 1.0f;
  if (!probabilities) {
    scale = 0.0f;
    for (float v : d.values) scale = std::max(scale, std::abs(v));
    if (!(scale > 0.0f)) scale = 1.0f;
  }
  char header[96];
  if (probabilities && !order.empty())
    std::snprintf(header, sizeof header, "%s %.2f", name(order[0]).c_str(), double(d.values[size_t(order[0])]));
  else
    std::snprintf(header, sizeof header, "values (max |y| %.3g)", double(scale));
  const cv::Scalar white = colour(255, 255, 255), bar = colour(80, 200, 80), top = colour(60, 220, 255);
  int y = style.y + margin + text.height + 2;
  cv::putText(img, header, {style.x + margin, y}, font, style.font_scale, white, 1, cv::LINE_AA);
  const int label_w = style.width * 2 / 5, bar_x = style.x + margin + label_w;
  const int bar_w = std::max(1, style.width - label_w - 2 * margin);
  for (int k = 0; k < entries; ++k) {
    const int i = order[size_t(k)];
    y += line_h;
    cv::putText(img, name(i).substr(0, 12), {style.x + margin, y}, font, style.font_scale, white, 1, cv::LINE_AA);
    const float v = probabilities ? std::clamp(d.values[size_t(i)], 0.0f, 1.0f) : std::abs(d.values[size_t(i)]) / scale;
    const int len = std::max(1, static_cast<int>(std::lround(v * float(bar_w))));
    cv::rectangle(img, cv::Rect(bar_x, y - text.height, len, text.height), k == 0 ? top : bar, cv::FILLED);
  }
  if (!traces) return;
  const cv::Rect box(style.x + margin, y + baseline + margin + 2, style.width - 2 * margin, trace_h);
  cv::rectangle(img, box, colour(160, 160, 160), 1);
  static const int palette[][3] = {{255, 128, 0}, {0, 200, 255}, {255, 0, 200}, {0, 255, 0}, {255, 255, 0}, {0, 0, 255}};
  const double t0 = now - style.trace_seconds;
  for (size_t k = 0; k < style.neurons.size(); ++k) {
    float lo = INFINITY, hi = -INFINITY;
    for (const auto& p : history)
      if (std::isfinite(p.values[k])) lo = std::min(lo, p.values[k]), hi = std::max(hi, p.values[k]);
    if (!(hi >= lo)) continue;
    if (hi - lo < 1e-6f) lo -= 0.5f, hi += 0.5f;
    std::vector<cv::Point> points;
    for (const auto& p : history) {
      if (!std::isfinite(p.values[k])) continue;
      const double fx = std::clamp((p.t - t0) / style.trace_seconds, 0.0, 1.0);
      const double fy = (p.values[k] - lo) / (hi - lo);
      points.emplace_back(box.x + int(fx * (box.width - 1)), box.y + box.height - 1 - int(fy * (box.height - 1)));
    }
    const auto* c = palette[k % (sizeof palette / sizeof palette[0])];
    if (points.size() == 1) points.push_back(points[0]);
    cv::polylines(img, points, false, colour(c[0], c[1], c[2]), 1, cv::LINE_AA);
  }
}

// ---------------------------------------------------------------------------------------------
// Video

static void take(State& st, const Decision& d, const std::vector<int>& neurons, double t) {
  st.current = d;
  st.has_current = true;
  TracePoint p{t, std::vector<float>(neurons.size(), NAN)};
  for (size_t k = 0; k < neurons.size(); ++k)
    if (neurons[k] >= 0 && size_t(neurons[k]) < d.neurons.size()) p.values[k] = d.neurons[size_t(neurons[k])];
  st.history.push_back(std::move(p));
}

static GstFlowReturn gst_liquid_overlay_transform_frame_ip(GstVideoFilter* filter, GstVideoFrame* frame) {
  auto* self = GST_LIQUID_OVERLAY(filter);
  Style style;
  GST_OBJECT_LOCK(self);
  style.neurons = *self->neurons;
  style.trace_seconds = self->trace_seconds;
  style.font_scale = self->font_scale;
  style.x = self->x;
  style.y = self->y;
  style.width = self->width;
  style.max_entries = self->max_entries;
  style.show_traces = self->show_traces;
  const bool wait = self->wait && gst_pad_is_linked(self->decision_pad);
  GST_OBJECT_UNLOCK(self);

  const GstClockTime pts = GST_BUFFER_PTS(frame->buffer);
  const GstClockTime rt = GST_CLOCK_TIME_IS_VALID(pts)
                              ? gst_segment_to_running_time(&GST_BASE_TRANSFORM(filter)->segment, GST_FORMAT_TIME, pts)
                              : GST_CLOCK_TIME_NONE;
  const double now = GST_CLOCK_TIME_IS_VALID(rt) ? liquid_time_to_seconds(rt) : 0.0;
  State& st = *self->state;
  std::unique_lock<std::mutex> guard(st.lock);
  const bool has_meta = gst_buffer_get_liquid_decision_meta(frame->buffer) != nullptr;
  if (wait && !has_meta && GST_CLOCK_TIME_IS_VALID(rt)) {
    st.cond.wait(guard, [&] {
      return st.flushing || st.decision_eos || (GST_CLOCK_TIME_IS_VALID(st.newest) && st.newest >= rt);
    });
    if (st.flushing) return GST_FLOW_FLUSHING;
  }
  if (GstBuffer* buf = frame->buffer; gst_buffer_get_liquid_decision_meta(buf)) {
    take(st, decisions_of(buf, 0).front(), style.neurons, now);  // a video frame's own meta
  } else {
    while (!st.pending.empty() && (!GST_CLOCK_TIME_IS_VALID(rt) || st.pending.front().running_time <= rt)) {
      take(st, st.pending.front(), style.neurons, liquid_time_to_seconds(st.pending.front().running_time));
      st.pending.pop_front();
    }
  }
  while (!st.history.empty() && (st.history.front().t < now - style.trace_seconds ||
                                 st.history.front().values.size() != style.neurons.size()))
    st.history.pop_front();
  if (!st.has_current) return GST_FLOW_OK;
  const GstVideoFormat format = GST_VIDEO_FRAME_FORMAT(frame);
  const bool rgb = format == GST_VIDEO_FORMAT_RGBx || format == GST_VIDEO_FORMAT_RGBA || format == GST_VIDEO_FORMAT_RGB;
  const int channels = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, 0);
  cv::Mat img(GST_VIDEO_FRAME_HEIGHT(frame), GST_VIDEO_FRAME_WIDTH(frame), channels == 3 ? CV_8UC3 : CV_8UC4,
              GST_VIDEO_FRAME_PLANE_DATA(frame, 0), size_t(GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0)));
  GST_LOG_OBJECT(self, "drawing a decision of %zu values at %" GST_TIME_FORMAT, st.current.values.size(),
                 GST_TIME_ARGS(rt));
  draw(img, rgb, style, st.current, st.history, now);
  return GST_FLOW_OK;
}

static gboolean gst_liquid_overlay_start(GstBaseTransform* trans) {
  auto* self = GST_LIQUID_OVERLAY(trans);
  std::lock_guard<std::mutex> guard(self->state->lock);
  self->state->reset();
  return TRUE;
}

static gboolean gst_liquid_overlay_sink_event(GstBaseTransform* trans, GstEvent* event) {
  auto* self = GST_LIQUID_OVERLAY(trans);
  State& st = *self->state;
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_START) {
    {
      std::lock_guard<std::mutex> guard(st.lock);
      st.flushing = true;
    }
    st.cond.notify_all();
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard<std::mutex> guard(st.lock);
    st.flushing = false;
    st.has_current = false;
    st.history.clear();
  }
  return GST_BASE_TRANSFORM_CLASS(gst_liquid_overlay_parent_class)->sink_event(trans, event);
}

// A video thread waiting for a decision must let go before the pads are deactivated.
static GstStateChangeReturn gst_liquid_overlay_change_state(GstElement* element, GstStateChange transition) {
  State& st = *GST_LIQUID_OVERLAY(element)->state;
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    {
      std::lock_guard<std::mutex> guard(st.lock);
      st.flushing = true;
    }
    st.cond.notify_all();
  }
  return GST_ELEMENT_CLASS(gst_liquid_overlay_parent_class)->change_state(element, transition);
}

// ---------------------------------------------------------------------------------------------
// Properties, class and instance

static std::vector<int> parse_neurons(const char* text) {
  std::vector<int> out;
  if (text == nullptr) return out;
  gchar** parts = g_strsplit(text, ",", -1);
  for (gchar** p = parts; *p; ++p) {
    gchar* end = nullptr;
    const gint64 v = g_ascii_strtoll(g_strstrip(*p), &end, 10);
    if (end != *p && v >= 0 && v < G_MAXINT) out.push_back(static_cast<int>(v));
  }
  g_strfreev(parts);
  return out;
}

static void gst_liquid_overlay_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_NEURONS:
      g_free(self->neurons_text);
      self->neurons_text = g_value_dup_string(value);
      *self->neurons = parse_neurons(self->neurons_text);
      break;
    case PROP_TRACE_SECONDS: self->trace_seconds = g_value_get_double(value); break;
    case PROP_X: self->x = g_value_get_int(value); break;
    case PROP_Y: self->y = g_value_get_int(value); break;
    case PROP_WIDTH: self->width = g_value_get_int(value); break;
    case PROP_FONT_SCALE: self->font_scale = g_value_get_double(value); break;
    case PROP_MAX_ENTRIES: self->max_entries = g_value_get_int(value); break;
    case PROP_SHOW_TRACES: self->show_traces = g_value_get_boolean(value); break;
    case PROP_WAIT: self->wait = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_overlay_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_NEURONS: g_value_set_string(value, self->neurons_text); break;
    case PROP_TRACE_SECONDS: g_value_set_double(value, self->trace_seconds); break;
    case PROP_X: g_value_set_int(value, self->x); break;
    case PROP_Y: g_value_set_int(value, self->y); break;
    case PROP_WIDTH: g_value_set_int(value, self->width); break;
    case PROP_FONT_SCALE: g_value_set_double(value, self->font_scale); break;
    case PROP_MAX_ENTRIES: g_value_set_int(value, self->max_entries); break;
    case PROP_SHOW_TRACES: g_value_set_boolean(value, self->show_traces); break;
    case PROP_WAIT: g_value_set_boolean(value, self->wait); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_overlay_finalize(GObject* object) {
  auto* self = GST_LIQUID_OVERLAY(object);
  g_free(self->neurons_text);
  delete self->neurons;
  delete self->state;
  G_OBJECT_CLASS(gst_liquid_overlay_parent_class)->finalize(object);
}

static void gst_liquid_overlay_class_init(GstLiquidOverlayClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  auto* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  gobject_class->set_property = gst_liquid_overlay_set_property;
  gobject_class->get_property = gst_liquid_overlay_get_property;
  gobject_class->finalize = gst_liquid_overlay_finalize;

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_NEURONS,
      g_param_spec_string("neurons", "Neurons",
                          "Comma-separated indices of the neurons to plot (into the decision meta's neurons: "
                          "liquidcell's h, liquidfusion's pads' h concatenated); empty: no traces",
                          kDefaultNeurons, flags));
  g_object_class_install_property(
      gobject_class, PROP_TRACE_SECONDS,
      g_param_spec_double("trace-seconds", "Trace seconds", "Length of the neuron traces' time window, in seconds",
                          0.1, 3600.0, 5.0, flags));
  g_object_class_install_property(gobject_class, PROP_X,
                                  g_param_spec_int("x", "X", "Left edge of the panel, in pixels", 0, G_MAXINT, 8, flags));
  g_object_class_install_property(gobject_class, PROP_Y,
                                  g_param_spec_int("y", "Y", "Top edge of the panel, in pixels", 0, G_MAXINT, 8, flags));
  g_object_class_install_property(
      gobject_class, PROP_WIDTH,
      g_param_spec_int("width", "Width", "Width of the panel, in pixels (clipped to the frame)", 40, G_MAXINT, 220, flags));
  g_object_class_install_property(
      gobject_class, PROP_FONT_SCALE,
      g_param_spec_double("font-scale", "Font scale", "OpenCV font scale of the text (0.4: about 9 pixels high)", 0.1,
                          10.0, 0.4, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_ENTRIES,
      g_param_spec_int("max-entries", "Max entries", "Bars drawn: the largest probabilities or values, at most this many",
                       0, 1000, 5, flags));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_TRACES,
      g_param_spec_boolean("show-traces", "Show traces", "Plot the selected neurons over the last trace-seconds", TRUE,
                           flags));

  // Like textoverlay's wait-text: frames of a file then show the decision made on them.
  g_object_class_install_property(
      gobject_class, PROP_WAIT,
      g_param_spec_boolean("wait", "Wait",
                           "Hold each frame until decision_sink (when linked) has a decision at or after the frame's "
                           "running time, or is at EOS (for files; live pipelines want false: never block)",
                           FALSE, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_add_static_pad_template(element_class, &decision_template);
  gst_element_class_set_static_metadata(
      element_class, "Liquid overlay", "Filter/Effect/Video",
      "Draws the current liquid decision (class probabilities or values) and neuron traces onto video frames",
      "liquid project");
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_liquid_overlay_change_state);
  trans_class->start = GST_DEBUG_FUNCPTR(gst_liquid_overlay_start);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_liquid_overlay_sink_event);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_liquid_overlay_transform_frame_ip);
  GST_DEBUG_CATEGORY_INIT(liquid_overlay_debug, "liquidoverlay", 0, "liquid overlay");
}

static void gst_liquid_overlay_init(GstLiquidOverlay* self) {
  self->neurons_text = g_strdup(kDefaultNeurons);
  self->neurons = new std::vector<int>(parse_neurons(kDefaultNeurons));
  self->trace_seconds = 5.0;
  self->x = 8;
  self->y = 8;
  self->width = 220;
  self->font_scale = 0.4;
  self->max_entries = 5;
  self->show_traces = TRUE;
  self->wait = FALSE;
  self->state = new State();
  self->decision_pad = gst_pad_new_from_static_template(&decision_template, "decision_sink");
  gst_pad_set_chain_function(self->decision_pad, GST_DEBUG_FUNCPTR(gst_liquid_overlay_decision_chain));
  gst_pad_set_event_function(self->decision_pad, GST_DEBUG_FUNCPTR(gst_liquid_overlay_decision_event));
  gst_pad_set_query_function(self->decision_pad, GST_DEBUG_FUNCPTR(gst_liquid_overlay_decision_query));
  gst_element_add_pad(GST_ELEMENT(self), self->decision_pad);
}
