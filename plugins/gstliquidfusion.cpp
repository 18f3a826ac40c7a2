// liquidfusion (see gstliquidfusion.h). A GstAggregator over pipeline::Engine: one engine stream a
// sink pad, the per-sample decision mode, staleness from the `timeout` property.
//   gst-launch-1.0 -m liquidfusion name=f model=audio.safetensors sink_1::model=video.safetensors ! fakesink
//     filesrc location=a.wav ! decodebin ! audioconvert ! liquidaudiofeatures ! f.sink_0
//     filesrc location=v.avi ! decodebin ! videoconvert ! liquidvideofeatures ! f.sink_1
#include "plugins/gstliquidfusion.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/engine.h"
#include "plugins/liquid_decision.h"
#include "plugins/liquid_features.h"
#include "plugins/liquid_fusion_head.h"
#include "plugins/liquid_model_file.h"

GST_DEBUG_CATEGORY_STATIC(liquid_fusion_debug);
#define GST_CAT_DEFAULT liquid_fusion_debug

namespace {

enum { PROP_0, PROP_MODEL, PROP_FUSION_LOCATION, PROP_TIMEOUT, PROP_POST_MESSAGES, PROP_POST_STATES };

constexpr GstClockTime kDefaultTimeout = GST_SECOND;

using liquid::pipeline::Engine;

// What the running element owns, from start() to stop(). `lock` guards all of it: the src thread
// steps the engine, the sink pads' threads read models (caps) and reset their cell (flush).
struct Fusion {
  std::mutex lock;
  std::map<std::string, std::shared_ptr<const LiquidModelFile>> files;  // by path; survive rebuilds
  std::unique_ptr<Engine> engine;
  bool dirty = true;                              // pads came or went since the engine was built
  std::vector<std::string> names;                 // pad names, by stream id
  std::vector<const LiquidModelFile*> models;     // by stream id
  std::vector<liquid::encoders::FeatureFrame> frames;  // one a stream, reused
  std::vector<unsigned char> warned_late;         // by stream id
  std::vector<GQuark> quarks;                     // the head's class names, or empty
  int width = 0;                                  // decision floats
  // The last decision, as the engine's callback copied it.
  bool decided = false;
  std::vector<float> values, neurons;
  std::vector<float> batch;                       // the decisions of one input buffer's frames
  std::vector<GstStructure*> messages;            // their bus messages, posted outside `lock`
  std::vector<const char*> fresh, stale;          // into `names`
  GstBufferPool* pool = nullptr;
  int pool_width = 0;

  ~Fusion() { drop_pool(); }
  void drop_pool() {
    if (pool) {
      gst_buffer_pool_set_active(pool, FALSE);
      gst_object_unref(pool);
      pool = nullptr;
    }
  }
};

}  // namespace

struct _GstLiquidFusion {
  GstAggregator parent;
  // Properties (GST_OBJECT_LOCK).
  gchar* model_path;
  gchar* fusion_path;
  GstClockTime timeout;
  gboolean post_messages;
  gboolean post_states;
  Fusion* fusion;  // between start() and stop()
};

static void gst_liquid_fusion_child_proxy_init(gpointer g_iface, gpointer);
G_DEFINE_TYPE_WITH_CODE(GstLiquidFusion, gst_liquid_fusion, GST_TYPE_AGGREGATOR,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_CHILD_PROXY, gst_liquid_fusion_child_proxy_init));
GST_ELEMENT_REGISTER_DEFINE(liquidfusion, "liquidfusion", GST_RANK_NONE, GST_TYPE_LIQUID_FUSION);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
                                                                    GST_STATIC_CAPS(LIQUID_FEATURES_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(LIQUID_DECISION_CAPS));

// ---------------------------------------------------------------------------------------------
// Models and the engine (all with Fusion::lock held)

static std::string pad_model_path(GstLiquidFusion* self, GstLiquidFusionPad* pad) {
  std::string path = gst_liquid_fusion_pad_model(pad);
  if (path.empty()) {
    GST_OBJECT_LOCK(self);
    path = self->model_path ? self->model_path : "";
    GST_OBJECT_UNLOCK(self);
  }
  return path;
}

// The pad's model, loaded once per path; posts the error itself and returns null.
static const LiquidModelFile* model_for_pad(GstLiquidFusion* self, Fusion& f, GstLiquidFusionPad* pad) {
  const std::string path = pad_model_path(self, pad);
  if (path.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("liquidfusion: no model file for pad %s", GST_PAD_NAME(pad)),
                      ("set the pad's model (%s::model=...) or the element's model property", GST_PAD_NAME(pad)));
    return nullptr;
  }
  if (auto it = f.files.find(path); it != f.files.end()) return it->second.get();
  try {
    auto file = std::make_shared<const LiquidModelFile>(liquid_load_model_file(path));
    if (!file->warning.empty()) GST_WARNING_OBJECT(self, "%s", file->warning.c_str());
    GST_INFO_OBJECT(self, "%s: %s, %d inputs, %d outputs", path.c_str(), file->model->config().describe().c_str(),
                    file->model->input_size(), file->model->output_size());
    return f.files.emplace(path, std::move(file)).first->second.get();
  } catch (...) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("liquidfusion: cannot load model '%s' for pad %s", path.c_str(),
                                             GST_PAD_NAME(pad)),
                      ("%s", liquid_current_exception_text().c_str()));
    return nullptr;
  }
}

// The sink pads (with a ref each) in the order of their numbers.
static std::vector<GstLiquidFusionPad*> sink_pads(GstLiquidFusion* self) {
  std::vector<GstLiquidFusionPad*> pads;
  GST_OBJECT_LOCK(self);
  for (GList* l = GST_ELEMENT(self)->sinkpads; l; l = l->next)
    pads.push_back(GST_LIQUID_FUSION_PAD(gst_object_ref(l->data)));
  GST_OBJECT_UNLOCK(self);
  // Pad order (the head's input order) is sink_0, sink_1, ... whatever order they were requested in.
  auto number = [](GstLiquidFusionPad* pad) { return g_ascii_strtoull(GST_PAD_NAME(pad) + 5, nullptr, 10); };
  std::stable_sort(pads.begin(), pads.end(), [&](auto* a, auto* b) { return number(a) < number(b); });
  return pads;
}

static void unref_pads(std::vector<GstLiquidFusionPad*>& pads) {
  for (auto* pad : pads) gst_object_unref(pad);
  pads.clear();
}

// One engine stream a sink pad, in pad order, and the fusion head over them.
static bool build_engine(GstLiquidFusion* self, Fusion& f) {
  auto pads = sink_pads(self);
  if (pads.empty()) {
    GST_ELEMENT_ERROR(self, CORE, PAD, ("liquidfusion: no sink pads"), ("request sink_%%u pads and link them"));
    return false;
  }
  GST_OBJECT_LOCK(self);
  const std::string head_path = self->fusion_path ? self->fusion_path : "";
  const GstClockTime timeout = self->timeout;
  GST_OBJECT_UNLOCK(self);
  f.engine.reset();
  f.models.clear();
  f.names.clear();
  for (auto* pad : pads) {
    const LiquidModelFile* file = model_for_pad(self, f, pad);
    if (file == nullptr) {
      unref_pads(pads);
      return false;
    }
    f.models.push_back(file);
    f.names.emplace_back(GST_PAD_NAME(pad));
  }
  try {
    liquid::pipeline::EngineConfig config;
    config.max_batch = 1;
    config.decisions.mode = liquid::pipeline::DecisionMode::kPerSample;
    auto engine = std::make_unique<Engine>(config);
    std::map<const LiquidModelFile*, int> model_ids;
    for (const auto* file : f.models)
      if (!model_ids.count(file)) model_ids[file] = engine->add_model(file->model);
    int outputs = 0, neurons = 0;
    for (size_t k = 0; k < pads.size(); ++k) {
      liquid::pipeline::StreamConfig stream;
      stream.name = f.names[k];
      stream.model = model_ids[f.models[k]];
      stream.late = liquid::pipeline::LatePolicy::kDrop;  // checked before, with a warning
      stream.dt_scale = gst_liquid_fusion_pad_dt_scale(pads[k]);
      stream.timeout = timeout == GST_CLOCK_TIME_NONE ? std::numeric_limits<double>::infinity()
                                                      : liquid_time_to_seconds(timeout);
      engine->add_stream(stream);
      outputs += f.models[k]->model->output_size();
      neurons += f.models[k]->model->state_size();
    }
    auto head = head_path.empty() ? liquid_mean_fusion_head(f.models, f.names)
                                  : liquid_load_fusion_head(head_path, outputs);
    f.quarks.clear();
    if (head->kind() == liquid::pipeline::HeadKind::kClasses)
      for (const auto& name : head->names()) f.quarks.push_back(g_quark_from_string(name.c_str()));
    f.width = static_cast<int>(head->names().size());
    Fusion* fp = &f;
    engine->set_fusion(std::move(head), [fp](const liquid::pipeline::Decision& d) {
      fp->decided = true;
      fp->values.assign(d.values.begin(), d.values.end());
      fp->fresh.clear();
      fp->stale.clear();
      for (int id : d.fresh) fp->fresh.push_back(fp->names[size_t(id)].c_str());
      for (int id : d.stale) fp->stale.push_back(fp->names[size_t(id)].c_str());
    });
    f.engine = std::move(engine);
    f.neurons.resize(size_t(neurons));
  } catch (...) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("liquidfusion: cannot set up the fusion of %zu pads%s%s", pads.size(),
                                             head_path.empty() ? "" : " with head ", head_path.c_str()),
                      ("%s", liquid_current_exception_text().c_str()));
    unref_pads(pads);
    return false;
  }
  f.frames.assign(pads.size(), {});
  f.warned_late.assign(pads.size(), 0);
  for (size_t k = 0; k < pads.size(); ++k) {
    pads[k]->stream = int(k);
    f.frames[k].stream = int(k);
    f.frames[k].values.resize(size_t(f.models[k]->model->input_size()));
  }
  f.dirty = false;
  GST_INFO_OBJECT(self, "fusing %zu pads into %d %s", pads.size(), f.width, f.quarks.empty() ? "values" : "classes");
  unref_pads(pads);
  return true;
}

static bool ensure_engine(GstLiquidFusion* self) {
  Fusion& f = *self->fusion;
  std::lock_guard<std::mutex> guard(f.lock);
  if (!f.dirty) return true;
  if (f.engine) GST_WARNING_OBJECT(self, "the sink pads changed while running: every cell starts again");
  return build_engine(self, f);
}

// Forgets one pad's cell: zero state, no last time, no latest output (neither fresh nor stale).
static void reset_stream(Engine& engine, int id) {
  if (!engine.has_reported(id)) return;
  auto st = engine.save_state();
  const int model = engine.stream_config(id).model;
  int column = 0, offset = 0;  // the engine's layout: columns per model, outputs in stream order
  for (int s = 0; s < id; ++s) {
    if (engine.stream_config(s).model == model) ++column;
    offset += engine.model(engine.stream_config(s).model).output_size();
  }
  st.h[size_t(model)].col(column).setZero();
  if (st.c[size_t(model)].rows() > 0) st.c[size_t(model)].col(column).setZero();
  st.has_time[size_t(id)] = 0;
  st.last_time[size_t(id)] = st.fused_time[size_t(id)] = 0.0;
  st.samples[size_t(id)] = 0;
  std::fill_n(st.latest.begin() + offset, engine.model(model).output_size(), 0.0f);
  engine.restore_state(st);
}

// ---------------------------------------------------------------------------------------------
// GstAggregator

static gboolean gst_liquid_fusion_start(GstAggregator* agg) {
  auto* self = GST_LIQUID_FUSION(agg);
  auto fusion = std::make_unique<Fusion>();
  // Load the models of the pads requested so far: a bad file fails the state change.
  auto pads = sink_pads(self);
  bool ok = true;
  {
    std::lock_guard<std::mutex> guard(fusion->lock);
    for (auto* pad : pads) ok = ok && model_for_pad(self, *fusion, pad) != nullptr;
  }
  unref_pads(pads);
  if (!ok) return FALSE;
  GST_OBJECT_LOCK(self);
  self->fusion = fusion.release();
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_liquid_fusion_stop(GstAggregator* agg) {
  auto* self = GST_LIQUID_FUSION(agg);
  GST_OBJECT_LOCK(self);
  Fusion* fusion = self->fusion;
  self->fusion = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete fusion;
  return TRUE;
}

static bool is_gap(GstBuffer* buf) {
  return GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_GAP) && gst_buffer_get_size(buf) == 0;
}

// The pad holding the earliest queued frame (by running time; a buffer without PTS first, so that
// its error surfaces), with a ref, or null. `all_eos`: no pad has data or can still get some.
// `second`: the running time of the earliest queued frame of any other pad (NONE: none queued).
static GstAggregatorPad* earliest_pad(GstLiquidFusion* self, GstClockTime* running_time, bool* all_eos,
                                      GstClockTime* second = nullptr) {
  GstAggregatorPad* best = nullptr;
  GstClockTime best_rt = GST_CLOCK_TIME_NONE, second_rt = GST_CLOCK_TIME_NONE;
  *all_eos = true;
  GST_OBJECT_LOCK(self);
  for (GList* l = GST_ELEMENT(self)->sinkpads; l; l = l->next) {
    auto* pad = GST_AGGREGATOR_PAD(l->data);
    GstBuffer* buf = gst_aggregator_pad_peek_buffer(pad);
    if (buf == nullptr) {
      if (!gst_aggregator_pad_is_eos(pad)) *all_eos = false;
      continue;
    }
    *all_eos = false;
    const GstClockTime pts = GST_BUFFER_PTS(buf);
    GstClockTime rt = GST_CLOCK_TIME_IS_VALID(pts) ? gst_liquid_fusion_pad_next_running_time(GST_LIQUID_FUSION_PAD(pad), pts) : 0;
    // A GAP (a GAP event, queued as an empty buffer) says the pad has nothing until its end: it
    // waits in the queue, keeping the others going, until the others are past that end.
    if (is_gap(buf) && GST_CLOCK_TIME_IS_VALID(rt) && GST_BUFFER_DURATION_IS_VALID(buf)) rt += GST_BUFFER_DURATION(buf);
    gst_buffer_unref(buf);
    if (best == nullptr || rt < best_rt) {
      second_rt = best_rt;
      best = pad;
      best_rt = rt;
    } else if (!GST_CLOCK_TIME_IS_VALID(second_rt) || rt < second_rt) {
      second_rt = rt;
    }
  }
  if (best) gst_object_ref(best);
  GST_OBJECT_UNLOCK(self);
  *running_time = best_rt;
  if (second) *second = second_rt;
  return best;
}

// Live: the deadline is the earliest queued buffer (plus the latency, added by GstAggregator), so
// a pad waits at most that long for the others; with nothing queued, wait for data.
static GstClockTime gst_liquid_fusion_get_next_time(GstAggregator* agg) {
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  bool all_eos = false;
  GstAggregatorPad* pad = earliest_pad(GST_LIQUID_FUSION(agg), &rt, &all_eos);
  if (pad == nullptr) return GST_CLOCK_TIME_NONE;
  gst_object_unref(pad);
  return rt;
}

// Steps the pad's cell with the frames of `buf` (its PTS at running time `rt`) from the pad's next
// frame on, up to the first one after `until` (running time; at least one frame, all when NONE), so
// that the other pads' frames in between come in time order. Fills `out` with the decisions made,
// and sets `done` when the buffer has no frames left.
static GstFlowReturn step(GstLiquidFusion* self, Fusion& f, GstLiquidFusionPad* pad, GstBuffer* buf, GstClockTime rt,
                          GstClockTime until, GstBuffer** out, std::vector<GstStructure*>& messages, bool* done) {
  *done = true;
  const int id = pad->stream;
  if (id < 0 || id >= f.engine->stream_count()) return GST_FLOW_OK;  // came after the engine was built
  if (is_gap(buf)) return GST_FLOW_OK;
  if (!GST_BUFFER_PTS_IS_VALID(buf)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("liquidfusion: a feature buffer on %s has no timestamp", GST_PAD_NAME(pad)),
                      ("the cells integrate across PTS differences, so every buffer needs a PTS"));
    return GST_FLOW_ERROR;
  }
  if (!GST_CLOCK_TIME_IS_VALID(rt)) {
    GST_LOG_OBJECT(pad, "buffer outside the segment: dropped");
    return GST_FLOW_OK;
  }
  Engine& engine = *f.engine;
  size_t from = 0;
  GstClockTime from_offset = 0;
  gst_liquid_fusion_pad_get_next_frame(pad, &from, &from_offset);
  const double t = liquid_time_to_seconds(rt + from_offset);
  if (engine.has_reported(id) && t < engine.last_time(id)) {
    if (!f.warned_late[size_t(id)])
      GST_ELEMENT_WARNING(self, STREAM, FAILED,
                          ("liquidfusion: timestamp on %s went back from %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT
                           " (running time); dropping such buffers",
                           GST_PAD_NAME(pad), GST_TIME_ARGS(liquid_seconds_to_time(engine.last_time(id))),
                           GST_TIME_ARGS(rt)),
                          (nullptr));
    f.warned_late[size_t(id)] = 1;
    return GST_FLOW_OK;
  }
  f.warned_late[size_t(id)] = 0;
  const LiquidModelFile& file = *f.models[size_t(id)];
  auto& frame = f.frames[size_t(id)];
  const int width = static_cast<int>(frame.values.size());
  GstMapInfo in;
  if (!gst_buffer_map(buf, &in, GST_MAP_READ)) return GST_FLOW_ERROR;
  LiquidFrames frames;
  if (!liquid_frames_of(buf, in.size, width, &frames)) {
    gst_buffer_unmap(buf, &in);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("liquidfusion: a feature buffer on %s holds %zu bytes; expected whole frames of %d float32 "
                       "(%zu bytes each), and a DURATION when there are several",
                       GST_PAD_NAME(pad), in.size, width, size_t(width) * sizeof(float)),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  GST_OBJECT_LOCK(self);
  const bool post = self->post_messages;
  const bool post_states = self->post_states;
  GstSegment segment = GST_AGGREGATOR_PAD(GST_AGGREGATOR_SRC_PAD(self))->segment;
  GST_OBJECT_UNLOCK(self);
  // Every frame steps the pad's cell at its own time (running time of the buffer + k hops); each
  // decision goes into the output buffer, the last one also into its meta.
  f.batch.clear();
  GstClockTime first = GST_CLOCK_TIME_NONE, last = GST_CLOCK_TIME_NONE;
  size_t k = from;
  for (; k < frames.count; ++k) {
    const GstClockTime frame_rt = rt + k * frames.hop;
    if (k > from && GST_CLOCK_TIME_IS_VALID(until) && frame_rt > until) break;  // another pad's frame first
    const float* x = file.normalize(reinterpret_cast<const float*>(in.data) + k * size_t(width), frame.values.data());
    if (x != frame.values.data()) std::copy_n(x, frame.values.size(), frame.values.data());
    frame.time = liquid_time_to_seconds(frame_rt);
    f.decided = false;
    try {
      engine.process(frame);
    } catch (...) {
      gst_buffer_unmap(buf, &in);
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("liquidfusion: the cell of %s failed", GST_PAD_NAME(pad)),
                        ("%s", liquid_current_exception_text().c_str()));
      return GST_FLOW_ERROR;
    }
    if (!f.decided) continue;
    f.batch.insert(f.batch.end(), f.values.begin(), f.values.end());
    if (first == GST_CLOCK_TIME_NONE) first = frame_rt;
    last = frame_rt;
    if (post) {
      GstStructure* message = liquid_decision_structure(&segment, frame_rt, f.values, f.quarks);
      gst_structure_set(message, "pad", G_TYPE_STRING, GST_PAD_NAME(pad), nullptr);
      liquid_structure_set_strings(message, "fresh", f.fresh);
      liquid_structure_set_strings(message, "stale", f.stale);
      if (post_states) {
        const Eigen::VectorXf h = engine.state(id);
        liquid_structure_set_floats(message, "states", std::span<const float>(h.data(), size_t(h.size())));
      }
      messages.push_back(message);
    }
  }
  gst_buffer_unmap(buf, &in);
  *done = k >= frames.count;
  gst_liquid_fusion_pad_set_next_frame(pad, *done ? 0 : k, *done ? 0 : k * frames.hop);
  if (f.batch.empty()) return GST_FLOW_OK;
  size_t n = 0;
  for (int s = 0; s < engine.stream_count(); ++s) {
    const Eigen::VectorXf h = engine.state(s);
    std::copy_n(h.data(), h.size(), f.neurons.data() + n);
    n += size_t(h.size());
  }
  *out = nullptr;
  if (f.pool && f.batch.size() == f.values.size()) gst_buffer_pool_acquire_buffer(f.pool, out, nullptr);
  if (*out == nullptr) *out = gst_buffer_new_allocate(nullptr, f.batch.size() * sizeof(float), nullptr);
  gst_buffer_fill(*out, 0, f.batch.data(), f.batch.size() * sizeof(float));
  liquid_decision_add_meta(*out, f.values, f.quarks, f.neurons, last);
  GST_BUFFER_PTS(*out) = first;
  GST_BUFFER_DURATION(*out) = f.batch.size() > f.values.size() ? last - first + frames.hop : GST_CLOCK_TIME_NONE;
  return GST_FLOW_OK;
}

static GstFlowReturn gst_liquid_fusion_aggregate(GstAggregator* agg, gboolean /*timeout*/) {
  auto* self = GST_LIQUID_FUSION(agg);
  Fusion& f = *self->fusion;
  if (!ensure_engine(self)) return GST_FLOW_ERROR;
  if (f.width != f.pool_width && !gst_aggregator_negotiate(agg)) return GST_FLOW_NOT_NEGOTIATED;
  GstClockTime rt = GST_CLOCK_TIME_NONE, until = GST_CLOCK_TIME_NONE;
  bool all_eos = false;
  GstAggregatorPad* pad = earliest_pad(self, &rt, &all_eos, &until);
  if (pad == nullptr) return all_eos ? GST_FLOW_EOS : GST_AGGREGATOR_FLOW_NEED_DATA;
  GstBuffer* buf = gst_aggregator_pad_peek_buffer(pad);
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer* out = nullptr;
  std::vector<GstStructure*>& messages = f.messages;
  messages.clear();
  if (buf) {
    GST_LOG_OBJECT(pad, "frame at running time %" GST_TIME_FORMAT, GST_TIME_ARGS(rt));
    // The buffer's own PTS in running time (rt is its next frame's).
    auto* fusion_pad = GST_LIQUID_FUSION_PAD(pad);
    const GstClockTime buf_rt =
        GST_BUFFER_PTS_IS_VALID(buf) ? gst_liquid_fusion_pad_running_time(fusion_pad, GST_BUFFER_PTS(buf)) : rt;
    bool done = true;
    {
      std::lock_guard<std::mutex> guard(f.lock);
      ret = step(self, f, fusion_pad, buf, buf_rt, until, &out, messages, &done);
    }
    gst_buffer_unref(buf);
    if (done || ret != GST_FLOW_OK) {
      gst_liquid_fusion_pad_set_next_frame(fusion_pad, 0, 0);
      gst_aggregator_pad_drop_buffer(pad);
    }
  }
  gst_object_unref(pad);
  for (GstStructure* message : messages) liquid_post_decision(GST_ELEMENT(self), message);
  messages.clear();
  if (out == nullptr) return ret;
  GST_OBJECT_LOCK(self);
  GST_AGGREGATOR_PAD(GST_AGGREGATOR_SRC_PAD(self))->segment.position = rt;
  GST_OBJECT_UNLOCK(self);
  gst_aggregator_selected_samples(agg, rt, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, nullptr);
  return gst_aggregator_finish_buffer(agg, out);
}

static GstFlowReturn gst_liquid_fusion_update_src_caps(GstAggregator* agg, GstCaps* caps, GstCaps** ret) {
  auto* self = GST_LIQUID_FUSION(agg);
  if (!ensure_engine(self)) return GST_FLOW_ERROR;
  GstCaps* ours = gst_caps_new_simple(LIQUID_DECISION_MEDIA_TYPE, "width", G_TYPE_INT, self->fusion->width, nullptr);
  *ret = gst_caps_intersect(caps, ours);
  gst_caps_unref(ours);
  return gst_caps_is_empty(*ret) ? GST_FLOW_NOT_NEGOTIATED : GST_FLOW_OK;
}

static gboolean gst_liquid_fusion_negotiated_src_caps(GstAggregator* agg, GstCaps* caps) {
  auto* self = GST_LIQUID_FUSION(agg);
  Fusion& f = *self->fusion;
  std::lock_guard<std::mutex> guard(f.lock);
  f.drop_pool();
  f.pool = liquid_float_pool_new(caps, f.width);  // null: buffers are allocated one by one
  f.pool_width = f.width;
  return TRUE;
}

// Caps: the pad's model input width is what the pad wants, but any feature caps are accepted here so
// that the CAPS event can say which widths disagree (else upstream would only see not-negotiated).
static gboolean gst_liquid_fusion_sink_query(GstAggregator* agg, GstAggregatorPad* aggpad, GstQuery* query) {
  auto* self = GST_LIQUID_FUSION(agg);
  if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps* caps = nullptr;
    gst_query_parse_accept_caps(query, &caps);
    GstCaps* templ = gst_pad_get_pad_template_caps(GST_PAD(aggpad));
    gst_query_set_accept_caps_result(query, gst_caps_is_subset(caps, templ));
    gst_caps_unref(templ);
    return TRUE;
  }
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    int width = 0;
    GST_OBJECT_LOCK(self);
    Fusion* f = self->fusion;
    GST_OBJECT_UNLOCK(self);
    if (f) {
      const std::string path = pad_model_path(self, GST_LIQUID_FUSION_PAD(aggpad));
      std::lock_guard<std::mutex> guard(f->lock);
      if (auto it = f->files.find(path); it != f->files.end()) width = it->second->model->input_size();
    }
    GstCaps* caps = width > 0 ? gst_caps_new_simple(LIQUID_FEATURES_MEDIA_TYPE, "width", G_TYPE_INT, width, nullptr)
                              : gst_pad_get_pad_template_caps(GST_PAD(aggpad));
    GstCaps* filter = nullptr;
    gst_query_parse_caps(query, &filter);
    if (filter) {
      GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref(caps);
      caps = both;
    }
    gst_query_set_caps_result(query, caps);
    gst_caps_unref(caps);
    return TRUE;
  }
  return GST_AGGREGATOR_CLASS(gst_liquid_fusion_parent_class)->sink_query(agg, aggpad, query);
}

// The width check, in the upstream thread before the CAPS event is queued: the push of the caps
// (and of every buffer after them) then fails with not-negotiated, and the error names both widths.
static GstFlowReturn gst_liquid_fusion_sink_event_pre_queue(GstAggregator* agg, GstAggregatorPad* aggpad,
                                                            GstEvent* event) {
  auto* self = GST_LIQUID_FUSION(agg);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS && self->fusion) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(event, &caps);
    int width = 0;
    gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
    Fusion& f = *self->fusion;
    std::lock_guard<std::mutex> guard(f.lock);
    const LiquidModelFile* file = model_for_pad(self, f, GST_LIQUID_FUSION_PAD(aggpad));
    if (file == nullptr) {
      gst_event_unref(event);
      return GST_FLOW_ERROR;
    }
    if (width != file->model->input_size()) {
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                        ("liquidfusion: the features on %s are %d wide but model '%s' takes %d inputs",
                         GST_PAD_NAME(aggpad), width, file->path.c_str(), file->model->input_size()),
                        ("caps %" GST_PTR_FORMAT, caps));
      gst_event_unref(event);
      return GST_FLOW_NOT_NEGOTIATED;
    }
  }
  return GST_AGGREGATOR_CLASS(gst_liquid_fusion_parent_class)->sink_event_pre_queue(agg, aggpad, event);
}

// A flush on one pad (every pad, in a flushing seek) starts that pad's cell again.
static gboolean gst_liquid_fusion_sink_event(GstAggregator* agg, GstAggregatorPad* aggpad, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    auto* self = GST_LIQUID_FUSION(agg);
    auto* pad = GST_LIQUID_FUSION_PAD(aggpad);
    gst_liquid_fusion_pad_set_next_frame(pad, 0, 0);  // the queued buffers are gone
    if (self->fusion) {
      std::lock_guard<std::mutex> guard(self->fusion->lock);
      if (self->fusion->engine && pad->stream >= 0 && pad->stream < self->fusion->engine->stream_count()) {
        GST_DEBUG_OBJECT(pad, "flush: cell state reset");
        reset_stream(*self->fusion->engine, pad->stream);
        self->fusion->warned_late[size_t(pad->stream)] = 0;
      }
    }
  }
  return GST_AGGREGATOR_CLASS(gst_liquid_fusion_parent_class)->sink_event(agg, aggpad, event);
}

// ---------------------------------------------------------------------------------------------
// Pads: request/release, and GstChildProxy so that gst-launch can set sink_0::model=...

// The engine is rebuilt for the new set of pads at the next buffer (lock order: Fusion::lock first).
static void mark_dirty(GstLiquidFusion* self) {
  GST_OBJECT_LOCK(self);
  Fusion* f = self->fusion;
  GST_OBJECT_UNLOCK(self);
  if (f) {
    std::lock_guard<std::mutex> guard(f->lock);
    f->dirty = true;
  }
}

static GstPad* gst_liquid_fusion_request_new_pad(GstElement* element, GstPadTemplate* templ, const gchar* name,
                                                 const GstCaps* caps) {
  GstPad* pad = GST_ELEMENT_CLASS(gst_liquid_fusion_parent_class)->request_new_pad(element, templ, name, caps);
  if (pad == nullptr) return nullptr;
  mark_dirty(GST_LIQUID_FUSION(element));
  gst_child_proxy_child_added(GST_CHILD_PROXY(element), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  return pad;
}

static void gst_liquid_fusion_release_pad(GstElement* element, GstPad* pad) {
  mark_dirty(GST_LIQUID_FUSION(element));
  gst_child_proxy_child_removed(GST_CHILD_PROXY(element), G_OBJECT(pad), GST_OBJECT_NAME(pad));
  GST_ELEMENT_CLASS(gst_liquid_fusion_parent_class)->release_pad(element, pad);
}

static GObject* gst_liquid_fusion_child_by_index(GstChildProxy* proxy, guint index) {
  GST_OBJECT_LOCK(proxy);
  gpointer pad = g_list_nth_data(GST_ELEMENT(proxy)->sinkpads, index);
  if (pad) gst_object_ref(pad);
  GST_OBJECT_UNLOCK(proxy);
  return static_cast<GObject*>(pad);
}

static guint gst_liquid_fusion_children_count(GstChildProxy* proxy) {
  GST_OBJECT_LOCK(proxy);
  const guint n = GST_ELEMENT(proxy)->numsinkpads;
  GST_OBJECT_UNLOCK(proxy);
  return n;
}

static void gst_liquid_fusion_child_proxy_init(gpointer g_iface, gpointer) {
  auto* iface = static_cast<GstChildProxyInterface*>(g_iface);
  iface->get_child_by_index = gst_liquid_fusion_child_by_index;
  iface->get_children_count = gst_liquid_fusion_children_count;
}

// ---------------------------------------------------------------------------------------------
// Properties, class and instance

static void gst_liquid_fusion_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_FUSION(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_free(self->model_path); self->model_path = g_value_dup_string(value); break;
    case PROP_FUSION_LOCATION: g_free(self->fusion_path); self->fusion_path = g_value_dup_string(value); break;
    case PROP_TIMEOUT: self->timeout = g_value_get_uint64(value); break;
    case PROP_POST_MESSAGES: self->post_messages = g_value_get_boolean(value); break;
    case PROP_POST_STATES: self->post_states = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_fusion_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_FUSION(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, self->model_path); break;
    case PROP_FUSION_LOCATION: g_value_set_string(value, self->fusion_path); break;
    case PROP_TIMEOUT: g_value_set_uint64(value, self->timeout); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, self->post_messages); break;
    case PROP_POST_STATES: g_value_set_boolean(value, self->post_states); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_fusion_finalize(GObject* object) {
  auto* self = GST_LIQUID_FUSION(object);
  g_free(self->model_path);
  g_free(self->fusion_path);
  delete self->fusion;
  G_OBJECT_CLASS(gst_liquid_fusion_parent_class)->finalize(object);
}

static void gst_liquid_fusion_class_init(GstLiquidFusionClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* agg_class = GST_AGGREGATOR_CLASS(klass);
  gobject_class->set_property = gst_liquid_fusion_set_property;
  gobject_class->get_property = gst_liquid_fusion_get_property;
  gobject_class->finalize = gst_liquid_fusion_finalize;

  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Liquid model file (.safetensors) of every sink pad that sets no model of its own "
                          "(sink_N::model)",
                          nullptr, ready));
  // The head over the pads' outputs concatenated in pad order: tensors "weight" [names, inputs] and
  // "bias" [names] (liquid_fusion_head.h); unset: the mean of the pads' outputs.
  g_object_class_install_property(
      gobject_class, PROP_FUSION_LOCATION,
      g_param_spec_string("fusion-location", "Fusion head location",
                          "Fusion head file (.safetensors: weight [names, sum of the pads' outputs], bias [names]); "
                          "unset: the mean of the pads' outputs (all pads' models must have as many outputs)",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64("timeout", "Timeout",
                          "Nanoseconds without a buffer after which a pad is stale in the decisions (its output "
                          "enters the head as zeros); GST_CLOCK_TIME_NONE (18446744073709551615): never",
                          1, G_MAXUINT64, kDefaultTimeout, ready));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a liquid-decision element message on the bus for every decision", TRUE, playing));
  g_object_class_install_property(
      gobject_class, PROP_POST_STATES,
      g_param_spec_boolean("post-states", "Post states",
                           "Add to each liquid-decision message the hidden state of the cell whose frame made the "
                           "decision (field \"states\", floats; the message's \"pad\" names the cell)",
                           FALSE, playing));

  gst_element_class_add_static_pad_template_with_gtype(element_class, &sink_template, GST_TYPE_LIQUID_FUSION_PAD);
  gst_element_class_add_static_pad_template_with_gtype(element_class, &src_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_set_static_metadata(
      element_class, "Liquid fusion", "Filter/Analyzer",
      "Runs a liquid cell per feature stream (CfC/LTC, each across its own real time gaps) and fuses their latest "
      "outputs into decisions, marking streams that went silent as stale",
      "liquid project");
  element_class->request_new_pad = GST_DEBUG_FUNCPTR(gst_liquid_fusion_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_liquid_fusion_release_pad);

  agg_class->start = GST_DEBUG_FUNCPTR(gst_liquid_fusion_start);
  agg_class->stop = GST_DEBUG_FUNCPTR(gst_liquid_fusion_stop);
  agg_class->aggregate = GST_DEBUG_FUNCPTR(gst_liquid_fusion_aggregate);
  agg_class->get_next_time = GST_DEBUG_FUNCPTR(gst_liquid_fusion_get_next_time);
  agg_class->update_src_caps = GST_DEBUG_FUNCPTR(gst_liquid_fusion_update_src_caps);
  agg_class->negotiated_src_caps = GST_DEBUG_FUNCPTR(gst_liquid_fusion_negotiated_src_caps);
  agg_class->sink_query = GST_DEBUG_FUNCPTR(gst_liquid_fusion_sink_query);
  agg_class->sink_event_pre_queue = GST_DEBUG_FUNCPTR(gst_liquid_fusion_sink_event_pre_queue);
  agg_class->sink_event = GST_DEBUG_FUNCPTR(gst_liquid_fusion_sink_event);
  GST_DEBUG_CATEGORY_INIT(liquid_fusion_debug, "liquidfusion", 0, "liquid fusion");
  gst_type_mark_as_plugin_api(GST_TYPE_LIQUID_FUSION_PAD, GstPluginAPIFlags(0));
}

static void gst_liquid_fusion_init(GstLiquidFusion* self) {
  self->model_path = nullptr;
  self->fusion_path = nullptr;
  self->timeout = kDefaultTimeout;
  self->post_messages = TRUE;
  self->post_states = FALSE;
  self->fusion = nullptr;
}
