// GstLiquidDecisionMeta (see gstliquiddecisionmeta.h).
#include "plugins/gstliquiddecisionmeta.h"

#include <cstring>

GType gst_liquid_decision_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar* tags[] = {nullptr};  // depends on no property of the buffer's contents
  if (g_once_init_enter(&type)) g_once_init_leave(&type, gst_meta_api_type_register("GstLiquidDecisionMetaAPI", tags));
  return type;
}

static gboolean decision_meta_init(GstMeta* meta, gpointer, GstBuffer*) {
  auto* m = reinterpret_cast<GstLiquidDecisionMeta*>(meta);
  m->length = 0;
  m->confidence_levels = nullptr;
  m->class_quarks = nullptr;
  m->time = GST_CLOCK_TIME_NONE;
  m->n_neurons = 0;
  m->neurons = nullptr;
  return TRUE;
}

static_assert(sizeof(gfloat) == sizeof(guint32) && sizeof(GQuark) == sizeof(guint32), "one storage word an entry");

static bool is_inline(const GstLiquidDecisionMeta* m, const void* p) {
  const auto* word = static_cast<const guint32*>(p);
  return word >= m->storage && word < m->storage + LIQUID_DECISION_META_INLINE;
}

static void free_unless_inline(GstLiquidDecisionMeta* m, void* p) {
  if (p && !is_inline(m, p)) g_free(p);
}

static void decision_meta_free(GstMeta* meta, GstBuffer*) {
  auto* m = reinterpret_cast<GstLiquidDecisionMeta*>(meta);
  free_unless_inline(m, m->confidence_levels);
  free_unless_inline(m, m->class_quarks);
  free_unless_inline(m, m->neurons);
}

static void decision_meta_set(GstLiquidDecisionMeta* m, gsize length, const gfloat* levels, const GQuark* quarks,
                              GstClockTime time) {
  m->length = length;
  if (2 * length <= LIQUID_DECISION_META_INLINE) {
    m->confidence_levels = reinterpret_cast<gfloat*>(m->storage);
    m->class_quarks = m->storage + length;
  } else {
    m->confidence_levels = g_new(gfloat, length);
    m->class_quarks = g_new(GQuark, length);
  }
  std::memcpy(m->confidence_levels, levels, length * sizeof(gfloat));
  if (quarks) std::memcpy(m->class_quarks, quarks, length * sizeof(GQuark));
  else std::memset(m->class_quarks, 0, length * sizeof(GQuark));
  m->time = time;
}

static gboolean decision_meta_transform(GstBuffer* dest, GstMeta* meta, GstBuffer*, GQuark, gpointer) {
  auto* m = reinterpret_cast<GstLiquidDecisionMeta*>(meta);
  GstLiquidDecisionMeta* copy =
      gst_buffer_add_liquid_decision_meta(dest, m->length, m->confidence_levels, m->class_quarks, m->time);
  if (copy && m->n_neurons > 0) gst_liquid_decision_meta_set_neurons(copy, m->n_neurons, m->neurons);
  return copy != nullptr;
}

const GstMetaInfo* gst_liquid_decision_meta_get_info(void) {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo* i = gst_meta_register(GST_LIQUID_DECISION_META_API_TYPE, "GstLiquidDecisionMeta",
                                             sizeof(GstLiquidDecisionMeta), decision_meta_init, decision_meta_free,
                                             decision_meta_transform);
    g_once_init_leave(&info, i);
  }
  return info;
}

GstLiquidDecisionMeta* gst_buffer_add_liquid_decision_meta(GstBuffer* buffer, gsize length, const gfloat* levels,
                                                           const GQuark* quarks, GstClockTime time) {
  g_return_val_if_fail(GST_IS_BUFFER(buffer), nullptr);
  auto* m = reinterpret_cast<GstLiquidDecisionMeta*>(gst_buffer_add_meta(buffer, GST_LIQUID_DECISION_META_INFO, nullptr));
  if (m) decision_meta_set(m, length, levels, quarks, time);
  return m;
}

void gst_liquid_decision_meta_set_neurons(GstLiquidDecisionMeta* meta, gsize n, const gfloat* neurons) {
  g_return_if_fail(meta != nullptr);
  free_unless_inline(meta, meta->neurons);
  meta->n_neurons = n;
  meta->neurons = nullptr;
  if (n == 0) return;
  // After the levels and quarks when they are inline and there is room.
  const gsize used = is_inline(meta, meta->confidence_levels) ? 2 * meta->length : 0;
  meta->neurons = used + n <= LIQUID_DECISION_META_INLINE ? reinterpret_cast<gfloat*>(meta->storage + used) : g_new(gfloat, n);
  std::memcpy(meta->neurons, neurons, n * sizeof(gfloat));
}

gint gst_liquid_decision_meta_get_top(const GstLiquidDecisionMeta* meta) {
  gint top = -1;
  for (gsize i = 0; i < meta->length; ++i)
    if (top < 0 || meta->confidence_levels[i] > meta->confidence_levels[top]) top = gint(i);
  return top;
}
