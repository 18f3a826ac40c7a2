// liquidfusion (see gstliquidfusion.h). A GstAggregator over pipeline::Engine: one engine stream a
// sink pad (or, with `config`, the configuration's streams, fed by the pads that name them), the
// per-sample decision mode (or the configuration's), staleness from the `timeout` property (or the
// configuration's streams' timeouts).
//   gst-launch-1.0 -m liquidfusion name=f model=audio.safetensors sink_1::model=video.safetensors ! fakesink
//     filesrc location=a.wav ! decodebin ! audioconvert ! liquidaudiofeatures ! f.sink_0
//     filesrc location=v.avi ! decodebin ! videoconvert ! liquidvideofeatures ! f.sink_1
#include "plugins/gstliquidfusion.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/decision_json.h"
#include "pipeline/engine.h"
#include "plugins/liquid_decision.h"
#include "plugins/liquid_features.h"
#include "plugins/liquid_fusion_config.h"
#include "plugins/liquid_fusion_head.h"
#include "plugins/liquid_model_file.h"

GST_DEBUG_CATEGORY_STATIC(liquid_fusion_debug);
#define GST_CAT_DEFAULT liquid_fusion_debug

namespace {

enum {
  PROP_0,
  PROP_MODEL,
  PROP_FUSION_LOCATION,
  PROP_TIMEOUT,
  PROP_POST_MESSAGES,
  PROP_POST_STATES,
  PROP_CONFIG,
  PROP_DECISIONS_LOCATION
};

constexpr GstClockTime kDefaultTimeout = GST_SECOND;

using liquid::pipeline::Engine;

// A decision as the engine's callback copied it: a frame's own, or one the fusion's clock asked for
// before that frame (FusionModel::next_wake: a command committed after its silence).
struct Made {
  double time = 0.0;
  std::vector<float> values;
  std::vector<const char*> fresh, stale;  // into Fusion::names
  std::string explanation;
};

// What the running element owns, from start() to stop(). `lock` guards all of it: the src thread
// steps the engine, the sink pads' threads read models (caps) and reset their cell (flush).
struct Fusion {
  std::mutex lock;
  std::unique_ptr<LiquidFusionConfig> config;     // the `config` file, read at start(); null without
  std::map<std::string, std::shared_ptr<const LiquidModelFile>> files;  // by path; survive rebuilds
  std::unique_ptr<Engine> engine;
  bool dirty = true;                              // pads came or went since the engine was built
  std::vector<std::string> names;                 // stream names by stream id (pad names without config)
  std::vector<const LiquidModelFile*> models;     // without config: by stream id
  std::vector<int> inputs;                        // by stream id: the model's input width
  std::vector<liquid::pipeline::FeatureNormalization> norms;  // by stream id: z-scoring before the cell
  std::vector<liquid::encoders::FeatureFrame> frames;  // one a stream, reused
  std::vector<unsigned char> warned_late;         // by stream id
  std::vector<GQuark> quarks;                     // the head's class names, or empty
  int width = 0;                                  // decision floats
  std::vector<Made> made;                         // the decisions of one engine.process() call ...
  size_t n_made = 0;                              // ... the first n_made (the rest kept for reuse)
  std::vector<float> neurons;
  std::vector<float> batch;                       // the decisions of one output buffer
  std::vector<float> last;                        // the last of them
  std::vector<GstBuffer*> out;                    // the output buffers of one aggregate()
  std::vector<GstStructure*> messages;            // their bus messages, posted outside `lock`
  std::FILE* decisions_file = nullptr;            // decisions-location
  std::unique_ptr<liquid::pipeline::DecisionJson> json;
  GstBufferPool* pool = nullptr;
  int pool_width = 0;

  ~Fusion() {
    drop_pool();
    if (decisions_file) std::fclose(decisions_file);
  }
  void drop_pool() { liquid_float_pool_free(pool); }
};

}  // namespace

struct _GstLiquidFusion {
  GstAggregator parent;
  // Properties (GST_OBJECT_LOCK).
  gchar* model_path;
  gchar* fusion_path;
  gchar* config_path;
  gchar* decisions_path;
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

static unsigned pad_number(GstLiquidFusionPad* pad) {
  return unsigned(g_ascii_strtoull(GST_PAD_NAME(pad) + 5, nullptr, 10));
}

// With config: the configuration stream the pad feeds; posts the error itself and returns -1.
static int config_stream_for_pad(GstLiquidFusion* self, const LiquidFusionConfig& config, GstLiquidFusionPad* pad) {
  try {
    return config.stream_for_pad(GST_PAD_NAME(pad), pad_number(pad), gst_liquid_fusion_pad_stream(pad));
  } catch (...) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("liquidfusion: %s", liquid_current_exception_text().c_str()),
                      ("pad %s, config %s", GST_PAD_NAME(pad), config.file().c_str()));
    return -1;
  }
}

// The decisions of one engine.process() call, copied (the engine reuses its Decision), and written
// to decisions-location as `liquid stream` writes them.
static void record_decision(Fusion& f, const liquid::pipeline::Decision& d) {
  if (f.n_made == f.made.size()) f.made.emplace_back();
  Made& m = f.made[f.n_made++];
  m.time = d.time;
  m.values.assign(d.values.begin(), d.values.end());
  m.fresh.clear();
  m.stale.clear();
  for (int id : d.fresh) m.fresh.push_back(f.names[size_t(id)].c_str());
  for (int id : d.stale) m.stale.push_back(f.names[size_t(id)].c_str());
  m.explanation = d.explanation;
  if (f.decisions_file) std::fputs(f.json->line(d).c_str(), f.decisions_file);
}

// Without config: one engine stream a sink pad, in pad order, and the fusion head over them.
static bool build_pad_engine(GstLiquidFusion* self, Fusion& f, const std::vector<GstLiquidFusionPad*>& pads) {
  GST_OBJECT_LOCK(self);
  const std::string head_path = self->fusion_path ? self->fusion_path : "";
  const GstClockTime timeout = self->timeout;
  GST_OBJECT_UNLOCK(self);
  f.engine.reset();
  f.models.clear();
  f.names.clear();
  f.inputs.clear();
  f.norms.clear();
  for (auto* pad : pads) {
    const LiquidModelFile* file = model_for_pad(self, f, pad);
    if (file == nullptr) return false;
    f.models.push_back(file);
    f.names.emplace_back(GST_PAD_NAME(pad));
    f.inputs.push_back(file->model->input_size());
    f.norms.push_back({file->mean, file->std});  // the model file's normalisation, as liquidcell
  }
  try {
    liquid::pipeline::EngineConfig config;
    config.max_batch = 1;
    config.decisions.mode = liquid::pipeline::DecisionMode::kPerSample;
    auto engine = std::make_unique<Engine>(config);
    std::map<const LiquidModelFile*, int> model_ids;
    for (const auto* file : f.models)
      if (!model_ids.count(file)) model_ids[file] = engine->add_model(file->model);
    int outputs = 0;
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
    }
    auto head = head_path.empty() ? liquid_mean_fusion_head(f.models, f.names)
                                  : liquid_load_fusion_head(head_path, outputs);
    Fusion* fp = &f;
    engine->set_fusion(std::move(head), [fp](const liquid::pipeline::Decision& d) { record_decision(*fp, d); });
    f.engine = std::move(engine);
  } catch (...) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("liquidfusion: cannot set up the fusion of %zu pads%s%s", pads.size(),
                                             head_path.empty() ? "" : " with head ", head_path.c_str()),
                      ("%s", liquid_current_exception_text().c_str()));
    return false;
  }
  for (size_t k = 0; k < pads.size(); ++k) pads[k]->stream = int(k);
  return true;
}

// With config: the configuration's engine, built once (pads that come later only join it), and
// each pad on the stream it names.
static bool build_config_engine(GstLiquidFusion* self, Fusion& f, const std::vector<GstLiquidFusionPad*>& pads) {
  const LiquidFusionConfig& config = *f.config;
  if (!f.engine) {
    try {
      Fusion* fp = &f;
      f.engine = config.make_engine([fp](const liquid::pipeline::Decision& d) { record_decision(*fp, d); });
    } catch (...) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("liquidfusion: cannot set up %s", config.file().c_str()),
                        ("%s", liquid_current_exception_text().c_str()));
      return false;
    }
    f.names.clear();
    f.inputs.clear();
    for (int id = 0; id < f.engine->stream_count(); ++id) {
      f.names.push_back(f.engine->stream_name(id));
      f.inputs.push_back(config.inputs(id));
    }
    f.norms = config.normalization;
  }
  for (auto* pad : pads) {
    const int id = config_stream_for_pad(self, config, pad);
    if (id < 0) return false;
    pad->stream = id;
  }
  return true;
}

// The engine for the pads there are now (with config: the file's engine, built once, and the pads
// mapped onto it), then what follows from its head: the decision's width and class names, the
// JSON writer, a reusable frame per stream.
static bool build_engine(GstLiquidFusion* self, Fusion& f) {
  auto pads = sink_pads(self);
  if (pads.empty()) {
    GST_ELEMENT_ERROR(self, CORE, PAD, ("liquidfusion: no sink pads"), ("request sink_%%u pads and link them"));
    return false;
  }
  const bool rebuilt = !f.config || !f.engine;
  const bool ok = f.config ? build_config_engine(self, f, pads) : build_pad_engine(self, f, pads);
  const size_t pad_count = pads.size();
  unref_pads(pads);
  if (!ok) return false;
  f.dirty = false;
  if (!rebuilt) return true;
  const Engine& engine = *f.engine;
  const auto& head = *engine.fusion();
  f.quarks.clear();
  if (head.kind() == liquid::pipeline::HeadKind::kClasses)
    for (const auto& name : head.names()) f.quarks.push_back(g_quark_from_string(name.c_str()));
  f.width = static_cast<int>(head.names().size());
  f.json = std::make_unique<liquid::pipeline::DecisionJson>(head.names(), f.names);
  const size_t streams = size_t(engine.stream_count());
  f.frames.assign(streams, {});
  f.warned_late.assign(streams, 0);
  int neurons = 0;
  for (size_t id = 0; id < streams; ++id) {
    f.frames[id].stream = int(id);
    f.frames[id].values.resize(size_t(f.inputs[id]));
    neurons += engine.model(engine.stream_config(int(id)).model).state_size();
  }
  f.neurons.resize(size_t(neurons));
  GST_INFO_OBJECT(self, "fusing %zu pads (%zu streams) into %d %s", pad_count, streams, f.width,
                  f.quarks.empty() ? "values" : "classes");
  return true;
}

static bool ensure_engine(GstLiquidFusion* self) {
  Fusion& f = *self->fusion;
  std::lock_guard<std::mutex> guard(f.lock);
  if (!f.dirty) return true;
  if (f.engine && !f.config) GST_WARNING_OBJECT(self, "the sink pads changed while running: every cell starts again");
  return build_engine(self, f);
}

// Forgets one stream's cell: zero state, no last time, no latest output (neither fresh nor stale).
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

static std::string str(const gchar* s) { return s ? s : ""; }

// Reads the config (when set) and loads the models of the pads requested so far, and opens
// decisions-location: a bad file fails the state change, naming the file and the field.
static bool open_fusion(GstLiquidFusion* self, Fusion& fusion) {
  GST_OBJECT_LOCK(self);
  const std::string config = str(self->config_path), model = str(self->model_path), head = str(self->fusion_path),
                    decisions = str(self->decisions_path);
  GST_OBJECT_UNLOCK(self);
  auto pads = sink_pads(self);
  bool ok = true;
  if (!config.empty()) {
    // Why not both: the configuration names a model per stream and the head; a second source of
    // them would be silently ignored, or silently win.
    for (auto* pad : pads)
      if (ok && !gst_liquid_fusion_pad_model(pad).empty()) {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("liquidfusion: %s::model is set as well as config", GST_PAD_NAME(pad)),
                          ("with config=%s the models come from its \"models\" and \"streams\"; unset the pad's model",
                           config.c_str()));
        ok = false;
      }
    if (ok && (!model.empty() || !head.empty())) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("liquidfusion: %s is set as well as config", model.empty() ? "fusion-location" : "model"),
                        ("with config=%s the models and the head come from the file; unset model and fusion-location",
                         config.c_str()));
      ok = false;
    }
    if (ok) {
      try {
        fusion.config = LiquidFusionConfig::read(config);
      } catch (...) {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("liquidfusion: %s", liquid_current_exception_text().c_str()),
                          ("config=%s", config.c_str()));
        ok = false;
      }
    }
    for (auto* pad : pads) ok = ok && config_stream_for_pad(self, *fusion.config, pad) >= 0;
  } else {
    for (auto* pad : pads) ok = ok && model_for_pad(self, fusion, pad) != nullptr;
  }
  unref_pads(pads);
  if (ok && !decisions.empty()) {
    fusion.decisions_file = std::fopen(decisions.c_str(), "w");
    if (fusion.decisions_file == nullptr) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("liquidfusion: cannot write decisions-location '%s'", decisions.c_str()),
                        GST_ERROR_SYSTEM);
      ok = false;
    }
  }
  return ok;
}

static gboolean gst_liquid_fusion_start(GstAggregator* agg) {
  auto* self = GST_LIQUID_FUSION(agg);
  auto fusion = std::make_unique<Fusion>();
  {
    std::lock_guard<std::mutex> guard(fusion->lock);
    if (!open_fusion(self, *fusion)) return FALSE;
  }
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

// A pad's time-offset in nanoseconds: what its running times are shifted by on the fused timeline.
static GstClockTime offset_ns(GstLiquidFusionPad* pad) {
  return liquid_seconds_to_time(gst_liquid_fusion_pad_time_offset(pad));
}

// The pad holding the earliest queued frame on the fused timeline (running time + time-offset; a
// buffer without PTS first, so that its error surfaces; ties to the lower stream id, as `liquid
// stream` merges its sources), with a ref, or null. `running_time`: that frame's running time on
// its pad. `all_eos`: no pad has data or can still get some. `second`: the fused time of the
// earliest queued frame of any other pad (NONE: none queued).
static GstAggregatorPad* earliest_pad(GstLiquidFusion* self, GstClockTime* running_time, bool* all_eos,
                                      GstClockTime* second = nullptr) {
  GstAggregatorPad* best = nullptr;
  GstClockTime best_t = GST_CLOCK_TIME_NONE, best_rt = GST_CLOCK_TIME_NONE, second_t = GST_CLOCK_TIME_NONE;
  *all_eos = true;
  GST_OBJECT_LOCK(self);
  for (GList* l = GST_ELEMENT(self)->sinkpads; l; l = l->next) {
    auto* pad = GST_AGGREGATOR_PAD(l->data);
    auto* fpad = GST_LIQUID_FUSION_PAD(pad);
    GstBuffer* buf = gst_aggregator_pad_peek_buffer(pad);
    if (buf == nullptr) {
      if (!gst_aggregator_pad_is_eos(pad)) *all_eos = false;
      continue;
    }
    *all_eos = false;
    const GstClockTime pts = GST_BUFFER_PTS(buf);
    GstClockTime rt = GST_CLOCK_TIME_IS_VALID(pts) ? gst_liquid_fusion_pad_next_running_time(fpad, pts) : 0;
    // A GAP (a GAP event, queued as an empty buffer) says the pad has nothing until its end: it
    // waits in the queue, keeping the others going, until the others are past that end.
    if (is_gap(buf) && GST_CLOCK_TIME_IS_VALID(rt) && GST_BUFFER_DURATION_IS_VALID(buf)) rt += GST_BUFFER_DURATION(buf);
    gst_buffer_unref(buf);
    const GstClockTime t = GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(rt) ? rt + offset_ns(fpad) : rt;
    const bool earlier = best == nullptr || t < best_t ||
                         (t == best_t && fpad->stream < GST_LIQUID_FUSION_PAD(best)->stream);
    if (earlier) {
      if (best) second_t = best_t;
      best = pad;
      best_t = t;
      best_rt = rt;
    } else if (!GST_CLOCK_TIME_IS_VALID(second_t) || t < second_t) {
      second_t = t;
    }
  }
  if (best) gst_object_ref(best);
  GST_OBJECT_UNLOCK(self);
  *running_time = best_rt;
  if (second) *second = second_t;
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

// One output buffer for f.batch (the decisions of consecutive frames of one input buffer, or one
// decision of the fusion's clock), PTS `pts`, K > 1 decisions spread over K hops; its meta holds
// the last decision, `last`, and the neurons as they are now.
static void push_output(Fusion& f, GstClockTime pts, GstClockTime hop, const std::vector<float>& last) {
  if (f.batch.empty()) return;
  const Engine& engine = *f.engine;
  size_t n = 0;
  for (int s = 0; s < engine.stream_count(); ++s) {
    const Eigen::VectorXf h = engine.state(s);
    std::copy_n(h.data(), h.size(), f.neurons.data() + n);
    n += size_t(h.size());
  }
  const size_t count = f.batch.size() / last.size();
  GstBuffer* out = nullptr;
  if (f.pool && count == 1) gst_buffer_pool_acquire_buffer(f.pool, &out, nullptr);
  if (out == nullptr) out = gst_buffer_new_allocate(nullptr, f.batch.size() * sizeof(float), nullptr);
  gst_buffer_fill(out, 0, f.batch.data(), f.batch.size() * sizeof(float));
  liquid_decision_add_meta(out, last, f.quarks, f.neurons, pts + (count - 1) * hop);
  GST_BUFFER_PTS(out) = pts;
  GST_BUFFER_DURATION(out) = count > 1 ? count * hop : GST_CLOCK_TIME_NONE;
  f.out.push_back(out);
  f.batch.clear();
}

static const float* normalize(const liquid::pipeline::FeatureNormalization& n, const float* x, float* scratch) {
  if (n.mean.empty()) return x;
  for (size_t i = 0; i < n.mean.size(); ++i) scratch[i] = (x[i] - n.mean[i]) / n.std[i];
  return scratch;
}

// Steps the pad's cell with the frames of `buf` (its PTS at running time `rt`) from the pad's next
// frame on, up to the first one after `until` (fused time; at least one frame, all when NONE), so
// that the other pads' frames in between come in time order. Appends the decisions made to f.out
// (buffers) and `messages`, and sets `done` when the buffer has no frames left.
static GstFlowReturn step(GstLiquidFusion* self, Fusion& f, GstLiquidFusionPad* pad, GstBuffer* buf, GstClockTime rt,
                          GstClockTime until, std::vector<GstStructure*>& messages, bool* done) {
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
  const double offset = gst_liquid_fusion_pad_time_offset(pad);
  const GstClockTime shift = liquid_seconds_to_time(offset);
  size_t from = 0;
  GstClockTime from_offset = 0;
  gst_liquid_fusion_pad_get_next_frame(pad, &from, &from_offset);
  const double t = liquid_time_to_seconds(rt + from_offset) + offset;
  if (engine.has_reported(id) && t < engine.last_time(id)) {
    if (!f.warned_late[size_t(id)])
      GST_ELEMENT_WARNING(self, STREAM, FAILED,
                          ("liquidfusion: timestamp on %s went back from %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT
                           " (fused time: running time + time-offset); dropping such buffers",
                           GST_PAD_NAME(pad), GST_TIME_ARGS(liquid_seconds_to_time(engine.last_time(id))),
                           GST_TIME_ARGS(rt + from_offset + shift)),
                          (nullptr));
    f.warned_late[size_t(id)] = 1;
    return GST_FLOW_OK;
  }
  f.warned_late[size_t(id)] = 0;
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
  // Every frame steps the pad's cell at its own time (running time of the buffer + k hops, on the
  // fused timeline). The decisions of consecutive frames go into one output buffer; one the
  // fusion's clock made before a frame (at its own time) gets a buffer of its own.
  f.batch.clear();
  GstClockTime first = GST_CLOCK_TIME_NONE;
  size_t k = from;
  for (; k < frames.count; ++k) {
    const GstClockTime frame_rt = rt + k * frames.hop;
    if (k > from && GST_CLOCK_TIME_IS_VALID(until) && frame_rt + shift > until) break;  // another pad's frame first
    const float* x = normalize(f.norms[size_t(id)], reinterpret_cast<const float*>(in.data) + k * size_t(width),
                               frame.values.data());
    if (x != frame.values.data()) std::copy_n(x, frame.values.size(), frame.values.data());
    frame.time = liquid_time_to_seconds(frame_rt) + offset;
    f.n_made = 0;
    try {
      engine.process(frame);
    } catch (...) {
      gst_buffer_unmap(buf, &in);
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("liquidfusion: the cell of %s failed", GST_PAD_NAME(pad)),
                        ("%s", liquid_current_exception_text().c_str()));
      return GST_FLOW_ERROR;
    }
    for (size_t j = 0; j < f.n_made; ++j) {
      const Made& d = f.made[j];
      const bool by_frame = j + 1 == f.n_made && d.time == frame.time;
      const GstClockTime pts = by_frame ? frame_rt + shift : liquid_seconds_to_time(d.time);
      if (by_frame) {
        if (f.batch.empty()) first = pts;
        f.batch.insert(f.batch.end(), d.values.begin(), d.values.end());
        f.last.assign(d.values.begin(), d.values.end());
      } else {
        push_output(f, first, frames.hop, f.last);  // the frames' decisions before it
        f.batch.assign(d.values.begin(), d.values.end());
        push_output(f, pts, 0, d.values);
      }
      if (post) {
        GstStructure* message = liquid_decision_structure(&segment, pts, d.values, f.quarks);
        if (by_frame) gst_structure_set(message, "pad", G_TYPE_STRING, GST_PAD_NAME(pad), nullptr);
        liquid_structure_set_strings(message, "fresh", d.fresh);
        liquid_structure_set_strings(message, "stale", d.stale);
        if (!d.explanation.empty()) gst_structure_set(message, "explanation", G_TYPE_STRING, d.explanation.c_str(), nullptr);
        if (post_states && by_frame) {
          const Eigen::VectorXf h = engine.state(id);
          liquid_structure_set_floats(message, "states", std::span<const float>(h.data(), size_t(h.size())));
        }
        messages.push_back(message);
      }
    }
  }
  gst_buffer_unmap(buf, &in);
  *done = k >= frames.count;
  gst_liquid_fusion_pad_set_next_frame(pad, *done ? 0 : k, *done ? 0 : k * frames.hop);
  push_output(f, first, frames.hop, f.last);
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
  std::vector<GstStructure*>& messages = f.messages;
  std::vector<GstBuffer*>& out = f.out;
  messages.clear();
  out.clear();
  if (buf) {
    GST_LOG_OBJECT(pad, "frame at running time %" GST_TIME_FORMAT, GST_TIME_ARGS(rt));
    // The buffer's own PTS in running time (rt is its next frame's).
    auto* fusion_pad = GST_LIQUID_FUSION_PAD(pad);
    const GstClockTime buf_rt =
        GST_BUFFER_PTS_IS_VALID(buf) ? gst_liquid_fusion_pad_running_time(fusion_pad, GST_BUFFER_PTS(buf)) : rt;
    bool done = true;
    {
      std::lock_guard<std::mutex> guard(f.lock);
      ret = step(self, f, fusion_pad, buf, buf_rt, until, messages, &done);
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
  if (out.empty() || ret != GST_FLOW_OK) {
    for (GstBuffer* b : out) gst_buffer_unref(b);
    out.clear();
    return ret;
  }
  // The output timeline is the fused one: PTS are running time + the pads' time-offsets.
  const GstClockTime first = GST_BUFFER_PTS(out.front()), last = GST_BUFFER_PTS(out.back());
  GST_OBJECT_LOCK(self);
  GST_AGGREGATOR_PAD(GST_AGGREGATOR_SRC_PAD(self))->segment.position = last;
  GST_OBJECT_UNLOCK(self);
  gst_aggregator_selected_samples(agg, first, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, nullptr);
  if (out.size() == 1) {
    GstBuffer* b = out.front();
    out.clear();
    return gst_aggregator_finish_buffer(agg, b);
  }
  GstBufferList* list = gst_buffer_list_new_sized(guint(out.size()));
  for (GstBuffer* b : out) gst_buffer_list_add(list, b);
  out.clear();
  return gst_aggregator_finish_buffer_list(agg, list);
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

// Caps: the pad's model input width is what the pad wants, but any feature caps are offered and
// accepted here so that the CAPS event can say which widths disagree (had the caps query answered
// with the model's width, a source of fixed width such as liquidseriessrc would fail with a bare
// not-negotiated, naming neither width).
static gboolean gst_liquid_fusion_sink_query(GstAggregator* agg, GstAggregatorPad* aggpad, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps* caps = nullptr;
    gst_query_parse_accept_caps(query, &caps);
    GstCaps* templ = gst_pad_get_pad_template_caps(GST_PAD(aggpad));
    gst_query_set_accept_caps_result(query, gst_caps_is_subset(caps, templ));
    gst_caps_unref(templ);
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
    auto* pad = GST_LIQUID_FUSION_PAD(aggpad);
    std::lock_guard<std::mutex> guard(f.lock);
    // Upstream sends its sticky caps again with every buffer it tries: one error is enough.
    if (width > 0 && width == pad->refused_width) {
      gst_event_unref(event);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    int expected = 0;
    std::string what;  // "FILE: streams[1] 'voice' (model ...)" or "model 'FILE'"
    if (f.config) {
      const int id = config_stream_for_pad(self, *f.config, pad);
      if (id < 0) {
        gst_event_unref(event);
        return GST_FLOW_ERROR;
      }
      expected = f.config->inputs(id);
      what = f.config->file() + ": " + f.config->describe(id);
    } else {
      const LiquidModelFile* file = model_for_pad(self, f, pad);
      if (file == nullptr) {
        gst_event_unref(event);
        return GST_FLOW_ERROR;
      }
      expected = file->model->input_size();
      what = "model '" + file->path + "'";
    }
    if (width != expected) {
      GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                        ("liquidfusion: %s takes %d inputs, but the features on %s are %d wide", what.c_str(), expected,
                         GST_PAD_NAME(aggpad), width),
                        ("caps %" GST_PTR_FORMAT, caps));
      pad->refused_width = width;
      gst_event_unref(event);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    pad->refused_width = 0;
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
    case PROP_CONFIG: g_free(self->config_path); self->config_path = g_value_dup_string(value); break;
    case PROP_DECISIONS_LOCATION: g_free(self->decisions_path); self->decisions_path = g_value_dup_string(value); break;
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
    case PROP_CONFIG: g_value_set_string(value, self->config_path); break;
    case PROP_DECISIONS_LOCATION: g_value_set_string(value, self->decisions_path); break;
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
  g_free(self->config_path);
  g_free(self->decisions_path);
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
                          "enters the head as zeros); GST_CLOCK_TIME_NONE (18446744073709551615): never. With "
                          "config: each stream's \"timeout\" instead",
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

  // The configuration `liquid stream` runs, so that a pipeline and `liquid stream` decide alike from
  // one file (liquid_fusion_config.h says what is taken from it).
  g_object_class_install_property(
      gobject_class, PROP_CONFIG,
      g_param_spec_string("config", "Stream configuration",
                          "Stream configuration JSON (the file `liquid stream` reads): its models, streams (dt_scale, "
                          "timeout, reset_after, encoder normalization of audio and video), fusion (heads, rules, "
                          "reasons) and decision mode; its sources and outputs are not used. Pads feed the streams "
                          "they name (sink_N::stream=NAME) or sink_N the N-th. Excludes model and fusion-location",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_DECISIONS_LOCATION,
      g_param_spec_string("decisions-location", "Decisions location",
                          "Also write every decision to this file as a JSON line, as `liquid stream` writes its "
                          "outputs.decisions (time, values, class, fresh, stale, samples, explanation); unset: none",
                          nullptr, ready));
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
  self->config_path = nullptr;
  self->decisions_path = nullptr;
  self->timeout = kDefaultTimeout;
  self->post_messages = TRUE;
  self->post_states = FALSE;
  self->fusion = nullptr;
}
