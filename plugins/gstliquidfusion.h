// liquidfusion: several other/liquid-features streams (one per modality: audio, video, a sensor
// series, ...) into one fusion head, as liquid's streaming engine does (pipeline/engine.h). A
// GstAggregator with request sink pads sink_%u and one src pad of other/liquid-decision.
//
// Each sink pad runs its own liquid cell: the pad's `model` property, or the element's `model` when
// the pad has none (pads with the same file share one loaded model). A cell steps across the real
// gap between its own pad's buffers (the first buffer, and the first after a flush, integrate 0 s),
// exactly as liquidcell does, with the model file's normalisation applied first. After every step
// the cells' latest outputs, concatenated in pad order, go through the fusion head
// (`fusion-location`, or without it the mean of the pads' outputs; liquid_fusion_head.h).
//
// Decision rule: one decision for every feature frame, whichever pad it came from. Frames are
// stepped in running-time order across the pads that have a buffer queued (a buffer of several
// frames, liquid_features.h, is interleaved frame by frame with the other pads'); the decisions of
// the frames stepped together from one buffer go out in one buffer whose PTS is the first one's
// running time (the output segment starts at 0). A pad whose
// latest buffer is more than `timeout` older than the decision is stale: its output enters the head
// as zeros and it is listed under "stale" (a pad that never delivered is neither fresh nor stale).
//
// Outputs, as liquidcell (liquid_decision.h): the decision buffer, its GstLiquidDecisionMeta (with
// every pad's hidden state concatenated as the neurons) and a "liquid-decision" element message,
// which adds
//   pad=(string) the pad whose buffer made the decision,
//   fresh=(string)< pad names >, stale=(string)< pad names >
//
// Time: buffers without PTS are an error; a buffer whose running time goes back on its pad is
// dropped with one warning on the bus per run (the liquidcell policy); GAP buffers and GAP events
// are consumed without a step. A flush on a pad resets that pad's cell (a flushing seek resets all).
// EOS on one pad: the others go on; EOS goes downstream when every pad is at EOS. Live sources: the
// element waits at most the upstream latency plus its `latency` property for the other pads, then
// decides on what it has, and answers latency queries with that sum (GstAggregator).
// Pads are best requested before data flows: a pad added or removed later restarts every cell.
#pragma once

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

#include "plugins/gstliquidfusionpad.h"

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_FUSION (gst_liquid_fusion_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidFusion, gst_liquid_fusion, GST, LIQUID_FUSION, GstAggregator)

GST_ELEMENT_REGISTER_DECLARE(liquidfusion);

G_END_DECLS
