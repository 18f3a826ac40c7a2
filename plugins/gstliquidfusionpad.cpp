// liquidfusion's sink pad (see gstliquidfusionpad.h).
#include "plugins/gstliquidfusionpad.h"

namespace {
enum { PROP_0, PROP_MODEL, PROP_DT_SCALE, PROP_STREAM, PROP_TIME_OFFSET };
}  // namespace

G_DEFINE_TYPE(GstLiquidFusionPad, gst_liquid_fusion_pad, GST_TYPE_AGGREGATOR_PAD);

// The properties are set from the application thread and read from the streaming threads.
template <class Read>
static auto under_lock(GstLiquidFusionPad* pad, Read read) {
  GST_OBJECT_LOCK(pad);
  auto value = read();
  GST_OBJECT_UNLOCK(pad);
  return value;
}

std::string gst_liquid_fusion_pad_model(GstLiquidFusionPad* pad) {
  return under_lock(pad, [&] { return std::string(pad->model_path ? pad->model_path : ""); });
}

double gst_liquid_fusion_pad_dt_scale(GstLiquidFusionPad* pad) {
  return under_lock(pad, [&] { return pad->dt_scale; });
}

std::string gst_liquid_fusion_pad_stream(GstLiquidFusionPad* pad) {
  return under_lock(pad, [&] { return std::string(pad->stream_name ? pad->stream_name : ""); });
}

double gst_liquid_fusion_pad_time_offset(GstLiquidFusionPad* pad) {
  return under_lock(pad, [&] { return pad->time_offset; });
}

GstClockTime gst_liquid_fusion_pad_running_time(GstLiquidFusionPad* pad, GstClockTime pts) {
  return under_lock(pad, [&] {
    return gst_segment_to_running_time(&GST_AGGREGATOR_PAD(pad)->segment, GST_FORMAT_TIME, pts);
  });
}

GstClockTime gst_liquid_fusion_pad_next_running_time(GstLiquidFusionPad* pad, GstClockTime pts) {
  return gst_liquid_fusion_pad_running_time(pad, pts + under_lock(pad, [&] { return pad->next_offset; }));
}

void gst_liquid_fusion_pad_get_next_frame(GstLiquidFusionPad* pad, size_t* frame, GstClockTime* offset) {
  GST_OBJECT_LOCK(pad);
  *frame = pad->next_frame;
  *offset = pad->next_offset;
  GST_OBJECT_UNLOCK(pad);
}

void gst_liquid_fusion_pad_set_next_frame(GstLiquidFusionPad* pad, size_t frame, GstClockTime offset) {
  GST_OBJECT_LOCK(pad);
  pad->next_frame = frame;
  pad->next_offset = offset;
  GST_OBJECT_UNLOCK(pad);
}

static void gst_liquid_fusion_pad_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* pad = GST_LIQUID_FUSION_PAD(object);
  GST_OBJECT_LOCK(pad);
  if (id == PROP_MODEL) {
    g_free(pad->model_path);
    pad->model_path = g_value_dup_string(value);
  } else if (id == PROP_DT_SCALE) {
    pad->dt_scale = g_value_get_double(value);
  } else if (id == PROP_STREAM) {
    g_free(pad->stream_name);
    pad->stream_name = g_value_dup_string(value);
  } else if (id == PROP_TIME_OFFSET) {
    pad->time_offset = g_value_get_double(value);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(pad);
}

static void gst_liquid_fusion_pad_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* pad = GST_LIQUID_FUSION_PAD(object);
  GST_OBJECT_LOCK(pad);
  if (id == PROP_MODEL)
    g_value_set_string(value, pad->model_path);
  else if (id == PROP_DT_SCALE)
    g_value_set_double(value, pad->dt_scale);
  else if (id == PROP_STREAM)
    g_value_set_string(value, pad->stream_name);
  else if (id == PROP_TIME_OFFSET)
    g_value_set_double(value, pad->time_offset);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  GST_OBJECT_UNLOCK(pad);
}

static void gst_liquid_fusion_pad_finalize(GObject* object) {
  g_free(GST_LIQUID_FUSION_PAD(object)->model_path);
  g_free(GST_LIQUID_FUSION_PAD(object)->stream_name);
  G_OBJECT_CLASS(gst_liquid_fusion_pad_parent_class)->finalize(object);
}

static void gst_liquid_fusion_pad_class_init(GstLiquidFusionPadClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gst_liquid_fusion_pad_set_property;
  gobject_class->get_property = gst_liquid_fusion_pad_get_property;
  gobject_class->finalize = gst_liquid_fusion_pad_finalize;
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "This pad's liquid model file (.safetensors); unset: the element's model. Not with the element's "
                          "config (its streams name the models)", nullptr,
                          GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_DT_SCALE,
      g_param_spec_double("dt-scale", "Time scale",
                          "This pad's cell steps (gap in seconds) x dt-scale: its model's time unit when it is not "
                          "the second (1/60 for a model trained on gaps in minutes). With the element's config: the "
                          "stream's \"dt_scale\" instead",
                          1e-9, 1e9, 1.0, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_STREAM,
      g_param_spec_string("stream", "Stream",
                          "With the element's config: the name of the configuration stream this pad feeds (several "
                          "pads may feed one stream, e.g. one per audio clip); unset: sink_N feeds the N-th stream",
                          nullptr, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
  // Why seconds as a double: the fused timeline is often Unix time (1.4e9 s), and a clip's place on
  // it is written in seconds in schedules such as samples/smart-home/commands.csv.
  g_object_class_install_property(
      gobject_class, PROP_TIME_OFFSET,
      g_param_spec_double("time-offset", "Time offset",
                          "Seconds added to this pad's running time to place its frames on the fused timeline "
                          "(the engine's clock, the decisions' time and PTS): e.g. the Unix time at which a clip "
                          "starting at 0 was recorded",
                          0.0, 1e12, 0.0, GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)));
}

static void gst_liquid_fusion_pad_init(GstLiquidFusionPad* pad) {
  pad->model_path = nullptr;
  pad->dt_scale = 1.0;
  pad->stream_name = nullptr;
  pad->time_offset = 0.0;
  pad->stream = -1;
  pad->refused_width = 0;
  pad->next_frame = 0;
  pad->next_offset = 0;
}
