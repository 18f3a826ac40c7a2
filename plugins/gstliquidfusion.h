// liquidfusion: several other/liquid-features streams (one per modality: audio, video, a sensor
// series, ...) into one fusion head, as liquid's streaming engine does (pipeline/engine.h). A
// GstAggregator with request sink pads sink_%u and one src pad of other/liquid-decision.
//
// Two ways to say what runs:
//  - pads and models: each sink pad runs its own liquid cell: the pad's `model` property, or the
//    element's `model` when the pad has none (pads with the same file share one loaded model), with
//    the pad's `dt-scale` and the element's `timeout`. After every step the cells' latest outputs,
//    concatenated in pad order, go through the fusion head (`fusion-location`, or without it the
//    mean of the pads' outputs; liquid_fusion_head.h). The model file's normalisation is applied
//    to every pad's features first, exactly as liquidcell does.
//  - `config`: a stream configuration, the file `liquid stream` reads (pipeline/stream_config.h):
//    its streams (models, dt_scale, timeout, reset_after), its fusion (e.g. "heads": heads with
//    thresholds and endpointing, rules such as a lights latch, and the reasons of each decision)
//    and its decision mode, set up by the same code as `liquid stream` (liquid_fusion_config.h);
//    its sources and outputs are not used. A pad feeds the stream it names (`sink_N::stream=room`),
//    or without a name sink_N feeds the N-th stream; several pads may feed one stream (one pad a
//    recorded clip). A pad naming no such stream, or features of another width than the stream's
//    model takes, is an element error naming the file, the field and what was expected. Audio and
//    video features are z-scored as the stream's "encoder.normalization" says ("model": the model
//    file's); series features are taken as they come (liquidseriessrc normalization=MODEL does
//    theirs, per channel, as the series encoder of `liquid stream`).
//
// Time: one fused timeline. A frame's time is its running time on its pad plus the pad's
// `time-offset` (seconds; default 0): the engine's clock, the decisions' `time` and the output PTS.
// So streams recorded apart share one timeline as in `liquid stream`: a room log stamped with its
// rows' own times (liquidseriessrc absolute-times=true, Unix seconds), each voice clip on its own
// pad at the time a schedule gives it (time-offset=1422886887.216), a camera file at its
// recording's start. Each stream's cell steps across the gap between its own frames on that
// timeline (the first frame, and the first after a flush, integrate 0 s; with reset_after, a longer
// gap restarts from the zero state).
//
// Decision rule: one decision for every feature frame (or as the configuration's decision mode
// says), whichever pad it came from. Frames are stepped in fused-time order across the pads that
// have a buffer queued (a buffer of several frames, liquid_features.h, is interleaved frame by
// frame with the other pads'; ties go to the lower stream, as `liquid stream` merges its sources);
// the decisions of the frames stepped together from one buffer go out in one buffer whose PTS is the
// first one's fused time (the output segment starts at 0). A fusion with a clock of its own
// (FusionModel::next_wake: a spoken command committed 0.25 s after its last frame) decides at that
// time when the next frame of any pad comes later: that decision goes out first, in a buffer of its
// own at its own time, and its message has no `pad`. After the last frame nothing is woken, as in
// `liquid stream`. A stream whose latest frame is more than its timeout older than the decision is
// stale: its output enters the head as zeros and it is listed under "stale" (a stream that never
// delivered is neither fresh nor stale).
//
// Outputs, as liquidcell (liquid_decision.h): the decision buffer, its GstLiquidDecisionMeta (with
// every stream's hidden state concatenated as the neurons) and a "liquid-decision" element message,
// which adds
//   pad=(string) the pad whose frame made the decision,
//   fresh=(string)< stream names >, stale=(string)< stream names > (pad names without config),
//   explanation=(string) the fusion's reasons as JSON, when it gives them (heads: pipeline/multi_head.h)
// and, with `decisions-location`, a JSON line per decision in a file, the very format of `liquid
// stream`'s outputs.decisions (pipeline/decision_json.h), so the same tools read both.
//
// Buffers without PTS are an error; a frame whose fused time goes back on its stream is dropped with
// one warning on the bus per run (the liquidcell policy); GAP buffers and GAP events are consumed
// without a step. A flush on a pad resets its stream's cell (a flushing seek resets all).
// EOS on one pad: the others go on; EOS goes downstream when every pad is at EOS. Live sources: the
// element waits at most the upstream latency plus its `latency` property for the other pads, then
// decides on what it has, and answers latency queries with that sum (GstAggregator).
// Pads are best requested before data flows: without config, a pad added or removed later restarts
// every cell; with config, a later pad joins the running streams.
#pragma once

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

#include "plugins/gstliquidfusionpad.h"

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_FUSION (gst_liquid_fusion_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidFusion, gst_liquid_fusion, GST, LIQUID_FUSION, GstAggregator)

GST_ELEMENT_REGISTER_DECLARE(liquidfusion);

G_END_DECLS
