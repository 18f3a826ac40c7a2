// Shared setup of the plugin tests: GStreamer initialised once, the liquid elements registered
// statically (no plugin scanner: the tests see exactly the code they link, and run under ASan),
// and a few helpers for GstHarness.
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "plugins/liquid_elements.h"

namespace liquid_gst_test {

inline void init() {
  static const bool done = [] {
    gst_init(nullptr, nullptr);
    liquid_gst_register_elements(nullptr);
    return true;
  }();
  (void)done;
}

class GstTest : public ::testing::Test {
 protected:
  void SetUp() override { init(); }
};

// The floats of one buffer.
inline std::vector<float> floats(GstBuffer* buf) {
  GstMapInfo map;
  EXPECT_TRUE(gst_buffer_map(buf, &map, GST_MAP_READ));
  std::vector<float> v(map.size / sizeof(float));
  std::copy_n(reinterpret_cast<const float*>(map.data), v.size(), v.data());
  gst_buffer_unmap(buf, &map);
  return v;
}

inline GstBuffer* float_buffer(const std::vector<float>& values, GstClockTime pts,
                               GstClockTime duration = GST_CLOCK_TIME_NONE) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, values.size() * sizeof(float), nullptr);
  gst_buffer_fill(buf, 0, values.data(), values.size() * sizeof(float));
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DURATION(buf) = duration;
  return buf;
}

// Every buffer the harness has collected so far (caller unrefs).
inline std::vector<GstBuffer*> pull_all(GstHarness* h) {
  std::vector<GstBuffer*> out;
  while (GstBuffer* b = gst_harness_try_pull(h)) out.push_back(b);
  return out;
}

inline void unref_all(std::vector<GstBuffer*>& bufs) {
  for (GstBuffer* b : bufs) gst_buffer_unref(b);
  bufs.clear();
}

// An int field of the harness's current src-pad (output) caps.
inline int sink_caps_int(GstHarness* h, const char* field) {
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  int v = -1;
  if (caps) {
    gst_structure_get_int(gst_caps_get_structure(caps, 0), field, &v);
    gst_caps_unref(caps);
  }
  return v;
}

// The first ERROR message on `bus` (its text), or "" when there is none.
inline std::string bus_error(GstBus* bus) {
  std::string text;
  while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
    GError* err = nullptr;
    gst_message_parse_error(m, &err, nullptr);
    if (text.empty() && err) text = err->message;
    g_clear_error(&err);
    gst_message_unref(m);
  }
  return text;
}

inline std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("liquid_gst_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace liquid_gst_test
