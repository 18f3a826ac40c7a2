// The media types the liquid elements exchange, and small helpers they share.
//
// other/liquid-features
//   width = (int) [1, MAX]   float32 values per frame (native endianness: little-endian on x86/ARM)
//   rate  = (fraction)       nominal frames per second; 0/1 when frames come irregularly
//   Every buffer holds exactly ONE frame: width x float32, nothing else. Its PTS is the frame's time
//   (for audio, the centre of the analysis window; for a series, the row's time relative to the first
//   row); DURATION is the hop (or GST_CLOCK_TIME_NONE when irregular). One frame a buffer keeps the
//   timestamps exact: a consumer such as liquidcell integrates across PTS differences, so a dropped
//   frame is simply a longer step.
//
// other/liquid-decision
//   width = (int) [1, MAX]   float32 values per decision: probabilities (softmax over the model's
//                            classes, or sigmoid of a single binary logit) or raw regression values
//   One buffer per input frame, with that frame's PTS and DURATION.
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

// Seconds <-> GstClockTime, rounded to the nanosecond.
GstClockTime liquid_seconds_to_time(double seconds);
inline double liquid_time_to_seconds(GstClockTime t) { return static_cast<double>(t) / GST_SECOND; }

// "what(): ..." of the current exception, for GST_ELEMENT_ERROR texts.
std::string liquid_current_exception_text();
