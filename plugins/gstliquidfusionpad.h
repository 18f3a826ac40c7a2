// A sink pad of liquidfusion (gstliquidfusion.h): its own model file (sink_N::model=... in
// gst-launch) or, with the element's config, the configuration stream it feeds (sink_N::stream=...),
// where its frames sit on the fused timeline (time-offset), the engine stream it feeds, and how far
// the element has stepped through the buffer queued on it (a buffer of several frames is stepped in
// parts, in time order with the other pads).
#pragma once

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

#include <cstddef>
#include <string>

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_FUSION_PAD (gst_liquid_fusion_pad_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidFusionPad, gst_liquid_fusion_pad, GST, LIQUID_FUSION_PAD, GstAggregatorPad)

struct _GstLiquidFusionPad {
  GstAggregatorPad parent;
  gchar* model_path;  // the "model" property; GST_OBJECT_LOCK of the pad
  gdouble dt_scale;   // the "dt-scale" property; GST_OBJECT_LOCK of the pad
  gchar* stream_name; // the "stream" property; GST_OBJECT_LOCK of the pad
  gdouble time_offset;  // the "time-offset" property, seconds; GST_OBJECT_LOCK of the pad
  int stream;         // the element's engine stream id, or -1 (the element's lock)
  int refused_width;  // the features' width the element refused on this pad, or 0 (the element's lock)
  // The next frame of the queued buffer, and its time after the buffer's PTS (GST_OBJECT_LOCK).
  size_t next_frame;
  GstClockTime next_offset;
};

G_END_DECLS

// The pad's own model file, or "" when it has none (the element's then).
std::string gst_liquid_fusion_pad_model(GstLiquidFusionPad* pad);
double gst_liquid_fusion_pad_dt_scale(GstLiquidFusionPad* pad);
// The configuration stream the pad names, or "" (then sink_N feeds streams[N]).
std::string gst_liquid_fusion_pad_stream(GstLiquidFusionPad* pad);
// Seconds added to the pad's running time to put its frames on the fused timeline.
double gst_liquid_fusion_pad_time_offset(GstLiquidFusionPad* pad);
// `pts` in the pad's segment as running time.
GstClockTime gst_liquid_fusion_pad_running_time(GstLiquidFusionPad* pad, GstClockTime pts);
// The running time of the next frame of a buffer at `pts` (the frames already stepped skipped).
GstClockTime gst_liquid_fusion_pad_next_running_time(GstLiquidFusionPad* pad, GstClockTime pts);
void gst_liquid_fusion_pad_get_next_frame(GstLiquidFusionPad* pad, size_t* frame, GstClockTime* offset);
void gst_liquid_fusion_pad_set_next_frame(GstLiquidFusionPad* pad, size_t frame, GstClockTime offset);
