// The media types the liquid elements exchange, and small helpers they share.
//
// other/liquid-features
//   width = (int) [1, MAX]   float32 values per frame (native endianness: little-endian on x86/ARM)
//   rate  = (fraction)       nominal frames per second; 0/1 when frames come irregularly
//   A buffer holds K >= 1 frames back to back: K x width x float32, nothing else. Its PTS is the
//   first frame's time (for audio, the centre of the analysis window; for a series, the row's time
//   relative to the first row) and frame k's time is PTS + k x DURATION / K, so DURATION is K hops
//   (GST_CLOCK_TIME_NONE when irregular, and then K is 1). Exact timestamps per frame matter: a
//   consumer such as liquidcell integrates across the differences, so a dropped frame is simply a
//   longer step. K = 1 (the default everywhere) gives the lowest latency; producers of regular frames
//   can batch (liquidaudiofeatures frames-per-buffer), which spreads GStreamer's per-buffer cost over
//   K frames when a file is processed as fast as possible.
//
// other/liquid-decision
//   width = (int) [1, MAX]   float32 values per decision: probabilities (softmax over the model's
//                            classes, or sigmoid of a single binary logit) or raw regression values
//   One buffer per feature buffer, with its PTS and DURATION, holding one decision per frame (K x
//   width); its GstLiquidDecisionMeta is the last frame's decision.
#pragma once

#include <gst/gst.h>

#include <string>

#define LIQUID_FEATURES_MEDIA_TYPE "other/liquid-features"
#define LIQUID_DECISION_MEDIA_TYPE "other/liquid-decision"
#define LIQUID_FEATURES_CAPS LIQUID_FEATURES_MEDIA_TYPE ", width = (int) [ 1, MAX ]"
#define LIQUID_DECISION_CAPS LIQUID_DECISION_MEDIA_TYPE ", width = (int) [ 1, MAX ]"

// A pool of `width` float32 buffers, configured and active: the per-frame path takes buffers from it
// instead of allocating. Returns nullptr (after logging) if the pool cannot be configured.
GstBufferPool* liquid_float_pool_new(GstCaps* caps, int width);
// Deactivates and drops `pool` (buffers still out return to it and go with it), and nulls it.
void liquid_float_pool_free(GstBufferPool*& pool);

// The frames of one feature buffer holding `bytes` bytes of `width` float32 frames.
struct LiquidFrames {
  size_t count = 0;
  GstClockTime pts = 0, hop = 0;  // frame k is at pts + k * hop
  GstClockTime time(size_t k) const { return pts + k * hop; }
};
// FALSE when `bytes` is not a positive whole number of frames, or when a buffer of several frames
// has no DURATION to space them by (callers name the element, the pad and the sizes in the error).
gboolean liquid_frames_of(GstBuffer* buffer, size_t bytes, int width, LiquidFrames* frames);

// Seconds <-> GstClockTime, rounded to the nanosecond.
GstClockTime liquid_seconds_to_time(double seconds);
inline double liquid_time_to_seconds(GstClockTime t) { return static_cast<double>(t) / GST_SECOND; }

// "what(): ..." of the current exception, for GST_ELEMENT_ERROR texts.
std::string liquid_current_exception_text();
