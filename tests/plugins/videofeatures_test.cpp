// liquidvideofeatures in a GstHarness: width from the grid options, PTS kept, motion zero for the
// first frame and positive when the picture changes, frames that do not move forward in time dropped
// with a warning, GRAY8 and BGRx accepted.
#include "tests/plugins/gst_test_util.h"

namespace {

using namespace liquid_gst_test;

class VideoFeaturesTest : public GstTest {};

GstBuffer* frame(int width, int height, int bpp, guint8 value, GstClockTime pts) {
  GstBuffer* b = gst_buffer_new_allocate(nullptr, size_t(width) * height * bpp, nullptr);
  gst_buffer_memset(b, 0, value, gst_buffer_get_size(b));
  GST_BUFFER_PTS(b) = pts;
  GST_BUFFER_DURATION(b) = 40 * GST_MSECOND;
  return b;
}

TEST_F(VideoFeaturesTest, GreyGridAndMotion) {
  GstHarness* h = gst_harness_new_parse("liquidvideofeatures grid-cols=4 grid-rows=3");
  gst_harness_set_src_caps_str(h, "video/x-raw,format=GRAY8,width=64,height=48,framerate=25/1");
  ASSERT_EQ(gst_harness_push(h, frame(64, 48, 1, 51, 0)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(h, frame(64, 48, 1, 102, 40 * GST_MSECOND)), GST_FLOW_OK);
  auto outs = pull_all(h);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(sink_caps_int(h, "width"), 4 * 3 * 2 + 1);  // grey grid, motion grid, motion mean
  EXPECT_EQ(GST_BUFFER_PTS(outs[1]), 40 * GST_MSECOND);
  const auto a = floats(outs[0]), b = floats(outs[1]);
  EXPECT_NEAR(a[0], 0.2f, 1e-6);   // 51 / 255
  EXPECT_FLOAT_EQ(a[12], 0.0f);    // no motion on the first frame
  EXPECT_NEAR(b[0], 0.4f, 1e-6);
  EXPECT_NEAR(b[24], 0.2f, 1e-6);  // motion_mean: |102 - 51| / 255
  unref_all(outs);
  gst_harness_teardown(h);
}

TEST_F(VideoFeaturesTest, BgrxWithStrideAndRepeatedTimestampDropped) {
  GstHarness* h = gst_harness_new_parse("liquidvideofeatures grid-cols=2 grid-rows=2 motion=false");
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "video/x-raw,format=BGRx,width=30,height=20,framerate=10/1");
  ASSERT_EQ(gst_harness_push(h, frame(30, 20, 4, 255, GST_SECOND)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(h, frame(30, 20, 4, 0, GST_SECOND)), GST_FLOW_OK);  // same time: dropped
  auto outs = pull_all(h);
  ASSERT_EQ(outs.size(), 1u);
  const auto v = floats(outs[0]);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NEAR(v[0], 1.0f, 1e-6);
  EXPECT_NE(gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING), nullptr);
  unref_all(outs);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

}  // namespace
