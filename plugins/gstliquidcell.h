// liquidcell: runs a liquid model file (lfm/model.h: CfC, wired CfC or LTC) on an
// other/liquid-features stream, one step per buffer, integrating across each buffer's real gap (the
// PTS difference, so a dropped frame is a longer step; the first buffer after start, a flush or a
// reset integrates 0 s). Outputs one other/liquid-decision buffer per input buffer (with a
// GstLiquidDecisionMeta) and posts a "liquid-decision" element message:
//   liquid-decision, timestamp=(guint64) PTS, stream-time=(guint64), running-time=(guint64),
//     time=(double) PTS in seconds, values=(float)< ... >,
//     and for classification models: classes=(string)< ... >, class=(string) top class,
//     confidence=(double) its probability
//     and with post-states=true: states=(float)< ... >, the cell's hidden state after the step
// Values are probabilities (softmax, or sigmoid of a binary logit) when the model file's metadata
// names classes ("liquid.classes" and "liquid.loss", as `liquid train` writes them), else the raw
// outputs.
//
// Timestamps that go back: the buffer is dropped (the cell never integrates a negative gap) and a
// warning is posted on the bus once per run of such buffers.
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_CELL (gst_liquid_cell_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidCell, gst_liquid_cell, GST, LIQUID_CELL, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(liquidcell);

G_END_DECLS
