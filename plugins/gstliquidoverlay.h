// liquidoverlay: draws the current liquid decision and a few neuron traces onto video frames, in
// place (video/x-raw BGRx, BGRA, RGBx, RGBA, BGR, RGB), with OpenCV.
//
// Where decisions come from, in this order:
//   1. a GstLiquidDecisionMeta on the video buffer itself (an element upstream on the same buffer
//      path attached it);
//   2. the `decision_sink` pad (other/liquid-decision, optional to link): the decision buffers of a
//      liquidcell or liquidfusion running on a branch of the same video (tee). Each frame shows the
//      latest decision whose running time is not after the frame's; the pad never blocks and never
//      waits for a decision (a frame whose decision is not there yet keeps the previous one), and
//      its events (EOS, segments) stay inside the element.
// What is drawn, in a panel at (x, y) of `width` pixels on a darkened background: the top class and
// its probability (or "values"), one bar per entry (the `max-entries` largest: probabilities from
// 0 to 1; raw values scaled by the largest magnitude), and, when the decision carries neurons (the
// meta's hidden states) and `show-traces` is on, the selected `neurons` over the last
// `trace-seconds`, each scaled to the window's range. Frames before the first decision are left
// untouched.
#pragma once

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_OVERLAY (gst_liquid_overlay_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidOverlay, gst_liquid_overlay, GST, LIQUID_OVERLAY, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(liquidoverlay);

G_END_DECLS
