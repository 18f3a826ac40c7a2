// liquidaudiofeatures: raw audio to one other/liquid-features buffer per analysis frame (log-mel or
// MFCC, optionally with deltas), a thin GStreamer face on encoders/audio_features.h.
//
// Each frame's PTS is the centre of its analysis window, computed from the PTS of the input buffer
// that completed it plus the sample offset inside that buffer (not from a sample counter started at
// 0): a gap between input timestamps shows up as the same gap between frame timestamps.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_AUDIO_FEATURES (gst_liquid_audio_features_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidAudioFeatures, gst_liquid_audio_features, GST, LIQUID_AUDIO_FEATURES, GstElement)

GST_ELEMENT_REGISTER_DECLARE(liquidaudiofeatures);

G_END_DECLS
