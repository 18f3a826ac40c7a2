// liquidcell (see gstliquidcell.h). A GstBaseTransform: one decision buffer per feature buffer,
// holding one decision per frame (liquid_features.h).
//   gst-launch-1.0 -m ... ! liquidaudiofeatures ! liquidcell model=kws.safetensors ! fakesink
#include "plugins/gstliquidcell.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/trace.h"
#include "plugins/liquid_decision.h"
#include "plugins/liquid_features.h"
#include "plugins/liquid_model_file.h"

GST_DEBUG_CATEGORY_STATIC(liquid_cell_debug);
#define GST_CAT_DEFAULT liquid_cell_debug

namespace {

enum { PROP_0, PROP_MODEL, PROP_TRACE_LOCATION, PROP_RESET_ON_DISCONT, PROP_POST_MESSAGES, PROP_POST_STATES, PROP_DT_SCALE };

// Everything loaded from the model file at start(); the streaming thread's alone afterwards.
struct Cell {
  LiquidModelFile file;  // model, classes, output kind, normalisation (liquid_model_file.h)
  liquid::lfm::ModelState state;
  liquid::lfm::ModelWorkspace ws;
  std::vector<float> x;         // the normalised input frame
  std::vector<float> y;         // model outputs
  std::vector<float> decision;  // what goes out: probabilities or values
  std::vector<float> decisions;  // one input buffer's, every frame's decision back to back
  std::vector<GQuark> quarks;   // class names, or empty
  std::unique_ptr<liquid::pipeline::TraceSink> trace;
  bool has_last = false;
  GstClockTime last_pts = 0;
  bool warned_late = false;
  // Output buffers of several decisions (input buffers of several frames): a pool sized for the
  // most frames seen, grown when a larger buffer comes.
  GstBufferPool* batch_pool = nullptr;
  size_t batch_frames = 0;

  Cell() = default;
  Cell(const Cell&) = delete;
  Cell& operator=(const Cell&) = delete;
  ~Cell() { drop_batch_pool(); }
  void drop_batch_pool() {
    liquid_float_pool_free(batch_pool);
    batch_frames = 0;
  }
  const liquid::lfm::Model& model() const { return *file.model; }
  void reset() {
    state = file.model->initial_state();
    has_last = false;
  }
};

}  // namespace

struct _GstLiquidCell {
  GstBaseTransform parent;
  // Properties (GST_OBJECT_LOCK).
  gchar* model_path;
  gchar* trace_location;
  gboolean reset_on_discont;
  gboolean post_messages;
  gboolean post_states;
  gdouble dt_scale;
  Cell* cell;  // between start() and stop()
};

G_DEFINE_TYPE(GstLiquidCell, gst_liquid_cell, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(liquidcell, "liquidcell", GST_RANK_NONE, GST_TYPE_LIQUID_CELL);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(LIQUID_FEATURES_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(LIQUID_DECISION_CAPS));

// Reads the model and what its metadata says about the outputs; posts the error itself.
static Cell* load_cell(GstLiquidCell* self, const std::string& path, const std::string& trace_location) {
  if (path.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("liquidcell: no model file set"),
                      ("set the 'model' property to a .safetensors model file"));
    return nullptr;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("liquidcell: model file '%s' does not exist", path.c_str()),
                      (nullptr));
    return nullptr;
  }
  auto cell = std::make_unique<Cell>();
  try {
    cell->file = liquid_load_model_file(path);
  } catch (...) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("liquidcell: cannot load model '%s'", path.c_str()),
                      ("%s", liquid_current_exception_text().c_str()));
    return nullptr;
  }
  if (!cell->file.warning.empty()) GST_WARNING_OBJECT(self, "%s", cell->file.warning.c_str());
  for (const auto& c : cell->file.classes) cell->quarks.push_back(g_quark_from_string(c.c_str()));
  cell->x.resize(size_t(cell->model().input_size()));
  cell->y.resize(size_t(cell->model().output_size()));
  cell->decision.resize(size_t(cell->file.decision_width()));
  cell->ws = cell->model().make_workspace(1);
  cell->reset();
  if (!trace_location.empty()) {
    liquid::pipeline::TraceLayout layout;
    layout.width = cell->model().state_size();
    liquid::pipeline::TracedStream stream{0, "cell", {}};
    for (int i = 0; i < layout.width; ++i) stream.values.push_back(std::string(1, 'h').append(std::to_string(i)));
    layout.streams.push_back(stream);
    try {
      if (std::filesystem::path(trace_location).extension() == ".csv")
        cell->trace = std::make_unique<liquid::pipeline::CsvTraceWriter>(trace_location, layout);
      else
        cell->trace = std::make_unique<liquid::pipeline::BinaryTraceWriter>(trace_location, layout);
    } catch (...) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("liquidcell: cannot write traces to '%s'", trace_location.c_str()),
                        ("%s", liquid_current_exception_text().c_str()));
      return nullptr;
    }
  }
  GST_INFO_OBJECT(self, "%s: %s, %d inputs, %d outputs", path.c_str(), cell->model().config().describe().c_str(),
                  cell->model().input_size(), cell->model().output_size());
  return cell.release();
}

static gboolean gst_liquid_cell_start(GstBaseTransform* trans) {
  auto* self = GST_LIQUID_CELL(trans);
  GST_OBJECT_LOCK(self);
  const std::string path = self->model_path ? self->model_path : "";
  const std::string trace = self->trace_location ? self->trace_location : "";
  GST_OBJECT_UNLOCK(self);
  Cell* cell = load_cell(self, path, trace);
  if (cell == nullptr) return FALSE;
  GST_OBJECT_LOCK(self);
  self->cell = cell;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_liquid_cell_stop(GstBaseTransform* trans) {
  auto* self = GST_LIQUID_CELL(trans);
  GST_OBJECT_LOCK(self);
  Cell* cell = self->cell;
  self->cell = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete cell;  // closes the trace file
  return TRUE;
}

// Feature caps <-> decision caps: the widths come from the model once it is loaded.
static GstCaps* gst_liquid_cell_transform_caps(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps,
                                               GstCaps* filter) {
  auto* self = GST_LIQUID_CELL(trans);
  int width = 0;
  GST_OBJECT_LOCK(self);
  if (self->cell)
    width = direction == GST_PAD_SINK ? int(self->cell->decision.size()) : self->cell->model().input_size();
  GST_OBJECT_UNLOCK(self);
  GstCaps* out = gst_caps_new_empty();
  for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
    GstStructure* s = gst_structure_new_empty(direction == GST_PAD_SINK ? LIQUID_DECISION_MEDIA_TYPE
                                                                         : LIQUID_FEATURES_MEDIA_TYPE);
    if (width > 0)
      gst_structure_set(s, "width", G_TYPE_INT, width, nullptr);
    else
      gst_structure_set(s, "width", GST_TYPE_INT_RANGE, 1, G_MAXINT, nullptr);
    if (const GValue* rate = gst_structure_get_value(gst_caps_get_structure(caps, i), "rate"))
      gst_structure_set_value(s, "rate", rate);
    out = gst_caps_merge_structure(out, s);
  }
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, out, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(out);
    out = both;
  }
  return out;
}

// Any feature caps are accepted here so that set_caps can say which widths disagree (the default
// check would refuse them silently with not-negotiated).
static gboolean gst_liquid_cell_accept_caps(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps) {
  GstPad* pad = direction == GST_PAD_SINK ? GST_BASE_TRANSFORM_SINK_PAD(trans) : GST_BASE_TRANSFORM_SRC_PAD(trans);
  GstCaps* templ = gst_pad_get_pad_template_caps(pad);
  const gboolean ok = gst_caps_is_subset(caps, templ);
  gst_caps_unref(templ);
  return ok;
}

static gboolean gst_liquid_cell_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps*) {
  auto* self = GST_LIQUID_CELL(trans);
  int width = 0;
  gst_structure_get_int(gst_caps_get_structure(incaps, 0), "width", &width);
  Cell* cell = self->cell;
  if (cell == nullptr) return FALSE;
  if (width != cell->model().input_size()) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION,
                      ("liquidcell: the features are %d wide but model '%s' takes %d inputs", width, cell->file.path.c_str(),
                       cell->model().input_size()),
                      ("caps %" GST_PTR_FORMAT, incaps));
    return FALSE;
  }
  return TRUE;
}

static gboolean gst_liquid_cell_transform_size(GstBaseTransform* trans, GstPadDirection direction, GstCaps*, gsize size,
                                               GstCaps*, gsize* othersize) {
  auto* self = GST_LIQUID_CELL(trans);
  if (self->cell == nullptr || direction != GST_PAD_SINK) return FALSE;
  // One decision per frame; a size that is not whole frames is refused in transform(), by name.
  const size_t frame_bytes = size_t(self->cell->model().input_size()) * sizeof(float);
  *othersize = std::max<size_t>(size / frame_bytes, 1) * self->cell->decision.size() * sizeof(float);
  return TRUE;
}

// Without a pool from downstream, ask the base class for one of our own: no allocation per buffer.
static gboolean gst_liquid_cell_decide_allocation(GstBaseTransform* trans, GstQuery* query) {
  auto* self = GST_LIQUID_CELL(trans);
  if (gst_query_get_n_allocation_pools(query) == 0 && self->cell)
    gst_query_add_allocation_pool(query, nullptr, guint(self->cell->decision.size() * sizeof(float)), 4, 0);
  return GST_BASE_TRANSFORM_CLASS(gst_liquid_cell_parent_class)->decide_allocation(trans, query);
}

// One frame a buffer: the base class's buffer from the pool above. Several: one from our batch pool.
static GstFlowReturn gst_liquid_cell_prepare_output_buffer(GstBaseTransform* trans, GstBuffer* input, GstBuffer** outbuf) {
  auto* self = GST_LIQUID_CELL(trans);
  if (self->cell == nullptr) return GST_FLOW_NOT_NEGOTIATED;
  const size_t frame_bytes = size_t(self->cell->model().input_size()) * sizeof(float);
  const size_t frames = gst_buffer_get_size(input) / frame_bytes;
  if (frames <= 1) return GST_BASE_TRANSFORM_CLASS(gst_liquid_cell_parent_class)->prepare_output_buffer(trans, input, outbuf);
  Cell& cell = *self->cell;
  if (frames > cell.batch_frames) {
    cell.drop_batch_pool();
    cell.batch_pool = liquid_float_pool_new(nullptr, int(frames * cell.decision.size()));
    if (cell.batch_pool == nullptr) return GST_FLOW_ERROR;
    cell.batch_frames = frames;
  }
  const GstFlowReturn ret = gst_buffer_pool_acquire_buffer(cell.batch_pool, outbuf, nullptr);
  if (ret != GST_FLOW_OK) return ret;
  gst_buffer_set_size(*outbuf, gssize(frames * cell.decision.size() * sizeof(float)));
  GST_BASE_TRANSFORM_GET_CLASS(trans)->copy_metadata(trans, input, *outbuf);  // timestamps, flags, metas
  return GST_FLOW_OK;
}

static GstFlowReturn gst_liquid_cell_transform(GstBaseTransform* trans, GstBuffer* inbuf, GstBuffer* outbuf) {
  auto* self = GST_LIQUID_CELL(trans);
  Cell& cell = *self->cell;
  const GstClockTime pts = GST_BUFFER_PTS(inbuf);
  if (!GST_CLOCK_TIME_IS_VALID(pts)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("liquidcell: a feature buffer has no timestamp"),
                      ("the cell integrates across PTS differences, so every buffer needs a PTS"));
    return GST_FLOW_ERROR;
  }
  GST_OBJECT_LOCK(self);
  const bool reset_on_discont = self->reset_on_discont;
  const bool post = self->post_messages;
  const bool post_states = self->post_states;
  const double dt_scale = self->dt_scale;
  GST_OBJECT_UNLOCK(self);
  if (reset_on_discont && GST_BUFFER_IS_DISCONT(inbuf)) cell.reset();
  if (cell.has_last && pts < cell.last_pts) {
    if (!cell.warned_late)
      GST_ELEMENT_WARNING(self, STREAM, FAILED,
                          ("liquidcell: timestamp went back from %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT
                           "; dropping such buffers",
                           GST_TIME_ARGS(cell.last_pts), GST_TIME_ARGS(pts)),
                          (nullptr));
    cell.warned_late = true;
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  cell.warned_late = false;

  const int width = cell.model().input_size();
  const size_t n_out = cell.decision.size();
  GstMapInfo in;
  if (!gst_buffer_map(inbuf, &in, GST_MAP_READ)) return GST_FLOW_ERROR;
  LiquidFrames frames;
  if (!liquid_frames_of(inbuf, in.size, width, &frames)) {
    gst_buffer_unmap(inbuf, &in);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("liquidcell: a feature buffer holds %zu bytes; expected whole frames of %d float32 (%zu bytes "
                       "each), and a DURATION when there are several",
                       in.size, width, size_t(width) * sizeof(float)),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  const size_t out_bytes = frames.count * n_out * sizeof(float);
  if (gst_buffer_get_size(outbuf) < out_bytes) {
    gst_buffer_unmap(inbuf, &in);
    GST_ELEMENT_ERROR(self, CORE, FAILED, ("liquidcell: the output buffer is too small for %zu decisions", frames.count),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  const auto* x_all = reinterpret_cast<const float*>(in.data);
  cell.decisions.resize(frames.count * n_out);  // keeps its capacity: no allocation once warm
  float* decisions = cell.decisions.data();
  const std::span<const float> h(cell.state.h.data(), size_t(cell.state.h.size()));
  for (size_t k = 0; k < frames.count; ++k) {
    const GstClockTime t = frames.time(k);
    const double dt = cell.has_last ? liquid_time_to_seconds(t - cell.last_pts) * dt_scale : 0.0;
    const float* features = cell.file.normalize(x_all + k * size_t(width), cell.x.data());
    cell.model().step(features, dt, cell.state, cell.y.data(), cell.ws);
    cell.has_last = true;
    cell.last_pts = t;
    cell.file.to_decision(cell.y.data(), cell.decision.data());
    std::copy_n(cell.decision.data(), n_out, decisions + k * n_out);
    if (cell.trace) cell.trace->write(liquid_time_to_seconds(t), 0, h);
    if (post) {
      GstStructure* message = liquid_decision_structure(&trans->segment, t, cell.decision, cell.quarks);
      if (post_states) liquid_structure_set_floats(message, "states", h);
      liquid_post_decision(GST_ELEMENT(self), message);
    }
  }
  gst_buffer_unmap(inbuf, &in);
  gst_buffer_fill(outbuf, 0, decisions, out_bytes);
  if (gst_buffer_get_size(outbuf) != out_bytes) gst_buffer_set_size(outbuf, gssize(out_bytes));
  // The meta: the last frame's decision and the neurons behind it.
  liquid_decision_add_meta(outbuf, cell.decision, cell.quarks, h, frames.time(frames.count - 1));
  return GST_FLOW_OK;
}

static gboolean gst_liquid_cell_sink_event(GstBaseTransform* trans, GstEvent* event) {
  auto* self = GST_LIQUID_CELL(trans);
  if (self->cell) {
    if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
      GST_DEBUG_OBJECT(self, "flush: cell state reset");
      self->cell->reset();
    } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && self->cell->trace) {
      self->cell->trace->flush();
    }
  }
  return GST_BASE_TRANSFORM_CLASS(gst_liquid_cell_parent_class)->sink_event(trans, event);
}

static void gst_liquid_cell_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_CELL(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_free(self->model_path); self->model_path = g_value_dup_string(value); break;
    case PROP_TRACE_LOCATION: g_free(self->trace_location); self->trace_location = g_value_dup_string(value); break;
    case PROP_RESET_ON_DISCONT: self->reset_on_discont = g_value_get_boolean(value); break;
    case PROP_POST_MESSAGES: self->post_messages = g_value_get_boolean(value); break;
    case PROP_POST_STATES: self->post_states = g_value_get_boolean(value); break;
    case PROP_DT_SCALE: self->dt_scale = g_value_get_double(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_cell_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_CELL(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, self->model_path); break;
    case PROP_TRACE_LOCATION: g_value_set_string(value, self->trace_location); break;
    case PROP_RESET_ON_DISCONT: g_value_set_boolean(value, self->reset_on_discont); break;
    case PROP_POST_MESSAGES: g_value_set_boolean(value, self->post_messages); break;
    case PROP_POST_STATES: g_value_set_boolean(value, self->post_states); break;
    case PROP_DT_SCALE: g_value_set_double(value, self->dt_scale); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_cell_finalize(GObject* object) {
  auto* self = GST_LIQUID_CELL(object);
  g_free(self->model_path);
  g_free(self->trace_location);
  delete self->cell;
  G_OBJECT_CLASS(gst_liquid_cell_parent_class)->finalize(object);
}

static void gst_liquid_cell_class_init(GstLiquidCellClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = gst_liquid_cell_set_property;
  gobject_class->get_property = gst_liquid_cell_get_property;
  gobject_class->finalize = gst_liquid_cell_finalize;

  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model", "Path of a liquid model file (.safetensors, as `liquid train` writes)",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_TRACE_LOCATION,
      g_param_spec_string("trace-location", "Trace location",
                          "File for the neuron traces (every hidden state after every step): CSV if it ends in "
                          ".csv, else liquid's binary trace format; unset: no traces",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_RESET_ON_DISCONT,
      g_param_spec_boolean("reset-on-discont", "Reset on discont",
                           "Reset the cell state at a DISCONT buffer (else a discontinuity is just a longer step)",
                           FALSE, playing));
  g_object_class_install_property(
      gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean("post-messages", "Post messages",
                           "Post a liquid-decision element message on the bus for every decision", TRUE, playing));
  // For a viewer on the bus (liquid-dashboard sets it): the neuron traces without a trace file.
  g_object_class_install_property(
      gobject_class, PROP_POST_STATES,
      g_param_spec_boolean("post-states", "Post states",
                           "Add the cell's hidden state after the step, states=(float)< ... > (one per neuron), to "
                           "every liquid-decision message (with post-messages)",
                           FALSE, playing));
  g_object_class_install_property(
      gobject_class, PROP_DT_SCALE,
      g_param_spec_double("dt-scale", "Time scale",
                          "The cell steps (PTS gap in seconds) x dt-scale: the model's time unit when it is not the "
                          "second (1/60 for a model trained on gaps in minutes)",
                          1e-9, 1e9, 1.0, ready));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Liquid cell", "Filter/Analyzer",
      "Runs a liquid neural network (CfC/LTC) on feature frames, stepping across the real time between them, "
      "and emits decisions as buffers, metas and bus messages",
      "liquid project");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_liquid_cell_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_liquid_cell_stop);
  trans_class->transform_caps = GST_DEBUG_FUNCPTR(gst_liquid_cell_transform_caps);
  trans_class->accept_caps = GST_DEBUG_FUNCPTR(gst_liquid_cell_accept_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_liquid_cell_set_caps);
  trans_class->transform_size = GST_DEBUG_FUNCPTR(gst_liquid_cell_transform_size);
  trans_class->decide_allocation = GST_DEBUG_FUNCPTR(gst_liquid_cell_decide_allocation);
  trans_class->transform = GST_DEBUG_FUNCPTR(gst_liquid_cell_transform);
  trans_class->prepare_output_buffer = GST_DEBUG_FUNCPTR(gst_liquid_cell_prepare_output_buffer);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_liquid_cell_sink_event);
  trans_class->passthrough_on_same_caps = FALSE;
  GST_DEBUG_CATEGORY_INIT(liquid_cell_debug, "liquidcell", 0, "liquid cell");
}

static void gst_liquid_cell_init(GstLiquidCell* self) {
  self->model_path = nullptr;
  self->trace_location = nullptr;
  self->reset_on_discont = FALSE;
  self->post_messages = TRUE;
  self->post_states = FALSE;
  self->dt_scale = 1.0;
  self->cell = nullptr;
}
