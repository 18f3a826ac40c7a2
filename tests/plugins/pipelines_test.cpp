// Whole pipelines of liquidseriessrc ! liquidfusion ! fakesink:
// - a real flushing seek: the source restarts at the first row at or after the seek position, the
//   fusion's cells start afresh, and the decisions after the seek are those of a fresh pipeline on a
//   file that starts at that row;
// - live sources paced on the clock, one dense and one nearly silent: the dense pad's decisions go
//   out on time (within the latency) instead of waiting for the silent pad, which is marked stale.
#include <cmath>
#include <fstream>
#include <sstream>

#include "lfm/model.h"
#include "sensors/csv_series.h"
#include "tests/plugins/gst_test_util.h"

namespace {

using namespace liquid_gst_test;

struct Decided {
  GstClockTime pts;
  std::vector<float> values;
  bool operator==(const Decided&) const = default;
};

void on_handoff(GstElement*, GstBuffer* buf, GstPad*, gpointer user) {
  static_cast<std::vector<Decided>*>(user)->push_back({GST_BUFFER_PTS(buf), floats(buf)});
}

struct Arrival {
  GstClockTime pts;
  gint64 wall_us;  // g_get_monotonic_time() when the sink got it
};

void on_live_handoff(GstElement*, GstBuffer* buf, GstPad*, gpointer user) {
  static_cast<std::vector<Arrival>*>(user)->push_back({GST_BUFFER_PTS(buf), g_get_monotonic_time()});
}

// Waits for EOS (or an error, which fails the test); FALSE on a timeout.
bool wait_eos(GstElement* pipeline) {
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  if (m == nullptr) return false;
  const bool eos = GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
  if (!eos) {
    GError* error = nullptr;
    gst_message_parse_error(m, &error, nullptr);
    ADD_FAILURE() << "pipeline error: " << (error ? error->message : "?");
    g_clear_error(&error);
  }
  gst_message_unref(m);
  return eos;
}

GstElement* pipeline(const std::string& csv, const std::string& model, std::vector<Decided>& out) {
  const std::string launch = "liquidseriessrc location=\"" + csv + "\" ! f.sink_0 liquidfusion name=f model=\"" + model +
                             "\" ! fakesink name=sink sync=false signal-handoffs=true";
  GError* error = nullptr;
  GstElement* p = gst_parse_launch(launch.c_str(), &error);
  EXPECT_EQ(error, nullptr) << (error ? error->message : "");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &out);
  gst_object_unref(sink);
  return p;
}

class Pipelines : public GstTest {};

TEST_F(Pipelines, AFlushingSeekRestartsTheRowsAndTheCells) {
  const std::string csv = std::string(LIQUID_TEST_DATA) + "/series/occupancy_datatest_head.txt";
  const auto series = liquid::sensors::read_csv_series(csv, liquid::sensors::CsvOptions{});
  liquid::lfm::ModelConfig config;
  config.cell = liquid::lfm::CellKind::kCfc;
  config.input_size = int(series.width() * 3);  // values, masks, time since
  config.cfc.input_size = config.input_size;
  config.cfc.units = 6;
  config.cfc.backbone_units = 8;
  config.proj_size = 2;
  const std::string model = (temp_dir() / "seek_model.safetensors").string();
  liquid::lfm::Model(config, 4).save(model);

  // The seek target: row 10's time after the first row's (rows are about a minute apart).
  constexpr size_t kRow = 10;
  const GstClockTime target = GstClockTime(std::llround((series.times[kRow] - series.times[0]) * GST_SECOND));

  std::vector<Decided> seeked;
  GstElement* p = pipeline(csv, model, seeked);
  ASSERT_EQ(gst_element_set_state(p, GST_STATE_PAUSED), GST_STATE_CHANGE_ASYNC);
  ASSERT_EQ(gst_element_get_state(p, nullptr, nullptr, 10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  ASSERT_TRUE(gst_element_seek_simple(p, GST_FORMAT_TIME, GstSeekFlags(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE),
                                      target));
  ASSERT_EQ(gst_element_get_state(p, nullptr, nullptr, 10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state(p, GST_STATE_PLAYING);
  ASSERT_TRUE(wait_eos(p));
  gint64 duration = -1;
  EXPECT_TRUE(gst_element_query_duration(p, GST_FORMAT_TIME, &duration));
  EXPECT_EQ(duration, gint64(std::llround((series.times.back() - series.times.front()) * GST_SECOND)));
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);

  // The same rows from a file that starts at row 10: a fresh cell from its first row on.
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  std::ostringstream tail;
  tail << header << "\n";
  for (size_t row = 0; std::getline(in, line); ++row)
    if (row >= kRow) tail << line << "\n";
  const std::string tail_csv = (temp_dir() / "seek_tail.csv").string();
  std::ofstream(tail_csv) << tail.str();
  std::vector<Decided> fresh;
  p = pipeline(tail_csv, model, fresh);
  gst_element_set_state(p, GST_STATE_PLAYING);
  ASSERT_TRUE(wait_eos(p));
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);

  ASSERT_EQ(fresh.size(), series.rows() - kRow);
  // After a flushing seek the running time starts again at 0, and so do liquidfusion's PTS.
  ASSERT_EQ(seeked.size(), fresh.size());
  for (size_t k = 0; k < fresh.size(); ++k) {
    EXPECT_EQ(seeked[k].pts, fresh[k].pts) << "decision " << k;
    EXPECT_EQ(seeked[k].values, fresh[k].values) << "decision " << k;
  }
}

TEST_F(Pipelines, LiveSourcesDecideOnTimeWithoutWaitingForASilentPad) {
  // sink_0: a reading every 0.1 s for 2 s; sink_1: readings at 0 s and 1.9 s only.
  std::ostringstream dense, sparse;
  dense << "time,a\n";
  for (int k = 0; k < 20; ++k) dense << 0.1 * k << "," << std::sin(0.3 * k) << "\n";
  sparse << "time,b\n0,1\n1.9,2\n";
  const std::string dense_csv = (temp_dir() / "live_dense.csv").string(), sparse_csv = (temp_dir() / "live_sparse.csv").string();
  std::ofstream(dense_csv) << dense.str();
  std::ofstream(sparse_csv) << sparse.str();
  liquid::lfm::ModelConfig config;
  config.cell = liquid::lfm::CellKind::kCfc;
  config.input_size = 3;  // value, mask, time since
  config.cfc.input_size = 3;
  config.cfc.units = 4;
  config.cfc.backbone_units = 8;
  config.proj_size = 2;
  const std::string model = (temp_dir() / "live_model.safetensors").string();
  liquid::lfm::Model(config, 2).save(model);

  const std::string launch =
      "liquidfusion name=f model=\"" + model + "\" latency=100000000 timeout=500000000 ! "
      "fakesink name=sink sync=true signal-handoffs=true "
      "liquidseriessrc is-live=true location=\"" + dense_csv + "\" ! f.sink_0 "
      "liquidseriessrc is-live=true location=\"" + sparse_csv + "\" ! f.sink_1";
  GError* error = nullptr;
  GstElement* p = gst_parse_launch(launch.c_str(), &error);
  ASSERT_EQ(error, nullptr) << error->message;
  std::vector<Arrival> arrivals;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_live_handoff), &arrivals);
  gst_object_unref(sink);
  GstBus* bus = gst_element_get_bus(p);
  gst_element_set_state(p, GST_STATE_PLAYING);
  const gint64 start_us = g_get_monotonic_time();
  // The decisions that name sink_1 stale, from the bus.
  int stale_sink_1 = 0, decisions = 0;
  bool eos = false;
  while (!eos) {
    GstMessage* m = gst_bus_timed_pop_filtered(bus, 10 * GST_SECOND,
                                               GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT));
    ASSERT_NE(m, nullptr) << "no EOS within 10 s";
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(m, &e, nullptr);
      ADD_FAILURE() << e->message;
      g_clear_error(&e);
      eos = true;
    } else if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
      eos = true;
    } else if (gst_structure_has_name(gst_message_get_structure(m), "liquid-decision")) {
      ++decisions;
      const GValue* stale = gst_structure_get_value(gst_message_get_structure(m), "stale");
      for (guint i = 0; stale && i < gst_value_array_get_size(stale); ++i)
        stale_sink_1 += std::string(g_value_get_string(gst_value_array_get_value(stale, i))) == "sink_1";
    }
    gst_message_unref(m);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(p);

  EXPECT_EQ(decisions, 22);
  ASSERT_EQ(arrivals.size(), 22u);
  // Rows 0.6 .. 1.8 s of sink_0 come more than the 0.5 s timeout after sink_1's first: stale.
  EXPECT_GE(stale_sink_1, 10);
  // On time: a decision for a frame at running time t reaches the sink before t + latency + 0.5 s of
  // slack (a loaded machine), so those before 1.3 s before sink_1's second reading (1.9 s) could have
  // released them: a fusion that waited for every pad would be late for all of them.
  int late = 0;
  for (const Arrival& a : arrivals) {
    const double t = double(a.pts) / GST_SECOND;
    const double wall = double(a.wall_us - start_us) * 1e-6;
    if (t < 1.3 && wall > t + 0.1 + 0.5) ++late;
  }
  EXPECT_EQ(late, 0);
}

}  // namespace
