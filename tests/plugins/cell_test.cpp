// liquidcell in a GstHarness, against lfm::Model::step by hand: the step integrates the PTS
// difference (first buffer 0 s), a flush resets the state, a width mismatch fails negotiation naming
// both widths, classification models give probabilities with class names (buffer, meta, bus
// message), timestamps that go back are dropped with a warning, traces are written, EOS passes.
#include <fstream>
#include <numeric>

#include "lfm/model.h"
#include "plugins/gstliquiddecisionmeta.h"
#include "tests/plugins/gst_test_util.h"

namespace {

using namespace liquid_gst_test;
using liquid::lfm::Model;

constexpr int kInputs = 4;

Model tiny_model(int outputs) {
  liquid::lfm::ModelConfig config;
  config.cell = liquid::lfm::CellKind::kCfc;
  config.input_size = kInputs;
  config.cfc.input_size = kInputs;
  config.cfc.units = 5;
  config.cfc.backbone_units = 8;
  config.proj_size = outputs;
  return Model(config, 7);
}

// A model file; with `classes`, metadata as `liquid train` writes it for a classification task.
std::string write_model(const std::string& name, int outputs, const std::vector<std::string>& classes = {}) {
  const auto path = temp_dir() / name;
  auto file = tiny_model(outputs).to_tensors();
  if (!classes.empty()) {
    std::string json = "[";
    for (size_t i = 0; i < classes.size(); ++i) json += (i ? ",\"" : "\"") + classes[i] + "\"";
    file.set_metadata("liquid.classes", json + "]");
    file.set_metadata("liquid.loss", "cross_entropy");
  }
  file.write_file(path);
  return path.string();
}

std::vector<float> input(int k) {
  return {0.1f * k, -0.2f, 0.3f + 0.05f * k, 1.0f - 0.1f * k};
}

GstHarness* cell_harness(const std::string& model, int width = kInputs, GstBus** bus = nullptr,
                         const std::string& properties = "") {
  const std::string launch = "liquidcell model=\"" + model + "\" " + properties;
  GstHarness* h = gst_harness_new_parse(launch.c_str());
  if (bus) {
    *bus = gst_bus_new();
    gst_element_set_bus(h->element, *bus);
  }
  gst_harness_set_src_caps_str(h, ("other/liquid-features,width=" + std::to_string(width)).c_str());
  return h;
}

class CellTest : public GstTest {};

TEST_F(CellTest, IntegratesAcrossPtsDifferences) {
  const std::string path = write_model("values.safetensors", 3);
  GstHarness* h = cell_harness(path);
  const Model model = Model::load(path);
  auto state = model.initial_state();
  auto ws = model.make_workspace(1);
  std::vector<float> y(3);
  const GstClockTime pts[] = {500 * GST_MSECOND, 600 * GST_MSECOND, 850 * GST_MSECOND, 2 * GST_SECOND};
  double last = 0.5;
  for (int k = 0; k < 4; ++k) {
    ASSERT_EQ(gst_harness_push(h, float_buffer(input(k), pts[k])), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    const double t = double(pts[k]) / GST_SECOND;
    const auto x = input(k);
    model.step(x.data(), k == 0 ? 0.0 : t - last, state, y.data(), ws);  // first buffer: dt 0
    last = t;
    EXPECT_EQ(GST_BUFFER_PTS(out), pts[k]);
    const auto got = floats(out);
    ASSERT_EQ(got.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(got[i], y[i]) << "buffer " << k << " output " << i;
    gst_buffer_unref(out);
  }
  EXPECT_EQ(sink_caps_int(h, "width"), 3);
  gst_harness_teardown(h);
}

// A buffer of several frames (PTS + k x DURATION / K each) steps them in turn and gives one decision
// buffer holding a decision per frame, equal to the frames sent one by one; the meta is the last.
// Buffers of 5, then 3, then 8 frames: a smaller one and one larger than any before (the output
// buffers come from a pool sized for the most frames seen).
TEST_F(CellTest, ABufferOfSeveralFramesGivesADecisionPerFrame) {
  const std::string path = write_model("frames.safetensors", 2, {"no", "yes"});
  GstHarness* one = cell_harness(path);
  GstHarness* batched = cell_harness(path);
  constexpr GstClockTime kHop = 20 * GST_MSECOND;
  int first = 0;
  for (const int count : {5, 3, 8}) {
    std::vector<float> frames, expected;
    for (int k = first; k < first + count; ++k) {
      const auto x = input(k);
      frames.insert(frames.end(), x.begin(), x.end());
      ASSERT_EQ(gst_harness_push(one, float_buffer(x, GST_SECOND + k * kHop)), GST_FLOW_OK);
      GstBuffer* out = gst_harness_pull(one);
      const auto v = floats(out);
      expected.insert(expected.end(), v.begin(), v.end());
      gst_buffer_unref(out);
    }
    const GstClockTime pts = GST_SECOND + first * kHop;
    ASSERT_EQ(gst_harness_push(batched, float_buffer(frames, pts, count * kHop)), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(batched);
    EXPECT_EQ(GST_BUFFER_PTS(out), pts);
    EXPECT_EQ(GST_BUFFER_DURATION(out), count * kHop);
    const auto got = floats(out);
    ASSERT_EQ(got.size(), expected.size()) << count << " frames";
    for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << count << " frames, value " << i;
    auto* meta = gst_buffer_get_liquid_decision_meta(out);
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->time, pts + (count - 1) * kHop);
    EXPECT_FLOAT_EQ(meta->confidence_levels[1], expected.back());
    gst_buffer_unref(out);
    first += count;
  }
  // Not whole frames, or several frames without a DURATION: an element error, no crash.
  GstBus* bus = nullptr;
  GstHarness* bad = cell_harness(path, kInputs, &bus);
  EXPECT_EQ(gst_harness_push(bad, float_buffer({1, 2, 3, 4, 5, 6, 7, 8}, 0)), GST_FLOW_ERROR);
  EXPECT_NE(bus_error(bus).find("whole frames of 4 float32"), std::string::npos);
  gst_object_unref(bus);
  gst_harness_teardown(bad);
  gst_harness_teardown(one);
  gst_harness_teardown(batched);
}

// dt-scale: the model's time unit (a model trained on minutes steps gap / 60).
TEST_F(CellTest, DtScaleStepsTheModelsTimeUnit) {
  const std::string path = write_model("minutes.safetensors", 3);
  GstHarness* h = cell_harness(path, kInputs, nullptr, "dt-scale=0.016666666666666666");
  const Model model = Model::load(path);
  auto state = model.initial_state();
  auto ws = model.make_workspace(1);
  std::vector<float> y(3);
  for (int k = 0; k < 3; ++k) {
    ASSERT_EQ(gst_harness_push(h, float_buffer(input(k), k * 60 * GST_SECOND)), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    model.step(input(k).data(), k == 0 ? 0.0 : 1.0, state, y.data(), ws);  // a minute apart: 1 unit
    const auto got = floats(out);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[size_t(i)], y[size_t(i)], 1e-6) << "buffer " << k << " output " << i;
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}

TEST_F(CellTest, FlushResetsTheState) {
  const std::string path = write_model("flush.safetensors", 3);
  GstHarness* h = cell_harness(path);
  for (int k = 0; k < 3; ++k) ASSERT_EQ(gst_harness_push(h, float_buffer(input(k), k * GST_SECOND)), GST_FLOW_OK);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  ASSERT_EQ(gst_harness_push(h, float_buffer(input(5), 30 * GST_SECOND)), GST_FLOW_OK);
  auto outs = pull_all(h);
  ASSERT_EQ(outs.size(), 4u);
  // After the flush: the zero state and dt 0, as a fresh model's first step.
  const Model model = Model::load(path);
  auto state = model.initial_state();
  auto ws = model.make_workspace(1);
  std::vector<float> y(3);
  const auto x = input(5);
  model.step(x.data(), 0.0, state, y.data(), ws);
  const auto got = floats(outs[3]);
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(got[i], y[i]);
  unref_all(outs);
  gst_harness_teardown(h);
}

TEST_F(CellTest, DiscontResetsOnlyWhenAskedTo) {
  const std::string path = write_model("discont.safetensors", 3);
  std::vector<float> last[2];
  for (int reset = 0; reset < 2; ++reset) {
    GstHarness* h = cell_harness(path, kInputs, nullptr, reset ? "reset-on-discont=true" : "");
    ASSERT_EQ(gst_harness_push(h, float_buffer(input(0), 0)), GST_FLOW_OK);
    GstBuffer* b = float_buffer(input(5), GST_SECOND);
    GST_BUFFER_FLAG_SET(b, GST_BUFFER_FLAG_DISCONT);
    ASSERT_EQ(gst_harness_push(h, b), GST_FLOW_OK);
    auto outs = pull_all(h);
    ASSERT_EQ(outs.size(), 2u);
    last[reset] = floats(outs[1]);
    unref_all(outs);
    gst_harness_teardown(h);
  }
  const Model model = Model::load(path);
  auto state = model.initial_state();
  auto ws = model.make_workspace(1);
  std::vector<float> y(3);
  const auto x = input(5);
  model.step(x.data(), 0.0, state, y.data(), ws);  // reset: the zero state, dt 0
  for (int i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(last[1][i], y[i]);
    EXPECT_NE(last[0][i], y[i]);  // no reset: the state of the first buffer carried over 1 s
  }
}

TEST_F(CellTest, WidthMismatchFailsNegotiationNamingBothWidths) {
  const std::string path = write_model("mismatch.safetensors", 3);
  GstBus* bus = nullptr;
  GstHarness* h = cell_harness(path, 7, &bus);
  EXPECT_EQ(gst_harness_push(h, float_buffer(std::vector<float>(7, 0.0f), 0)), GST_FLOW_NOT_NEGOTIATED);
  const std::string error = bus_error(bus);
  EXPECT_NE(error.find("7 wide"), std::string::npos) << error;
  EXPECT_NE(error.find("takes 4 inputs"), std::string::npos) << error;
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

TEST_F(CellTest, ClassificationGivesProbabilitiesMetaAndMessages) {
  const std::string path = write_model("classes.safetensors", 3, {"yes", "no", "silence"});
  GstBus* bus = nullptr;
  GstHarness* h = cell_harness(path, kInputs, &bus);
  ASSERT_EQ(gst_harness_push(h, float_buffer(input(1), GST_SECOND)), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  const auto p = floats(out);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0f), 1.0f, 1e-6);
  const GstLiquidDecisionMeta* meta = gst_buffer_get_liquid_decision_meta(out);
  ASSERT_NE(meta, nullptr);
  ASSERT_EQ(meta->length, 3u);
  EXPECT_STREQ(g_quark_to_string(meta->class_quarks[2]), "silence");
  EXPECT_EQ(meta->time, GST_SECOND);
  const int top = gst_liquid_decision_meta_get_top(meta);
  EXPECT_FLOAT_EQ(meta->confidence_levels[top], *std::max_element(p.begin(), p.end()));

  GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
  ASSERT_NE(m, nullptr);
  const GstStructure* s = gst_message_get_structure(m);
  EXPECT_TRUE(gst_structure_has_name(s, "liquid-decision"));
  guint64 ts = 0;
  EXPECT_TRUE(gst_structure_get_uint64(s, "timestamp", &ts));
  EXPECT_EQ(ts, GST_SECOND);
  const char* cls = gst_structure_get_string(s, "class");
  ASSERT_NE(cls, nullptr);
  EXPECT_STREQ(cls, g_quark_to_string(meta->class_quarks[top]));
  const GValue* classes = gst_structure_get_value(s, "classes");
  ASSERT_NE(classes, nullptr);
  EXPECT_EQ(gst_value_array_get_size(classes), 3u);
  gst_message_unref(m);
  gst_buffer_unref(out);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

// post-states adds the hidden state after the step to the message (what liquid-dashboard shows as
// neuron traces); it is off by default.
TEST_F(CellTest, PostStatesAddsTheHiddenStateToTheMessage) {
  const std::string path = write_model("states.safetensors", 3, {"yes", "no", "silence"});
  const Model model = Model::load(path);
  auto state = model.initial_state();
  auto ws = model.make_workspace(1);
  std::vector<float> y(3);
  const auto x = input(1);
  model.step(x.data(), 0.0, state, y.data(), ws);
  for (const bool on : {false, true}) {
    GstBus* bus = nullptr;
    GstHarness* h = cell_harness(path, kInputs, &bus, on ? "post-states=true" : "");
    ASSERT_EQ(gst_harness_push(h, float_buffer(x, GST_SECOND)), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(h));
    GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT);
    ASSERT_NE(m, nullptr);
    const GValue* states = gst_structure_get_value(gst_message_get_structure(m), "states");
    if (!on) {
      EXPECT_EQ(states, nullptr);
    } else {
      ASSERT_NE(states, nullptr);
      ASSERT_EQ(gst_value_array_get_size(states), guint(state.h.size()));
      for (guint k = 0; k < gst_value_array_get_size(states); ++k)
        EXPECT_FLOAT_EQ(g_value_get_float(gst_value_array_get_value(states, k)), state.h[k]) << "neuron " << k;
    }
    gst_message_unref(m);
    gst_object_unref(bus);
    gst_harness_teardown(h);
  }
}

TEST_F(CellTest, TimestampGoingBackIsDroppedWithAWarning) {
  const std::string path = write_model("late.safetensors", 3);
  GstBus* bus = nullptr;
  GstHarness* h = cell_harness(path, kInputs, &bus);
  ASSERT_EQ(gst_harness_push(h, float_buffer(input(0), 2 * GST_SECOND)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(h, float_buffer(input(1), 1 * GST_SECOND)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(h, float_buffer(input(2), 3 * GST_SECOND)), GST_FLOW_OK);
  auto outs = pull_all(h);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(GST_BUFFER_PTS(outs[1]), 3 * GST_SECOND);
  GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_WARNING);
  ASSERT_NE(m, nullptr);
  GError* err = nullptr;
  gst_message_parse_warning(m, &err, nullptr);
  EXPECT_NE(std::string(err->message).find("went back"), std::string::npos) << err->message;
  g_error_free(err);
  gst_message_unref(m);
  unref_all(outs);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

TEST_F(CellTest, EosPassesAndTracesAreWritten) {
  const std::string path = write_model("trace.safetensors", 3);
  const std::string trace = (temp_dir() / "trace.csv").string();
  const std::string launch = "liquidcell model=\"" + path + "\" trace-location=\"" + trace + "\"";
  GstHarness* h = gst_harness_new_parse(launch.c_str());
  gst_harness_set_src_caps_str(h, "other/liquid-features,width=4");
  for (int k = 0; k < 5; ++k)
    ASSERT_EQ(gst_harness_push(h, float_buffer(input(k), k * 100 * GST_MSECOND)), GST_FLOW_OK);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  bool saw_eos = false;
  while (GstEvent* e = gst_harness_try_pull_event(h)) {
    saw_eos |= GST_EVENT_TYPE(e) == GST_EVENT_EOS;
    gst_event_unref(e);
  }
  EXPECT_TRUE(saw_eos);
  std::ifstream in(trace);
  std::string line;
  int lines = 0;
  std::getline(in, line);
  EXPECT_NE(line.find("h4"), std::string::npos) << line;  // 5 units: h0..h4
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 5);
  gst_harness_teardown(h);
}

TEST_F(CellTest, MissingOrBadModelIsAnElementError) {
  const std::string bad = (temp_dir() / "bad.safetensors").string();
  std::ofstream(bad) << "not a model";
  for (const std::string& path : {std::string("/nonexistent/model.safetensors"), bad}) {
    GstElement* cell = gst_element_factory_make("liquidcell", nullptr);
    g_object_set(cell, "model", path.c_str(), nullptr);
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(cell, bus);
    EXPECT_EQ(gst_element_set_state(cell, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
    const std::string error = bus_error(bus);
    EXPECT_NE(error.find(path), std::string::npos) << error;
    gst_element_set_state(cell, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(cell);
  }
}

}  // namespace
