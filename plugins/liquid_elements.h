// Registers every liquid element with `plugin`, or statically (for the process) when it is null:
// plugin.cpp's plugin_init uses it, and the tests call liquid_gst_register_elements(nullptr).
#pragma once

#include <gst/gst.h>

gboolean liquid_gst_register_elements(GstPlugin* plugin);
