// liquidaudiofeatures (see gstliquidaudiofeatures.h).
//
// A plain GstElement rather than a GstBaseTransform: one input buffer gives any number of frames
// (zero until a window is full, many for a long buffer). By default the frames an input buffer
// completes go out together in one buffer (no frame waits for another input, so no latency is
// added, and a pipeline pays GStreamer's per-buffer cost once per input buffer rather than once per
// 10 ms frame); frames-per-buffer=K sends K at a time across input buffers instead (1: each frame
// alone), the last few waiting for the next input, EOS sending them.
// Example:
//   gst-launch-1.0 filesrc location=a.wav ! wavparse ! audioconvert ! liquidaudiofeatures kind=mfcc ! fakesink
#include "plugins/gstliquidaudiofeatures.h"

#include <gst/audio/audio.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "encoders/audio_features.h"
#include "plugins/liquid_features.h"

GST_DEBUG_CATEGORY_STATIC(liquid_audio_features_debug);
#define GST_CAT_DEFAULT liquid_audio_features_debug

namespace {

using liquid::encoders::AudioFeatureConfig;
using liquid::encoders::AudioFeatureEncoder;
using liquid::encoders::AudioFeatureKind;

enum { PROP_0, PROP_KIND, PROP_WINDOW, PROP_HOP, PROP_BANDS, PROP_N_MFCC, PROP_DELTAS, PROP_FRAMES_PER_BUFFER };

constexpr double kDefaultWindow = 0.025, kDefaultHop = 0.010;
constexpr int kDefaultBands = 40, kDefaultMfcc = 13, kDefaultDeltas = 0, kDefaultFramesPerBuffer = 0;

// Everything the streaming thread touches; created with the caps, so properties apply from the next
// caps on.
struct Stream {
  std::unique_ptr<AudioFeatureEncoder> encoder;
  int channels = 1, rate = 0;
  bool s16 = false;
  GstClockTime hop = GST_CLOCK_TIME_NONE;
  int frames_per_buffer = 0;                           // 0: the frames of each input buffer together
  GstBufferPool* pool = nullptr;                       // buffers of pool_frames frames
  size_t pool_frames = 0;
  liquid::sensors::AudioBlock block;                  // reused: samples keep their capacity
  std::vector<liquid::encoders::FeatureFrame> frames;  // one input buffer's frames, then staged
  // The next output buffer's frames, flat. Staged at once rather than held as FeatureFrames: with
  // many frames a buffer, a vector each would outlive the allocator's per-thread cache.
  std::vector<float> staged;
  size_t staged_frames = 0;
  double staged_time = 0.0;                            // the first staged frame's
  GstClockTime next_pts = GST_CLOCK_TIME_NONE;         // where a buffer without PTS continues
  bool discont = true;

  ~Stream() { clear_pool(); }
  void clear_pool() { liquid_float_pool_free(pool); }
};

}  // namespace

struct _GstLiquidAudioFeatures {
  GstElement parent;
  GstPad *sinkpad, *srcpad;
  // Properties (GST_OBJECT_LOCK).
  AudioFeatureKind kind;
  double window, hop;
  int bands, n_mfcc, deltas, frames_per_buffer;
  double latency;  // seconds, of the current stream's settings
  Stream* stream;  // streaming thread only
};

G_DEFINE_TYPE(GstLiquidAudioFeatures, gst_liquid_audio_features, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(liquidaudiofeatures, "liquidaudiofeatures", GST_RANK_NONE, GST_TYPE_LIQUID_AUDIO_FEATURES);

#define GST_TYPE_LIQUID_AUDIO_FEATURE_KIND (gst_liquid_audio_feature_kind_get_type())
static GType gst_liquid_audio_feature_kind_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(AudioFeatureKind::kLogMel), "Log-mel band energies in dB", "log-mel"},
      {int(AudioFeatureKind::kMfcc), "Mel-frequency cepstral coefficients", "mfcc"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstLiquidAudioFeatureKind", values));
  return type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format = (string) { F32LE, S16LE }, layout = (string) interleaved, "
                    "rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ]"));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(LIQUID_FEATURES_CAPS));

static gboolean set_sink_caps(GstLiquidAudioFeatures* self, GstCaps* caps) {
  GstAudioInfo info;
  if (!gst_audio_info_from_caps(&info, caps)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("liquidaudiofeatures: cannot parse audio caps"),
                      ("caps %" GST_PTR_FORMAT "; expected F32LE or S16LE interleaved audio", caps));
    return FALSE;
  }
  AudioFeatureConfig config;
  GST_OBJECT_LOCK(self);
  config.kind = self->kind;
  config.window_seconds = self->window;
  config.hop_seconds = self->hop;
  config.n_mels = self->bands;
  config.n_mfcc = self->n_mfcc;
  config.delta_order = self->deltas;
  const int frames_per_buffer = self->frames_per_buffer;
  GST_OBJECT_UNLOCK(self);
  config.sample_rate = GST_AUDIO_INFO_RATE(&info);

  auto stream = std::make_unique<Stream>();
  try {
    stream->encoder = std::make_unique<AudioFeatureEncoder>(config);
  } catch (...) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("liquidaudiofeatures: unusable settings for %d Hz audio: %s",
                                                config.sample_rate, liquid_current_exception_text().c_str()),
                      (nullptr));
    return FALSE;
  }
  const AudioFeatureConfig& resolved = stream->encoder->config();
  stream->channels = GST_AUDIO_INFO_CHANNELS(&info);
  stream->rate = resolved.sample_rate;
  stream->s16 = GST_AUDIO_INFO_FORMAT(&info) == GST_AUDIO_FORMAT_S16LE;
  stream->hop = gst_util_uint64_scale_int(resolved.hop_samples, GST_SECOND, resolved.sample_rate);
  stream->block.sample_rate = resolved.sample_rate;
  stream->block.channels = stream->channels;
  stream->frames_per_buffer = frames_per_buffer;
  const int width = stream->encoder->width();
  GST_OBJECT_LOCK(self);
  // A frame leaves once its window is complete, deltas hold frames back, and a buffer of K frames
  // leaves with its last one.
  self->latency = resolved.window_samples / 2.0 / resolved.sample_rate + stream->encoder->latency_seconds() +
                  std::max(frames_per_buffer - 1, 0) * liquid_time_to_seconds(stream->hop);
  GST_OBJECT_UNLOCK(self);

  GstCaps* out = gst_caps_new_simple(LIQUID_FEATURES_MEDIA_TYPE, "width", G_TYPE_INT, width, "rate",
                                     GST_TYPE_FRACTION, resolved.sample_rate, resolved.hop_samples, nullptr);
  const gboolean ok = gst_pad_set_caps(self->srcpad, out);
  GST_DEBUG_OBJECT(self, "%d Hz, %d channels -> %" GST_PTR_FORMAT, stream->rate, stream->channels, out);
  gst_caps_unref(out);
  if (!ok) return FALSE;
  delete self->stream;
  self->stream = stream.release();
  return TRUE;
}

// Pushes the staged frames as one buffer.
static GstFlowReturn push_staged(GstLiquidAudioFeatures* self) {
  Stream& s = *self->stream;
  const size_t n = s.staged_frames;
  s.staged_frames = 0;
  if (n > s.pool_frames) {  // the first buffer, or more frames than any before (a longer input)
    s.clear_pool();
    s.pool = liquid_float_pool_new(nullptr, int(n) * s.encoder->width());
    if (s.pool == nullptr) return GST_FLOW_ERROR;
    s.pool_frames = n;
  }
  GstBuffer* buf = nullptr;
  GstFlowReturn ret = gst_buffer_pool_acquire_buffer(s.pool, &buf, nullptr);
  if (ret != GST_FLOW_OK) return ret;
  const size_t bytes = n * size_t(s.encoder->width()) * sizeof(float);
  gst_buffer_set_size(buf, gssize(bytes));  // fewer frames than the pool's
  gst_buffer_fill(buf, 0, s.staged.data(), bytes);
  GST_BUFFER_PTS(buf) = liquid_seconds_to_time(s.staged_time);
  GST_BUFFER_DURATION(buf) = s.hop * n;
  if (s.discont) {
    GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
    s.discont = false;
  }
  return gst_pad_push(self->srcpad, buf);
}

// Stages the encoded frames, pushing every buffer that fills (frames_per_buffer frames; with 0,
// all of them); with `all`, a last short one too (EOS).
static GstFlowReturn stage_frames(GstLiquidAudioFeatures* self, bool all) {
  Stream& s = *self->stream;
  const size_t width = size_t(s.encoder->width());
  const size_t per_buffer = s.frames_per_buffer > 0 ? size_t(s.frames_per_buffer) : s.staged_frames + s.frames.size();
  all = all || s.frames_per_buffer == 0;
  if (s.staged.size() < per_buffer * width) s.staged.resize(per_buffer * width);  // grows to the longest input
  GstFlowReturn ret = GST_FLOW_OK;
  for (const auto& frame : s.frames) {
    if (s.staged_frames == 0) s.staged_time = frame.time;
    std::copy_n(frame.values.data(), width, s.staged.data() + s.staged_frames * width);
    if (++s.staged_frames == per_buffer && (ret = push_staged(self)) != GST_FLOW_OK) break;
  }
  s.frames.clear();
  if (ret == GST_FLOW_OK && all && s.staged_frames > 0) ret = push_staged(self);
  if (ret != GST_FLOW_OK) s.staged_frames = 0;  // flushing or an error: what waits is not wanted
  return ret;
}

static GstFlowReturn gst_liquid_audio_features_chain(GstPad*, GstObject* parent, GstBuffer* buf) {
  auto* self = GST_LIQUID_AUDIO_FEATURES(parent);
  if (self->stream == nullptr) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("liquidaudiofeatures: audio buffer before caps"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  Stream& s = *self->stream;
  GstMapInfo map;
  if (!gst_buffer_map(buf, &map, GST_MAP_READ)) {
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("liquidaudiofeatures: cannot map an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  const size_t bytes_per_frame = size_t(s.channels) * (s.s16 ? 2 : 4);
  const size_t frames = map.size / bytes_per_frame;
  if (map.size % bytes_per_frame != 0)
    GST_WARNING_OBJECT(self, "buffer of %zu bytes is not a whole number of %zu-byte frames; tail ignored", map.size,
                       bytes_per_frame);
  s.block.samples.resize(frames * size_t(s.channels));  // keeps its capacity: no allocation once warm
  if (s.s16) {
    const auto* in = reinterpret_cast<const gint16*>(map.data);
    for (size_t i = 0; i < s.block.samples.size(); ++i) s.block.samples[i] = float(in[i]) * (1.0f / 32768.0f);
  } else {
    std::memcpy(s.block.samples.data(), map.data, s.block.samples.size() * sizeof(float));
  }
  gst_buffer_unmap(buf, &map);

  // The block's time: its own PTS, else where the previous one ended (0 for the very first).
  GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) pts = GST_CLOCK_TIME_IS_VALID(s.next_pts) ? s.next_pts : 0;
  s.next_pts = pts + gst_util_uint64_scale_int(frames, GST_SECOND, s.rate);
  if (GST_BUFFER_IS_DISCONT(buf)) s.discont = true;
  gst_buffer_unref(buf);

  try {
    s.encoder->encode_block(s.block, liquid_time_to_seconds(pts), 0, s.frames);
  } catch (...) {
    s.frames.clear();
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("liquidaudiofeatures: %s", liquid_current_exception_text().c_str()),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  return stage_frames(self, false);
}

static gboolean gst_liquid_audio_features_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* self = GST_LIQUID_AUDIO_FEATURES(parent);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps;
      gst_event_parse_caps(event, &caps);
      const gboolean ok = set_sink_caps(self, caps);
      gst_event_unref(event);  // our own caps went downstream instead
      return ok;
    }
    case GST_EVENT_FLUSH_STOP:
      if (self->stream) {  // a seek: the windows and frames in progress belong to the old position
        self->stream->encoder->reset();
        self->stream->frames.clear();
        self->stream->staged_frames = 0;
        self->stream->next_pts = GST_CLOCK_TIME_NONE;
        self->stream->discont = true;
      }
      break;
    case GST_EVENT_EOS:
      if (self->stream) {  // the frames held back for deltas
        self->stream->encoder->flush(self->stream->frames);
        stage_frames(self, true);
      }
      break;
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static gboolean gst_liquid_audio_features_src_query(GstPad* pad, GstObject* parent, GstQuery* query) {
  auto* self = GST_LIQUID_AUDIO_FEATURES(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
  if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
  // A frame stamped at its window's centre leaves once the window is complete (half a window
  // later), and deltas hold frames back further.
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency(query, &live, &min, &max);
  GST_OBJECT_LOCK(self);
  const GstClockTime add = liquid_seconds_to_time(self->latency);
  GST_OBJECT_UNLOCK(self);
  gst_query_set_latency(query, live, min + add, GST_CLOCK_TIME_IS_VALID(max) ? max + add : max);
  return TRUE;
}

static GstStateChangeReturn gst_liquid_audio_features_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_LIQUID_AUDIO_FEATURES(element);
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_liquid_audio_features_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    delete self->stream;  // the streaming thread has stopped
    self->stream = nullptr;
  }
  return ret;
}

static void gst_liquid_audio_features_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_AUDIO_FEATURES(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_KIND: self->kind = AudioFeatureKind(g_value_get_enum(value)); break;
    case PROP_WINDOW: self->window = g_value_get_double(value); break;
    case PROP_HOP: self->hop = g_value_get_double(value); break;
    case PROP_BANDS: self->bands = g_value_get_int(value); break;
    case PROP_N_MFCC: self->n_mfcc = g_value_get_int(value); break;
    case PROP_DELTAS: self->deltas = g_value_get_int(value); break;
    case PROP_FRAMES_PER_BUFFER: self->frames_per_buffer = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_audio_features_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_AUDIO_FEATURES(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_KIND: g_value_set_enum(value, int(self->kind)); break;
    case PROP_WINDOW: g_value_set_double(value, self->window); break;
    case PROP_HOP: g_value_set_double(value, self->hop); break;
    case PROP_BANDS: g_value_set_int(value, self->bands); break;
    case PROP_N_MFCC: g_value_set_int(value, self->n_mfcc); break;
    case PROP_DELTAS: g_value_set_int(value, self->deltas); break;
    case PROP_FRAMES_PER_BUFFER: g_value_set_int(value, self->frames_per_buffer); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_audio_features_finalize(GObject* object) {
  delete GST_LIQUID_AUDIO_FEATURES(object)->stream;
  G_OBJECT_CLASS(gst_liquid_audio_features_parent_class)->finalize(object);
}

static void gst_liquid_audio_features_class_init(GstLiquidAudioFeaturesClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_liquid_audio_features_set_property;
  gobject_class->get_property = gst_liquid_audio_features_get_property;
  gobject_class->finalize = gst_liquid_audio_features_finalize;
  element_class->change_state = gst_liquid_audio_features_change_state;

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_KIND,
      g_param_spec_enum("kind", "Kind", "Features per frame: log-mel band energies (dB) or MFCCs of them",
                        GST_TYPE_LIQUID_AUDIO_FEATURE_KIND, int(AudioFeatureKind::kLogMel), flags));
  g_object_class_install_property(
      gobject_class, PROP_WINDOW,
      g_param_spec_double("window", "Window", "Analysis window in seconds (rounded to whole samples)", 1e-4, 10.0,
                          kDefaultWindow, flags));
  g_object_class_install_property(
      gobject_class, PROP_HOP,
      g_param_spec_double("hop", "Hop", "Seconds between frames (rounded to whole samples); also each buffer's duration",
                          1e-4, 10.0, kDefaultHop, flags));
  g_object_class_install_property(
      gobject_class, PROP_BANDS,
      g_param_spec_int("bands", "Bands", "Mel bands (the width of log-mel frames)", 1, 512, kDefaultBands, flags));
  g_object_class_install_property(
      gobject_class, PROP_N_MFCC,
      g_param_spec_int("n-mfcc", "MFCCs", "Cepstral coefficients kept with kind=mfcc (at most bands)", 1, 512,
                       kDefaultMfcc, flags));
  g_object_class_install_property(
      gobject_class, PROP_DELTAS,
      g_param_spec_int("deltas", "Deltas",
                       "0: static features only; 1: append deltas; 2: append deltas and delta-deltas "
                       "(adds 4 frames of latency)",
                       0, 2, kDefaultDeltas, flags));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_PER_BUFFER,
      g_param_spec_int("frames-per-buffer", "Frames per buffer",
                       "Frames sent together in one buffer (PTS: the first frame's time, DURATION: their hops). "
                       "0: the frames each input buffer completes, together (no added latency, one buffer per "
                       "input buffer); 1: each frame alone; K: K frames a buffer across input buffers, less "
                       "per-buffer cost when input buffers are short, at K - 1 hops of added latency",
                       0, 4096, kDefaultFramesPerBuffer, flags));
  gst_type_mark_as_plugin_api(GST_TYPE_LIQUID_AUDIO_FEATURE_KIND, GstPluginAPIFlags(0));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Liquid audio features", "Filter/Analyzer/Audio",
      "Turns raw audio into log-mel or MFCC frames (other/liquid-features), each stamped with the centre of "
      "its window, the frames of each input buffer (or frames-per-buffer frames) a buffer",
      "liquid project");
  GST_DEBUG_CATEGORY_INIT(liquid_audio_features_debug, "liquidaudiofeatures", 0, "liquid audio features");
}

static void gst_liquid_audio_features_init(GstLiquidAudioFeatures* self) {
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_liquid_audio_features_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_liquid_audio_features_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_liquid_audio_features_src_query));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
  self->kind = AudioFeatureKind::kLogMel;
  self->window = kDefaultWindow;
  self->hop = kDefaultHop;
  self->bands = kDefaultBands;
  self->n_mfcc = kDefaultMfcc;
  self->deltas = kDefaultDeltas;
  self->frames_per_buffer = kDefaultFramesPerBuffer;
  self->latency = kDefaultWindow / 2;
  self->stream = nullptr;
}
