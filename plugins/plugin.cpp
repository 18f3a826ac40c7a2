// The "liquid" GStreamer plugin: liquid neural networks (LTC/CfC) inside GStreamer pipelines.
// Each element lives in its own gstliquid<name>.{h,cpp}; liquid_elements.cpp registers them.
//   GST_PLUGIN_PATH=build/plugins gst-inspect-1.0 liquid
#include <gst/gst.h>

#include "plugins/liquid_elements.h"

#ifndef PACKAGE
#define PACKAGE "liquid"  // GST_PLUGIN_DEFINE names the plugin's package with it
#endif

static gboolean plugin_init(GstPlugin* plugin) { return liquid_gst_register_elements(plugin); }

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, liquid,
                  "Liquid neural networks (LTC/CfC) on continuous-time feature streams", plugin_init, "0.1.0",
                  GST_LICENSE_UNKNOWN, "liquid", "https://example.invalid/liquid")
