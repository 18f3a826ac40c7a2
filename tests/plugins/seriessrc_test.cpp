// liquidseriessrc in a GstHarness: buffers stamped with the rows' real (irregular) times relative to
// the first row (or their own times with absolute-times), missing values masked by the series
// encoder, caps width, live pacing on the clock, a clear error for a bad file.
#include <cmath>
#include <fstream>

#include "sensors/csv_series.h"
#include "tests/plugins/gst_test_util.h"

namespace {

using namespace liquid_gst_test;

class SeriesSrcTest : public GstTest {};

std::string write_csv(const std::string& name, const std::string& text) {
  const auto path = temp_dir() / name;
  std::ofstream(path) << text;
  return path.string();
}

GstHarness* src_harness(const std::string& properties) {
  GstHarness* h = gst_harness_new_parse(("liquidseriessrc " + properties).c_str());
  gst_harness_play(h);
  return h;
}

TEST_F(SeriesSrcTest, OccupancyRowsKeepTheirIrregularTimes) {
  const std::string file = std::string(LIQUID_TEST_DATA) + "/series/occupancy_datatest_head.txt";
  const auto series = liquid::sensors::read_csv_series(file, liquid::sensors::CsvOptions{});
  GstHarness* h = src_harness("location=\"" + file + "\"");
  for (size_t k = 0; k < series.rows(); ++k) {
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr) << "row " << k;
    EXPECT_EQ(GST_BUFFER_PTS(b), GstClockTime(std::llround((series.times[k] - series.times[0]) * GST_SECOND)));
    EXPECT_EQ(gst_buffer_get_size(b), series.width() * 3 * sizeof(float));  // values, masks, time since
    gst_buffer_unref(b);
  }
  EXPECT_EQ(sink_caps_int(h, "width"), int(series.width() * 3));
  // The second row is 59 s after the first, the third 61 s after the second: not resampled.
  EXPECT_NEAR(series.times[1] - series.times[0], 59.0, 1e-9);
  bool eos = false;
  while (GstEvent* e = gst_harness_pull_event(h)) {
    eos = GST_EVENT_TYPE(e) == GST_EVENT_EOS;
    gst_event_unref(e);
    if (eos) break;
  }
  EXPECT_TRUE(eos);
  gst_harness_teardown(h);
}

// absolute-times: each row's own time (here Unix seconds from ISO dates) is its PTS, and the
// duration is the last row's, so that liquidfusion can fuse it with other recordings on one timeline.
TEST_F(SeriesSrcTest, AbsoluteTimesStampRowsWithTheirOwnTimes) {
  const std::string file = std::string(LIQUID_TEST_DATA) + "/series/occupancy_datatest_head.txt";
  const auto series = liquid::sensors::read_csv_series(file, liquid::sensors::CsvOptions{});
  ASSERT_GT(series.times[0], 1.4e9);
  GstHarness* h = src_harness("location=\"" + file + "\" absolute-times=true");
  for (size_t k = 0; k < 3; ++k) {
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr) << "row " << k;
    EXPECT_EQ(GST_BUFFER_PTS(b), GstClockTime(std::llround(series.times[k] * GST_SECOND))) << "row " << k;
    gst_buffer_unref(b);
  }
  gint64 duration = 0;
  ASSERT_TRUE(gst_element_query_duration(h->element, GST_FORMAT_TIME, &duration));
  EXPECT_EQ(GstClockTime(duration), GstClockTime(std::llround(series.times.back() * GST_SECOND)));
  gst_harness_teardown(h);
}

TEST_F(SeriesSrcTest, MissingValuesAreMasked) {
  const std::string file = write_csv("missing.csv", "time,a,b\n0,1.5,2\n0.5,,4\n2.25,3,NA\n");
  GstHarness* h = src_harness("location=\"" + file + "\" columns=a,b");
  // Frame: [a, b, mask_a, mask_b, since_a, since_b]
  const std::vector<std::vector<float>> expected = {
      {1.5f, 2.0f, 1, 1, 0.0f, 0.0f}, {0.0f, 4.0f, 0, 1, 0.5f, 0.5f}, {3.0f, 0.0f, 1, 0, 2.25f, 1.75f}};
  const GstClockTime pts[] = {0, 500 * GST_MSECOND, 2250 * GST_MSECOND};
  for (int k = 0; k < 3; ++k) {
    GstBuffer* b = gst_harness_pull(h);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(b), pts[k]);
    const auto v = floats(b);
    ASSERT_EQ(v.size(), 6u);
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(v[i], expected[k][i]) << "row " << k << " entry " << i;
    gst_buffer_unref(b);
  }
  gst_harness_teardown(h);
}

TEST_F(SeriesSrcTest, LiveSourceWaitsOnTheClock) {
  const std::string file = write_csv("live.csv", "time,a\n10,1\n10.5,2\n12,3\n");
  GstHarness* h = gst_harness_new_parse(("liquidseriessrc is-live=true speed=2 location=\"" + file + "\"").c_str());
  gst_harness_use_testclock(h);
  gst_harness_play(h);
  GstBuffer* b = gst_harness_pull(h);  // the first row leaves at once
  ASSERT_NE(b, nullptr);
  const GstClockTime first = GST_BUFFER_PTS(b);
  gst_buffer_unref(b);
  // The second row waits for 0.5 s / speed 2 on the (test) clock; its PTS keeps the real 0.5 s gap.
  ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  b = gst_harness_pull(h);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(GST_BUFFER_PTS(b) - first, 500 * GST_MSECOND);
  EXPECT_EQ(gst_clock_get_time(GST_ELEMENT_CLOCK(h->element)) - gst_element_get_base_time(h->element),
            first + 250 * GST_MSECOND);
  gst_buffer_unref(b);
  ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  b = gst_harness_pull(h);
  EXPECT_EQ(GST_BUFFER_PTS(b) - first, 2 * GST_SECOND);
  gst_buffer_unref(b);
  gst_harness_teardown(h);
}

TEST_F(SeriesSrcTest, BadFileIsAnElementErrorNamingFileLineAndColumn) {
  const std::string file = write_csv("bad.csv", "time,a\n0,1\n1,oops\n");
  GstElement* src = gst_element_factory_make("liquidseriessrc", nullptr);
  g_object_set(src, "location", file.c_str(), nullptr);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(src, bus);
  EXPECT_EQ(gst_element_set_state(src, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  ASSERT_NE(m, nullptr);
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(m, &err, &debug);
  EXPECT_NE(std::string(err->message).find(file), std::string::npos) << err->message;
  EXPECT_NE(std::string(debug).find("bad.csv:3: column 2"), std::string::npos) << debug;  // CsvError: file, line, column
  g_error_free(err);
  g_free(debug);
  gst_message_unref(m);
  gst_element_set_state(src, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(src);
}

}  // namespace
