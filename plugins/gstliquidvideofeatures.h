// liquidvideofeatures: raw video to one other/liquid-features buffer per frame (pooled grey grid,
// motion energy, optional dense optical flow), a thin GStreamer face on encoders/video_features.h.
// Each feature buffer keeps its frame's PTS and DURATION. Accepts BGR, BGRx, BGRA and GRAY8 (put
// videoconvert in front for anything else). Frames whose timestamp does not move forward (or is
// missing) are dropped with a warning on the bus: motion and flow need the real gap.
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_VIDEO_FEATURES (gst_liquid_video_features_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidVideoFeatures, gst_liquid_video_features, GST, LIQUID_VIDEO_FEATURES, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(liquidvideofeatures);

G_END_DECLS
