// liquidvideofeatures (see gstliquidvideofeatures.h). A GstBaseTransform: one feature buffer per
// video frame.
//   gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! liquidvideofeatures ! fakesink
#include "plugins/gstliquidvideofeatures.h"

#include <gst/video/video.h>

#include <memory>
#include <vector>

#include "encoders/video_features.h"
#include "plugins/liquid_features.h"

GST_DEBUG_CATEGORY_STATIC(liquid_video_features_debug);
#define GST_CAT_DEFAULT liquid_video_features_debug

namespace {

enum { PROP_0, PROP_GRID_COLS, PROP_GRID_ROWS, PROP_GREY, PROP_MOTION, PROP_FLOW, PROP_WORKING_WIDTH };

struct Video {
  std::unique_ptr<liquid::encoders::VideoFeatures> encoder;
  GstVideoInfo info;
  liquid::sensors::TimedSample sample;                 // reused: wraps the mapped frame, no copy
  std::vector<liquid::encoders::FeatureFrame> frames;  // reused
  bool has_last = false;
  GstClockTime last_pts = 0;
  int64_t index = 0;
};

}  // namespace

struct _GstLiquidVideoFeatures {
  GstBaseTransform parent;
  liquid::encoders::VideoFeaturesOptions* options;  // properties (GST_OBJECT_LOCK)
  Video* video;                                     // between start() and stop()
};

G_DEFINE_TYPE(GstLiquidVideoFeatures, gst_liquid_video_features, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(liquidvideofeatures, "liquidvideofeatures", GST_RANK_NONE, GST_TYPE_LIQUID_VIDEO_FEATURES);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE("{ BGR, BGRx, BGRA, GRAY8 }")));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(LIQUID_FEATURES_CAPS));

static gboolean gst_liquid_video_features_start(GstBaseTransform* trans) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  GST_OBJECT_LOCK(self);
  const liquid::encoders::VideoFeaturesOptions options = *self->options;
  GST_OBJECT_UNLOCK(self);
  auto video = std::make_unique<Video>();
  try {
    video->encoder = std::make_unique<liquid::encoders::VideoFeatures>(options);
  } catch (...) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("liquidvideofeatures: %s", liquid_current_exception_text().c_str()),
                      (nullptr));
    return FALSE;
  }
  video->sample.payload = liquid::sensors::VideoFrame{};
  GST_OBJECT_LOCK(self);
  self->video = video.release();
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_liquid_video_features_stop(GstBaseTransform* trans) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  GST_OBJECT_LOCK(self);
  Video* video = self->video;
  self->video = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete video;
  return TRUE;
}

static GstCaps* gst_liquid_video_features_transform_caps(GstBaseTransform* trans, GstPadDirection direction,
                                                         GstCaps* caps, GstCaps* filter) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  GstCaps* out;
  if (direction == GST_PAD_SRC) {
    out = gst_static_pad_template_get_caps(&sink_template);
  } else {
    int width = 0;
    GST_OBJECT_LOCK(self);
    if (self->video) width = self->video->encoder->width();
    GST_OBJECT_UNLOCK(self);
    out = gst_caps_new_empty();
    for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
      GstStructure* s = gst_structure_new_empty(LIQUID_FEATURES_MEDIA_TYPE);
      if (width > 0) gst_structure_set(s, "width", G_TYPE_INT, width, nullptr);
      else gst_structure_set(s, "width", GST_TYPE_INT_RANGE, 1, G_MAXINT, nullptr);
      if (const GValue* rate = gst_structure_get_value(gst_caps_get_structure(caps, i), "framerate"))
        gst_structure_set_value(s, "rate", rate);
      out = gst_caps_merge_structure(out, s);
    }
  }
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, out, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(out);
    out = both;
  }
  return out;
}

static gboolean gst_liquid_video_features_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps*) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  if (!self->video || !gst_video_info_from_caps(&self->video->info, incaps)) return FALSE;
  self->video->encoder->reset();  // a new geometry starts a new stream
  self->video->has_last = false;
  return TRUE;
}

static gboolean gst_liquid_video_features_transform_size(GstBaseTransform* trans, GstPadDirection, GstCaps*, gsize,
                                                         GstCaps*, gsize* othersize) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  if (!self->video) return FALSE;
  *othersize = gsize(self->video->encoder->width()) * sizeof(float);
  return TRUE;
}

static gboolean gst_liquid_video_features_decide_allocation(GstBaseTransform* trans, GstQuery* query) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  if (gst_query_get_n_allocation_pools(query) == 0 && self->video)  // our own pool: no allocation per frame
    gst_query_add_allocation_pool(query, nullptr, guint(self->video->encoder->width() * sizeof(float)), 4, 0);
  return GST_BASE_TRANSFORM_CLASS(gst_liquid_video_features_parent_class)->decide_allocation(trans, query);
}

static GstFlowReturn gst_liquid_video_features_transform(GstBaseTransform* trans, GstBuffer* inbuf, GstBuffer* outbuf) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  Video& v = *self->video;
  const GstClockTime pts = GST_BUFFER_PTS(inbuf);
  if (!GST_CLOCK_TIME_IS_VALID(pts) || (v.has_last && pts <= v.last_pts)) {
    GST_ELEMENT_WARNING(self, STREAM, FAILED,
                        ("liquidvideofeatures: frame at %" GST_TIME_FORMAT " does not come after the previous one at %"
                         GST_TIME_FORMAT "; dropped",
                         GST_TIME_ARGS(pts), GST_TIME_ARGS(v.last_pts)),
                        (nullptr));
    return GST_BASE_TRANSFORM_FLOW_DROPPED;
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &v.info, inbuf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("liquidvideofeatures: cannot map a video frame"), (nullptr));
    return GST_FLOW_ERROR;
  }
  const int channels = GST_VIDEO_FRAME_N_COMPONENTS(&frame) == 1 ? 1 : GST_VIDEO_FRAME_COMP_PSTRIDE(&frame, 0);
  auto& vf = std::get<liquid::sensors::VideoFrame>(v.sample.payload);
  vf.image = cv::Mat(GST_VIDEO_FRAME_HEIGHT(&frame), GST_VIDEO_FRAME_WIDTH(&frame), CV_8UC(channels),
                     GST_VIDEO_FRAME_PLANE_DATA(&frame, 0), size_t(GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0)));
  vf.index = v.index++;
  v.sample.time = liquid_time_to_seconds(pts);
  v.frames.clear();
  GstFlowReturn ret = GST_FLOW_OK;
  try {
    v.encoder->encode(v.sample, v.frames);
  } catch (...) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("liquidvideofeatures: %s", liquid_current_exception_text().c_str()),
                      (nullptr));
    ret = GST_FLOW_ERROR;
  }
  vf.image.release();  // drop the view of the frame before unmapping it
  gst_video_frame_unmap(&frame);
  if (ret != GST_FLOW_OK || v.frames.empty()) return ret == GST_FLOW_OK ? GST_FLOW_ERROR : ret;
  v.has_last = true;
  v.last_pts = pts;
  gst_buffer_fill(outbuf, 0, v.frames[0].values.data(), v.frames[0].values.size() * sizeof(float));
  return GST_FLOW_OK;
}

static gboolean gst_liquid_video_features_sink_event(GstBaseTransform* trans, GstEvent* event) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(trans);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP && self->video) {  // a seek: no motion across it
    self->video->encoder->reset();
    self->video->has_last = false;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_liquid_video_features_parent_class)->sink_event(trans, event);
}

static void gst_liquid_video_features_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(object);
  auto& o = *self->options;
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_GRID_COLS: o.grid_cols = g_value_get_int(value); break;
    case PROP_GRID_ROWS: o.grid_rows = g_value_get_int(value); break;
    case PROP_GREY: o.grey = g_value_get_boolean(value); break;
    case PROP_MOTION: o.motion = o.motion_mean = g_value_get_boolean(value); break;
    case PROP_FLOW: o.flow = g_value_get_boolean(value); break;
    case PROP_WORKING_WIDTH: o.working_width = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_video_features_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(object);
  const auto& o = *self->options;
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_GRID_COLS: g_value_set_int(value, o.grid_cols); break;
    case PROP_GRID_ROWS: g_value_set_int(value, o.grid_rows); break;
    case PROP_GREY: g_value_set_boolean(value, o.grey); break;
    case PROP_MOTION: g_value_set_boolean(value, o.motion); break;
    case PROP_FLOW: g_value_set_boolean(value, o.flow); break;
    case PROP_WORKING_WIDTH: g_value_set_int(value, o.working_width); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_video_features_finalize(GObject* object) {
  auto* self = GST_LIQUID_VIDEO_FEATURES(object);
  delete self->options;
  delete self->video;
  G_OBJECT_CLASS(gst_liquid_video_features_parent_class)->finalize(object);
}

static void gst_liquid_video_features_class_init(GstLiquidVideoFeaturesClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = gst_liquid_video_features_set_property;
  gobject_class->get_property = gst_liquid_video_features_get_property;
  gobject_class->finalize = gst_liquid_video_features_finalize;

  const liquid::encoders::VideoFeaturesOptions d;
  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(gobject_class, PROP_GRID_COLS,
      g_param_spec_int("grid-cols", "Grid columns", "Cells across the frame", 1, 256, d.grid_cols, flags));
  g_object_class_install_property(gobject_class, PROP_GRID_ROWS,
      g_param_spec_int("grid-rows", "Grid rows", "Cells down the frame", 1, 256, d.grid_rows, flags));
  g_object_class_install_property(gobject_class, PROP_GREY,
      g_param_spec_boolean("grey", "Grey", "Mean grey level per cell, in [0, 1]", d.grey, flags));
  g_object_class_install_property(gobject_class, PROP_MOTION,
      g_param_spec_boolean("motion", "Motion",
                           "Mean absolute frame difference per cell and over the whole frame, in [0, 1]", d.motion,
                           flags));
  g_object_class_install_property(gobject_class, PROP_FLOW,
      g_param_spec_boolean("flow", "Flow",
                           "Mean Farneback optical flow per cell (x, y) in working pixels per second; about 6x the "
                           "cost of the rest",
                           d.flow, flags));
  g_object_class_install_property(gobject_class, PROP_WORKING_WIDTH,
      g_param_spec_int("working-width", "Working width",
                       "Frames are turned grey and area-averaged down to this width first (aspect kept); 0: full size",
                       0, 16384, d.working_width, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Liquid video features", "Filter/Analyzer/Video",
      "Turns video frames into small feature frames (other/liquid-features): pooled grey grid, motion energy, "
      "optical flow",
      "liquid project");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_liquid_video_features_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_liquid_video_features_stop);
  trans_class->transform_caps = GST_DEBUG_FUNCPTR(gst_liquid_video_features_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_liquid_video_features_set_caps);
  trans_class->transform_size = GST_DEBUG_FUNCPTR(gst_liquid_video_features_transform_size);
  trans_class->decide_allocation = GST_DEBUG_FUNCPTR(gst_liquid_video_features_decide_allocation);
  trans_class->transform = GST_DEBUG_FUNCPTR(gst_liquid_video_features_transform);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_liquid_video_features_sink_event);
  trans_class->passthrough_on_same_caps = FALSE;
  GST_DEBUG_CATEGORY_INIT(liquid_video_features_debug, "liquidvideofeatures", 0, "liquid video features");
}

static void gst_liquid_video_features_init(GstLiquidVideoFeatures* self) {
  self->options = new liquid::encoders::VideoFeaturesOptions();
  self->video = nullptr;
}
