// How the liquid elements that decide (liquidcell, liquidfusion) emit a decision, in one place:
// the other/liquid-decision buffer's floats, its GstLiquidDecisionMeta, and the "liquid-decision"
// element message on the bus:
//   liquid-decision, timestamp=(guint64) PTS, stream-time=(guint64), running-time=(guint64),
//     time=(double) PTS in seconds, values=(float)< ... >,
//     and when the values are class probabilities: classes=(string)< ... >, class=(string) top
//     class, confidence=(double) its probability
// An element adds its own fields to the structure before posting it (liquidfusion: fresh, stale).
#pragma once

#include <gst/gst.h>

#include <span>

// Writes `values` into `buffer` (which holds exactly values.size() floats) and attaches the meta
// (quarks: one per value, or empty; neurons: may be empty). FALSE if the buffer cannot be mapped.
gboolean liquid_decision_fill_buffer(GstBuffer* buffer, std::span<const float> values, std::span<const GQuark> quarks,
                                     std::span<const float> neurons, GstClockTime pts);

// Attaches the meta only (the values are already in the buffer, e.g. one decision per frame).
void liquid_decision_add_meta(GstBuffer* buffer, std::span<const float> values, std::span<const GQuark> quarks,
                              std::span<const float> neurons, GstClockTime pts);

// The message structure above (caller owns it); `segment` converts PTS to stream and running time.
GstStructure* liquid_decision_structure(const GstSegment* segment, GstClockTime pts, std::span<const float> values,
                                        std::span<const GQuark> quarks);

// Adds `name` = (float)< ... > to `s` (liquidcell's "states", the decision's "values").
void liquid_structure_set_floats(GstStructure* s, const char* name, std::span<const float> values);

// Adds `name` = (string)< ... > to `s`.
void liquid_structure_set_strings(GstStructure* s, const char* name, std::span<const char* const> strings);

// Posts `s` (taken) as an element message of `element`.
void liquid_post_decision(GstElement* element, GstStructure* s);
