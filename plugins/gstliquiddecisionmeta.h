// GstLiquidDecisionMeta: a liquid decision attached to the buffer it belongs to.
//
// Debian 12's GStreamer 1.22 predates the 1.24 analytics metadata, so this is our own GstMeta, with
// fields named as GstAnalyticsClsMtd's so that a later move is mechanical:
//   length             number of entries
//   confidence_levels  per entry: a probability (classification) or a raw value (regression)
//   class_quarks       per entry: the class name as a GQuark, 0 when the model names no classes
// plus the decision's time (the PTS of the frame it came from) and, optionally, the neurons behind it
// (liquidcell: the cell's hidden state h after the step; liquidfusion: every pad's h concatenated in
// pad order), which liquidoverlay plots as traces:
//   n_neurons          number of neuron values (0: none attached)
//   neurons            the values
// The arrays belong to the meta; the meta is copied with the buffer (transform copies everything).
// Small arrays (2 x length + n_neurons <= LIQUID_DECISION_META_INLINE words) live inside the meta,
// so a decision buffer's meta costs no allocation beyond GStreamer's own for the meta.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _GstLiquidDecisionMeta GstLiquidDecisionMeta;

#define LIQUID_DECISION_META_INLINE 160

struct _GstLiquidDecisionMeta {
  GstMeta meta;
  gsize length;
  gfloat* confidence_levels;
  GQuark* class_quarks;
  GstClockTime time;
  gsize n_neurons;
  gfloat* neurons;
  /*< private >*/
  guint32 storage[LIQUID_DECISION_META_INLINE];  // levels, quarks, neurons when they fit
};

GType gst_liquid_decision_meta_api_get_type(void);
#define GST_LIQUID_DECISION_META_API_TYPE (gst_liquid_decision_meta_api_get_type())
const GstMetaInfo* gst_liquid_decision_meta_get_info(void);
#define GST_LIQUID_DECISION_META_INFO (gst_liquid_decision_meta_get_info())

#define gst_buffer_get_liquid_decision_meta(b) \
  ((GstLiquidDecisionMeta*)gst_buffer_get_meta((b), GST_LIQUID_DECISION_META_API_TYPE))

// Adds a meta with copies of `levels` and `quarks` (quarks may be NULL: no class names).
GstLiquidDecisionMeta* gst_buffer_add_liquid_decision_meta(GstBuffer* buffer, gsize length, const gfloat* levels,
                                                           const GQuark* quarks, GstClockTime time);

// Attaches (a copy of) `n` neuron values to `meta`, replacing any there were.
void gst_liquid_decision_meta_set_neurons(GstLiquidDecisionMeta* meta, gsize n, const gfloat* neurons);

// The index of the highest confidence level (-1 when empty), as the analytics API's top class.
gint gst_liquid_decision_meta_get_top(const GstLiquidDecisionMeta* meta);

G_END_DECLS
