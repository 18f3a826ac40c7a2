// liquidseriessrc: a CSV time series (sensors/csv_series.h) as other/liquid-features buffers, one a
// row, stamped with the rows' real times relative to the first row (irregular rows give irregular
// timestamps; caps rate=0/1), or with absolute-times=true (not live) with the rows' own times, so
// that liquidfusion can put the series on one timeline with other recordings. Each frame is the series encoder's (encoders/series_features.h):
// normalised values, then optional 1/0 observed masks and seconds-since-last-observation channels,
// so a missing value reaches the model as "missing" rather than as a zero reading.
//
// Timing: with is-live=false (default) rows go out as fast as downstream takes them (a sink with
// sync=true still plays them in real time). With is-live=true the source waits on the pipeline
// clock so that row k leaves (t_k - t_0) / speed after the first, and stamps it with the running
// time of the first row plus (t_k - t_0): the real gap, whatever the speed, because cells
// integrate across PTS differences. With speed != 1 use sync=false on the sinks.
#pragma once

#include <gst/base/gstpushsrc.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_LIQUID_SERIES_SRC (gst_liquid_series_src_get_type())
G_DECLARE_FINAL_TYPE(GstLiquidSeriesSrc, gst_liquid_series_src, GST, LIQUID_SERIES_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE(liquidseriessrc);

G_END_DECLS
