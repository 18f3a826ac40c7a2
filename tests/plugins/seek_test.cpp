// A real flushing seek through a playing pipeline, liquidseriessrc ! liquidfusion ! fakesink: the
// source restarts at the first row at or after the seek position, the fusion's cells start afresh,
// and the decisions after the seek are those of a fresh pipeline on a file that starts at that row.
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

class SeekTest : public GstTest {};

TEST_F(SeekTest, AFlushingSeekRestartsTheRowsAndTheCells) {
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

}  // namespace
