// Decision buffers, metas and bus messages (see liquid_decision.h).
#include "plugins/liquid_decision.h"

#include <algorithm>

#include "plugins/gstliquiddecisionmeta.h"
#include "plugins/liquid_features.h"

gboolean liquid_decision_fill_buffer(GstBuffer* buffer, std::span<const float> values, std::span<const GQuark> quarks,
                                     std::span<const float> neurons, GstClockTime pts) {
  GstMapInfo out;
  if (!gst_buffer_map(buffer, &out, GST_MAP_WRITE)) return FALSE;
  const size_t n = std::min(values.size(), out.size / sizeof(float));
  std::copy_n(values.data(), n, reinterpret_cast<float*>(out.data));
  gst_buffer_unmap(buffer, &out);
  liquid_decision_add_meta(buffer, values, quarks, neurons, pts);
  return TRUE;
}

void liquid_decision_add_meta(GstBuffer* buffer, std::span<const float> values, std::span<const GQuark> quarks,
                              std::span<const float> neurons, GstClockTime pts) {
  GstLiquidDecisionMeta* meta = gst_buffer_add_liquid_decision_meta(buffer, values.size(), values.data(),
                                                                    quarks.empty() ? nullptr : quarks.data(), pts);
  if (meta && !neurons.empty()) gst_liquid_decision_meta_set_neurons(meta, neurons.size(), neurons.data());
}

void liquid_structure_set_floats(GstStructure* s, const char* name, std::span<const float> values) {
  GValue array = G_VALUE_INIT, item = G_VALUE_INIT;
  gst_value_array_init(&array, guint(values.size()));
  g_value_init(&item, G_TYPE_FLOAT);
  for (float v : values) {
    g_value_set_float(&item, v);
    gst_value_array_append_value(&array, &item);
  }
  g_value_unset(&item);
  gst_structure_take_value(s, name, &array);
}

GstStructure* liquid_decision_structure(const GstSegment* segment, GstClockTime pts, std::span<const float> values,
                                        std::span<const GQuark> quarks) {
  GstStructure* s = gst_structure_new(
      "liquid-decision", "timestamp", G_TYPE_UINT64, pts, "stream-time", G_TYPE_UINT64,
      gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts), "running-time", G_TYPE_UINT64,
      gst_segment_to_running_time(segment, GST_FORMAT_TIME, pts), "time", G_TYPE_DOUBLE, liquid_time_to_seconds(pts),
      nullptr);
  liquid_structure_set_floats(s, "values", values);
  if (!quarks.empty() && quarks.size() == values.size()) {
    GValue classes = G_VALUE_INIT, item = G_VALUE_INIT;
    gst_value_array_init(&classes, guint(quarks.size()));
    g_value_init(&item, G_TYPE_STRING);
    for (GQuark q : quarks) {
      g_value_set_static_string(&item, g_quark_to_string(q));
      gst_value_array_append_value(&classes, &item);
    }
    g_value_unset(&item);
    gst_structure_take_value(s, "classes", &classes);
    const auto top = size_t(std::max_element(values.begin(), values.end()) - values.begin());
    gst_structure_set(s, "class", G_TYPE_STRING, g_quark_to_string(quarks[top]), "confidence", G_TYPE_DOUBLE,
                      double(values[top]), nullptr);
  }
  return s;
}

void liquid_structure_set_strings(GstStructure* s, const char* name, std::span<const char* const> strings) {
  GValue array = G_VALUE_INIT, item = G_VALUE_INIT;
  gst_value_array_init(&array, guint(strings.size()));
  g_value_init(&item, G_TYPE_STRING);
  for (const char* text : strings) {
    g_value_set_string(&item, text);
    gst_value_array_append_value(&array, &item);
  }
  g_value_unset(&item);
  gst_structure_take_value(s, name, &array);
}

void liquid_post_decision(GstElement* element, GstStructure* s) {
  gst_element_post_message(element, gst_message_new_element(GST_OBJECT(element), s));
}
