// liquidfusion in GstHarnesses (one a sink pad): every pad's cell steps across its own PTS gaps and
// the mean head fuses the latest outputs, checked against lfm::Model::step by hand; a silent pad goes
// stale; EOS on one pad lets the others go on and EOS goes out when all are done; a flush resets the
// pad's cell; a timestamp that goes back is dropped with a warning; a width mismatch fails
// negotiation naming both widths; a bad model is an element error; latency queries add `latency`.
// With `config` (a `liquid stream` configuration): the pads feed the streams they name, on one
// timeline by their time-offsets (clips of one stream on pads of their own, each cell restarting by
// reset_after), the heads' reasons in the messages and the decisions file, the decision clock's
// commits in buffers of their own; an unknown stream or a wrong width names the file and the field.
#include <cmath>
#include <fstream>
#include <numeric>

#include "lfm/model.h"
#include "plugins/gstliquiddecisionmeta.h"
#include "tests/plugins/gst_test_util.h"

namespace {

using namespace liquid_gst_test;
using liquid::lfm::Model;

const std::vector<std::string> kClasses = {"quiet", "talk", "music"};

Model tiny_model(int inputs, uint64_t seed) {
  liquid::lfm::ModelConfig config;
  config.cell = liquid::lfm::CellKind::kCfc;
  config.input_size = inputs;
  config.cfc.input_size = inputs;
  config.cfc.units = 5;
  config.cfc.backbone_units = 8;
  config.proj_size = int(kClasses.size());
  return Model(config, seed);
}

std::string write_model(const std::string& name, int inputs, uint64_t seed) {
  const auto path = temp_dir() / name;
  auto file = tiny_model(inputs, seed).to_tensors();
  file.set_metadata("liquid.classes", R"(["quiet","talk","music"])");
  file.set_metadata("liquid.loss", "cross_entropy");
  file.write_file(path);
  return path.string();
}

std::vector<float> input(int width, int k) {
  std::vector<float> x(static_cast<size_t>(width));
  for (int i = 0; i < width; ++i) x[size_t(i)] = 0.1f * float(k) - 0.2f * float(i) + 0.05f * float(i * k % 3);
  return x;
}

// Two pads: sink_0 takes 4 features (model A), sink_1 takes 3 (model B); the mean head. The
// harnesses answer latency queries as non-live sources unless `live`: a live aggregator waits on
// the harness's test clock, which nothing advances here, and hung about one run in twenty.
struct Fusion {
  GstElement* element = nullptr;
  GstHarness* h0 = nullptr;  // sink_0 and the src pad
  GstHarness* h1 = nullptr;  // sink_1
  GstBus* bus = nullptr;
  std::string model_a, model_b;

  explicit Fusion(const std::string& properties = "", int width1 = 3, bool live = false) {
    model_a = write_model("fusion_a.safetensors", 4, 3);
    model_b = write_model("fusion_b.safetensors", 3, 5);
    element = gst_parse_launch(("liquidfusion " + properties).c_str(), nullptr);
    g_object_set(element, "model", model_a.c_str(), nullptr);
    GstPad* p0 = gst_element_request_pad_simple(element, "sink_%u");
    GstPad* p1 = gst_element_request_pad_simple(element, "sink_%u");
    g_object_set(p1, "model", model_b.c_str(), nullptr);
    gst_object_unref(p0);
    gst_object_unref(p1);
    bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    h0 = gst_harness_new_with_element(element, "sink_0", "src");
    h1 = gst_harness_new_with_element(element, "sink_1", nullptr);
    gst_harness_set_live(h0, live);
    gst_harness_set_live(h1, live);
    gst_harness_set_src_caps_str(h0, "other/liquid-features,width=4");
    gst_harness_set_src_caps_str(h1, ("other/liquid-features,width=" + std::to_string(width1)).c_str());
  }
  ~Fusion() {
    gst_harness_teardown(h1);
    gst_harness_teardown(h0);
    gst_object_unref(element);
    gst_object_unref(bus);
  }
  GstFlowReturn push(int pad, int k, GstClockTime pts) {
    return gst_harness_push(pad == 0 ? h0 : h1, float_buffer(input(pad == 0 ? 4 : 3, k), pts));
  }
  void eos(int pad) { ASSERT_TRUE(gst_harness_push_event(pad == 0 ? h0 : h1, gst_event_new_eos())); }
  // The liquid-decision messages so far (caller unrefs).
  std::vector<GstMessage*> decisions() {
    std::vector<GstMessage*> out;
    while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
      if (gst_structure_has_name(gst_message_get_structure(m), "liquid-decision"))
        out.push_back(m);
      else
        gst_message_unref(m);
    }
    return out;
  }
};

// What the element should compute: each pad's cell by hand, softmax of the mean of the latest
// outputs (a pad that never reported, or is stale, counts as zeros).
struct Reference {
  Model a, b;
  liquid::lfm::ModelState sa, sb;
  liquid::lfm::ModelWorkspace wa, wb;
  std::vector<float> ya = std::vector<float>(3, 0.0f), yb = std::vector<float>(3, 0.0f);
  double last_a = -1, last_b = -1;
  explicit Reference(const Fusion& f)
      : a(Model::load(f.model_a)), b(Model::load(f.model_b)), sa(a.initial_state()), sb(b.initial_state()),
        wa(a.make_workspace(1)), wb(b.make_workspace(1)) {}
  void step(int pad, int k, double t) {
    const auto x = input(pad == 0 ? 4 : 3, k);
    double& last = pad == 0 ? last_a : last_b;
    (pad == 0 ? a : b).step(x.data(), last < 0 ? 0.0 : t - last, pad == 0 ? sa : sb, (pad == 0 ? ya : yb).data(),
                            pad == 0 ? wa : wb);
    last = t;
  }
  std::vector<float> decision(bool a_fresh = true, bool b_fresh = true) const {
    std::vector<float> p(3);
    for (int i = 0; i < 3; ++i) p[size_t(i)] = 0.5f * ((a_fresh ? ya[size_t(i)] : 0.0f) + (b_fresh ? yb[size_t(i)] : 0.0f));
    const float top = *std::max_element(p.begin(), p.end());
    float sum = 0;
    for (float& v : p) sum += v = std::exp(v - top);
    for (float& v : p) v /= sum;
    return p;
  }
};

std::vector<std::string> strings(const GstStructure* s, const char* field) {
  std::vector<std::string> out;
  const GValue* v = gst_structure_get_value(s, field);
  if (v == nullptr) return out;
  for (guint i = 0; i < gst_value_array_get_size(v); ++i) out.emplace_back(g_value_get_string(gst_value_array_get_value(v, i)));
  return out;
}

class FusionTest : public GstTest {};

TEST_F(FusionTest, EachPadStepsAcrossItsOwnGapsAndTheHeadFusesTheLatestOutputs) {
  Fusion f("timeout=100000000000");
  Reference ref(f);
  // Time order 0.5 (A), 0.6 (B), 0.9 (A), 1.6 (B), 2.0 (A): each push lets the previous buffer go.
  const struct { int pad, k; GstClockTime pts; } in[] = {
      {0, 0, 500 * GST_MSECOND}, {1, 1, 600 * GST_MSECOND}, {0, 2, 900 * GST_MSECOND},
      {1, 3, 1600 * GST_MSECOND}, {0, 4, 2000 * GST_MSECOND}};
  for (const auto& b : in) ASSERT_EQ(f.push(b.pad, b.k, b.pts), GST_FLOW_OK);
  f.eos(1);
  f.eos(0);
  bool b_reported = false;
  for (const auto& b : in) {
    GstBuffer* out = gst_harness_pull(f.h0);
    ASSERT_NE(out, nullptr);
    ref.step(b.pad, b.k, double(b.pts) / GST_SECOND);
    b_reported |= b.pad == 1;
    const auto want = ref.decision(true, b_reported);
    EXPECT_EQ(GST_BUFFER_PTS(out), b.pts);
    const auto got = floats(out);
    ASSERT_EQ(got.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[size_t(i)], want[size_t(i)], 1e-5) << "at " << b.pts << " value " << i;
    const GstLiquidDecisionMeta* meta = gst_buffer_get_liquid_decision_meta(out);
    ASSERT_NE(meta, nullptr);
    EXPECT_STREQ(g_quark_to_string(meta->class_quarks[1]), "talk");
    EXPECT_EQ(meta->n_neurons, 10u);  // two cells of 5 units
    gst_buffer_unref(out);
  }
  EXPECT_EQ(sink_caps_int(f.h0, "width"), 3);
  auto messages = f.decisions();
  ASSERT_EQ(messages.size(), 5u);
  const GstStructure* s = gst_message_get_structure(messages[1]);
  EXPECT_STREQ(gst_structure_get_string(s, "pad"), "sink_1");
  EXPECT_EQ(strings(s, "fresh"), (std::vector<std::string>{"sink_0", "sink_1"}));
  EXPECT_TRUE(strings(s, "stale").empty());
  EXPECT_EQ(strings(gst_message_get_structure(messages[0]), "fresh"), std::vector<std::string>{"sink_0"});
  for (auto* m : messages) gst_message_unref(m);
}

// post-states: each message carries the hidden state of the cell that made the decision (the
// message's pad), after its step; off by default.
TEST_F(FusionTest, PostStatesAddsTheDecidingCellsHiddenState) {
  for (const bool on : {false, true}) {
    Fusion f(on ? "timeout=100000000000 post-states=true" : "timeout=100000000000");
    Reference ref(f);
    ASSERT_EQ(f.push(0, 0, 500 * GST_MSECOND), GST_FLOW_OK);
    ASSERT_EQ(f.push(1, 1, 600 * GST_MSECOND), GST_FLOW_OK);
    f.eos(1);
    f.eos(0);
    ref.step(0, 0, 0.5);
    ref.step(1, 1, 0.6);
    for (int i = 0; i < 2; ++i) gst_buffer_unref(gst_harness_pull(f.h0));
    auto messages = f.decisions();
    ASSERT_EQ(messages.size(), 2u);
    for (size_t m = 0; m < 2; ++m) {
      const GValue* states = gst_structure_get_value(gst_message_get_structure(messages[m]), "states");
      if (!on) {
        EXPECT_EQ(states, nullptr);
        continue;
      }
      ASSERT_NE(states, nullptr);
      const auto& h = m == 0 ? ref.sa.h : ref.sb.h;
      ASSERT_EQ(gst_value_array_get_size(states), guint(h.size()));
      for (guint k = 0; k < gst_value_array_get_size(states); ++k)
        EXPECT_NEAR(g_value_get_float(gst_value_array_get_value(states, k)), h[k], 1e-6) << "message " << m << " neuron " << k;
    }
    for (auto* m : messages) gst_message_unref(m);
  }
}

// Pad A sends three frames in one buffer (0.5, 0.6, 0.7 s: PTS + k x DURATION / 3), pad B one frame
// at 0.65 s. The frames are stepped in time order across the pads: A's first two (one output buffer
// of two decisions), B's, then A's last, which already fuses B's output; each decision equals the
// reference stepped frame by frame, and each has its message.
TEST_F(FusionTest, ABufferOfSeveralFramesIsSteppedInTimeOrderWithTheOtherPads) {
  Fusion f("timeout=100000000000");
  Reference ref(f);
  std::vector<float> three;
  for (int k = 0; k < 3; ++k) {
    const auto x = input(4, k);
    three.insert(three.end(), x.begin(), x.end());
  }
  ASSERT_EQ(gst_harness_push(f.h0, float_buffer(three, 500 * GST_MSECOND, 300 * GST_MSECOND)), GST_FLOW_OK);
  ASSERT_EQ(f.push(1, 7, 650 * GST_MSECOND), GST_FLOW_OK);
  f.eos(0);
  f.eos(1);
  auto check = [&](GstBuffer* out, std::vector<std::vector<float>> want, GstClockTime pts) {
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(out), pts);
    const auto got = floats(out);
    ASSERT_EQ(got.size(), 3 * want.size());
    for (size_t d = 0; d < want.size(); ++d)
      for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(got[3 * d + i], want[d][i], 1e-5) << "decision " << d << " value " << i;
    gst_buffer_unref(out);
  };
  ref.step(0, 0, 0.5);
  const auto d0 = ref.decision(true, false);
  ref.step(0, 1, 0.6);
  const auto d1 = ref.decision(true, false);
  check(gst_harness_pull(f.h0), {d0, d1}, 500 * GST_MSECOND);
  ref.step(1, 7, 0.65);
  check(gst_harness_pull(f.h0), {ref.decision()}, 650 * GST_MSECOND);
  ref.step(0, 2, 0.7);
  GstBuffer* last = gst_harness_pull(f.h0);
  const GstLiquidDecisionMeta* meta = last ? gst_buffer_get_liquid_decision_meta(last) : nullptr;
  ASSERT_NE(meta, nullptr);
  EXPECT_EQ(meta->time, 700 * GST_MSECOND);
  check(last, {ref.decision()}, 700 * GST_MSECOND);
  auto messages = f.decisions();
  ASSERT_EQ(messages.size(), 4u);
  const GstClockTime times[] = {500 * GST_MSECOND, 600 * GST_MSECOND, 650 * GST_MSECOND, 700 * GST_MSECOND};
  for (size_t m = 0; m < 4; ++m) {
    guint64 t = 0;
    gst_structure_get_uint64(gst_message_get_structure(messages[m]), "timestamp", &t);
    EXPECT_EQ(t, times[m]) << "message " << m;
  }
  for (auto* m : messages) gst_message_unref(m);
}

// A pad's dt-scale: its cell steps the gap in its model's time unit (here A's in minutes).
TEST_F(FusionTest, APadsDtScaleStepsItsModelsTimeUnit) {
  Fusion f("timeout=100000000000");
  GstPad* sink_0 = gst_element_get_static_pad(f.element, "sink_0");
  g_object_set(sink_0, "dt-scale", 1.0 / 60.0, nullptr);
  gst_object_unref(sink_0);
  Reference ref(f);
  f.eos(1);  // first: otherwise sink_0's second buffer waits for sink_1
  ASSERT_EQ(f.push(0, 0, 0), GST_FLOW_OK);
  ASSERT_EQ(f.push(0, 1, 120 * GST_SECOND), GST_FLOW_OK);
  f.eos(0);
  gst_buffer_unref(gst_harness_pull(f.h0));
  GstBuffer* out = gst_harness_pull(f.h0);
  ASSERT_NE(out, nullptr);
  ref.step(0, 0, 0.0);
  ref.step(0, 1, 2.0);  // two minutes: 2 units
  const auto want = ref.decision(true, false);
  const auto got = floats(out);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[size_t(i)], want[size_t(i)], 1e-5) << "value " << i;
  gst_buffer_unref(out);
}

TEST_F(FusionTest, ASilentPadGoesStaleAndEosWaitsForEveryPad) {
  Fusion f("timeout=1000000000");  // 1 s
  ASSERT_EQ(f.push(0, 0, 0), GST_FLOW_OK);
  ASSERT_EQ(f.push(1, 1, 0), GST_FLOW_OK);
  f.eos(1);  // sink_1 is done: sink_0 goes on alone
  ASSERT_EQ(f.push(0, 2, 500 * GST_MSECOND), GST_FLOW_OK);
  ASSERT_EQ(f.push(0, 3, 2500 * GST_MSECOND), GST_FLOW_OK);
  Reference ref(f);
  ref.step(0, 0, 0.0);
  ref.step(1, 1, 0.0);
  ref.step(0, 2, 0.5);
  ref.step(0, 3, 2.5);
  for (int i = 0; i < 3; ++i) gst_buffer_unref(gst_harness_pull(f.h0));
  GstBuffer* last = gst_harness_pull(f.h0);  // at 2.5 s sink_1's output (of 0 s) is 2.5 s old
  const auto got = floats(last);
  const auto want = ref.decision(true, false);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[size_t(i)], want[size_t(i)], 1e-5);
  gst_buffer_unref(last);
  auto messages = f.decisions();
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_TRUE(strings(gst_message_get_structure(messages[2]), "stale").empty());  // 0.5 s old: fresh
  EXPECT_EQ(strings(gst_message_get_structure(messages[3]), "stale"), std::vector<std::string>{"sink_1"});
  EXPECT_EQ(strings(gst_message_get_structure(messages[3]), "fresh"), std::vector<std::string>{"sink_0"});
  for (auto* m : messages) gst_message_unref(m);

  // No EOS downstream while sink_0 is open; then EOS.
  bool saw_eos = false;
  while (GstEvent* e = gst_harness_try_pull_event(f.h0)) {
    saw_eos |= GST_EVENT_TYPE(e) == GST_EVENT_EOS;
    gst_event_unref(e);
  }
  EXPECT_FALSE(saw_eos);
  f.eos(0);
  for (int tries = 0; tries < 100 && !saw_eos; ++tries) {
    GstEvent* e = gst_harness_pull_event(f.h0);
    if (e == nullptr) break;
    saw_eos |= GST_EVENT_TYPE(e) == GST_EVENT_EOS;
    gst_event_unref(e);
  }
  EXPECT_TRUE(saw_eos);
}

TEST_F(FusionTest, AGapEventLetsTheOtherPadsGoOnUntilItsEnd) {
  Fusion f("timeout=100000000000");
  ASSERT_EQ(f.push(0, 0, 0), GST_FLOW_OK);
  ASSERT_TRUE(gst_harness_push_event(f.h1, gst_event_new_gap(0, 10 * GST_SECOND)));  // sink_1: nothing for 10 s
  ASSERT_EQ(f.push(0, 1, GST_SECOND), GST_FLOW_OK);
  ASSERT_EQ(f.push(0, 2, 2 * GST_SECOND), GST_FLOW_OK);
  for (GstClockTime want : {GstClockTime(0), GstClockTime(GST_SECOND)}) {
    GstBuffer* b = gst_harness_pull(f.h0);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(GST_BUFFER_PTS(b), want);
    gst_buffer_unref(b);
  }
}

TEST_F(FusionTest, AFlushResetsThePadsCells) {
  Fusion f("timeout=100000000000");
  ASSERT_EQ(f.push(0, 0, 0), GST_FLOW_OK);
  ASSERT_EQ(f.push(1, 1, 500 * GST_MSECOND), GST_FLOW_OK);
  ASSERT_EQ(f.push(0, 2, GST_SECOND), GST_FLOW_OK);
  for (int i = 0; i < 2; ++i) gst_buffer_unref(gst_harness_pull(f.h0));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  for (GstHarness* h : {f.h0, f.h1}) {
    ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
    ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
    ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  }
  ASSERT_EQ(f.push(0, 5, 30 * GST_SECOND), GST_FLOW_OK);
  ASSERT_EQ(f.push(1, 6, 31 * GST_SECOND), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(f.h0);
  EXPECT_EQ(GST_BUFFER_PTS(out), 30 * GST_SECOND);
  // After the flush: sink_0 from the zero state with dt 0, sink_1 as if it never reported.
  Reference ref(f);
  ref.step(0, 5, 30.0);
  const auto want = ref.decision(true, false);
  const auto got = floats(out);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[size_t(i)], want[size_t(i)], 1e-5);
  gst_buffer_unref(out);
  auto messages = f.decisions();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(strings(gst_message_get_structure(messages.back()), "fresh"), std::vector<std::string>{"sink_0"});
  EXPECT_TRUE(strings(gst_message_get_structure(messages.back()), "stale").empty());
  for (auto* m : messages) gst_message_unref(m);
}

TEST_F(FusionTest, ATimestampGoingBackIsDroppedWithAWarning) {
  Fusion f("timeout=100000000000");
  ASSERT_EQ(f.push(0, 0, 2 * GST_SECOND), GST_FLOW_OK);
  ASSERT_EQ(f.push(1, 1, 2500 * GST_MSECOND), GST_FLOW_OK);
  ASSERT_EQ(f.push(0, 2, 1 * GST_SECOND), GST_FLOW_OK);  // earlier than sink_0's last: dropped
  ASSERT_EQ(f.push(0, 3, 3 * GST_SECOND), GST_FLOW_OK);
  f.eos(0);
  f.eos(1);
  std::vector<GstClockTime> pts;
  for (int i = 0; i < 3; ++i) {
    GstBuffer* b = gst_harness_pull(f.h0);
    pts.push_back(GST_BUFFER_PTS(b));
    gst_buffer_unref(b);
  }
  EXPECT_EQ(pts, (std::vector<GstClockTime>{2 * GST_SECOND, 2500 * GST_MSECOND, 3 * GST_SECOND}));
  GstMessage* m = gst_bus_pop_filtered(f.bus, GST_MESSAGE_WARNING);
  ASSERT_NE(m, nullptr);
  GError* err = nullptr;
  gst_message_parse_warning(m, &err, nullptr);
  EXPECT_NE(std::string(err->message).find("went back"), std::string::npos) << err->message;
  EXPECT_NE(std::string(err->message).find("sink_0"), std::string::npos) << err->message;
  g_error_free(err);
  gst_message_unref(m);
}

TEST_F(FusionTest, AWidthMismatchFailsNegotiationNamingBothWidths) {
  Fusion f("", 7);
  EXPECT_EQ(f.push(0, 0, 0), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_push(f.h1, float_buffer(std::vector<float>(7, 0.0f), 0)), GST_FLOW_NOT_NEGOTIATED);
  const std::string error = bus_error(f.bus);
  EXPECT_NE(error.find("sink_1"), std::string::npos) << error;
  EXPECT_NE(error.find("7 wide"), std::string::npos) << error;
  EXPECT_NE(error.find("takes 3 inputs"), std::string::npos) << error;
}

TEST_F(FusionTest, LatencyQueriesAddTheLatencyProperty) {
  Fusion f("latency=50000000", 3, /*live=*/true);
  gst_harness_set_upstream_latency(f.h0, 20 * GST_MSECOND);
  gst_harness_set_upstream_latency(f.h1, 10 * GST_MSECOND);
  GstQuery* q = gst_query_new_latency();
  ASSERT_TRUE(gst_pad_peer_query(f.h0->sinkpad, q));
  gboolean live = FALSE;
  GstClockTime min = 0, max = 0;
  gst_query_parse_latency(q, &live, &min, &max);
  EXPECT_TRUE(live);
  EXPECT_EQ(min, 70 * GST_MSECOND);  // the slowest pad's 20 ms + 50 ms
  gst_query_unref(q);
}

TEST_F(FusionTest, AMissingOrBadModelIsAnElementError) {
  const std::string bad = (temp_dir() / "fusion_bad.safetensors").string();
  std::ofstream(bad) << "not a model";
  for (const std::string& path : {std::string("/nonexistent/fusion.safetensors"), bad, std::string()}) {
    GstElement* fusion = gst_element_factory_make("liquidfusion", nullptr);
    if (!path.empty()) g_object_set(fusion, "model", path.c_str(), nullptr);
    GstPad* pad = gst_element_request_pad_simple(fusion, "sink_%u");
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(fusion, bus);
    EXPECT_EQ(gst_element_set_state(fusion, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
    const std::string error = bus_error(bus);
    EXPECT_NE(error.find(path.empty() ? "no model file for pad sink_0" : path), std::string::npos) << error;
    gst_element_set_state(fusion, GST_STATE_NULL);
    gst_element_release_request_pad(fusion, pad);
    gst_object_unref(pad);
    gst_object_unref(bus);
    gst_object_unref(fusion);
  }
}

TEST_F(FusionTest, AHeadFileOfTheWrongSizeIsAnElementError) {
  const auto head = (temp_dir() / "fusion_head.safetensors");
  liquid::lfm::SafetensorsFile file;
  const std::vector<float> w(2 * 5, 0.1f), b(2, 0.0f);
  file.add_tensor("weight", {2, 5}, w);
  file.add_tensor("bias", {2}, b);
  file.write_file(head);
  Fusion f("fusion-location=\"" + head.string() + "\"");
  f.push(0, 0, 0);
  f.push(1, 0, 0);
  // The head is read when the first buffers meet, in the element's thread.
  GstMessage* m = gst_bus_timed_pop_filtered(f.bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  ASSERT_NE(m, nullptr);
  GError* err = nullptr;
  gchar* debug = nullptr;
  gst_message_parse_error(m, &err, &debug);
  EXPECT_NE(std::string(err->message).find(head.string()), std::string::npos) << err->message;
  EXPECT_NE(std::string(debug).find("takes 5 inputs"), std::string::npos) << debug;
  EXPECT_NE(std::string(debug).find("give 6"), std::string::npos) << debug;
  g_error_free(err);
  g_free(debug);
  gst_message_unref(m);
}

// A configuration over the two test models: "room" (model B, 3 inputs, series) and "voice" (model
// A, 4 inputs, audio z-scored by the given mean and std, a new episode after 1 s of silence), a
// command head that commits 0.25 s after the voice stops, and an occupancy-like head on the room.
struct Config {
  std::string model_a = write_model("fusion_a.safetensors", 4, 3), model_b = write_model("fusion_b.safetensors", 3, 5);
  std::string path = (temp_dir() / "fusion_config.json").string();
  Config() {
    std::ofstream(path) << R"({
  "models": {"a": ")" << model_a << R"(", "b": ")" << model_b << R"("},
  "streams": [
    {"name": "room", "model": "b", "timeout": 1000, "source": {"kind": "csv", "path": "unused.csv"},
     "encoder": {"kind": "series", "normalization": "none"}},
    {"name": "voice", "model": "a", "timeout": 0.5, "reset_after": 1, "source": {"kind": "wav", "path": "unused.wav"},
     "encoder": {"kind": "audio", "normalization": {"mean": [0.1, 0, 0, -0.1], "std": [2, 2, 2, 2]}}}
  ],
  "fusion": {"head": "heads", "heads": [
    {"name": "command", "stream": "voice", "kind": "classes", "threshold": 0.0, "endpoint": 0.25, "reasons": 2},
    {"name": "room", "stream": "room", "kind": "classes", "reasons": 2}]}
})";
  }
};

// Room frames at 99, 101 and 300 s (sink_0, the first stream by order); one clip at 100 s on
// sink_1 (three frames in one buffer, 10 ms apart), the same clip at 200 s on sink_2 (two frames).
TEST_F(FusionTest, AConfigRunsItsHeadsOnOneTimelineWithTheReasons) {
  const Config c;
  const std::string& config = c.path;
  const std::string decisions = (temp_dir() / "fusion_decisions.jsonl").string();
  GstElement* element = gst_element_factory_make("liquidfusion", nullptr);
  g_object_set(element, "config", config.c_str(), "decisions-location", decisions.c_str(), nullptr);
  GstPad* pads[3];
  for (auto*& pad : pads) pad = gst_element_request_pad_simple(element, "sink_%u");
  g_object_set(pads[1], "stream", "voice", "time-offset", 100.0, nullptr);
  g_object_set(pads[2], "stream", "voice", "time-offset", 200.0, nullptr);
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(element, bus);
  GstHarness* room = gst_harness_new_with_element(element, "sink_0", "src");
  GstHarness* clip1 = gst_harness_new_with_element(element, "sink_1", nullptr);
  GstHarness* clip2 = gst_harness_new_with_element(element, "sink_2", nullptr);
  gst_harness_set_src_caps_str(room, "other/liquid-features,width=3");
  gst_harness_set_src_caps_str(clip1, "other/liquid-features,width=4");
  gst_harness_set_src_caps_str(clip2, "other/liquid-features,width=4");
  std::vector<float> three, two;
  for (int k = 0; k < 3; ++k) {
    const auto x = input(4, k);
    three.insert(three.end(), x.begin(), x.end());
    if (k < 2) two.insert(two.end(), x.begin(), x.end());
  }
  ASSERT_EQ(gst_harness_push(clip1, float_buffer(three, 0, 30 * GST_MSECOND)), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(clip2, float_buffer(two, 0, 20 * GST_MSECOND)), GST_FLOW_OK);
  for (GstClockTime t : {99 * GST_SECOND, 101 * GST_SECOND, 300 * GST_SECOND})
    ASSERT_EQ(gst_harness_push(room, float_buffer(input(3, int(t / GST_SECOND)), t)), GST_FLOW_OK);
  for (GstHarness* h : {clip1, clip2, room}) ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));

  // Fused time order: room 99; the clip's three frames (one buffer); its commit at 100.02 + 0.25;
  // room 101; the second clip (one buffer); its commit at 200.01 + 0.25; room 300.
  const std::vector<GstClockTime> want = {99 * GST_SECOND, 100 * GST_SECOND, 100270 * GST_MSECOND, 101 * GST_SECOND,
                                          200 * GST_SECOND, 200260 * GST_MSECOND, 300 * GST_SECOND};
  const std::vector<size_t> sizes = {1, 3, 1, 1, 2, 1, 1};
  std::vector<std::vector<float>> got;
  for (size_t k = 0; k < want.size(); ++k) {
    GstBuffer* out = gst_harness_pull(room);
    ASSERT_NE(out, nullptr);
    EXPECT_NEAR(double(GST_BUFFER_PTS(out)), double(want[k]), 1000.0) << "buffer " << k;
    got.push_back(floats(out));
    EXPECT_EQ(got.back().size(), sizes[k] * 6) << "buffer " << k;  // command: 3 classes, room: 3
    gst_buffer_unref(out);
  }
  // Each clip starts from the zero state (reset_after): the same first frame, the same command.
  for (size_t i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(got[1][i], got[4][i]) << i;

  std::vector<GstMessage*> messages;
  while (GstMessage* m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) messages.push_back(m);
  ASSERT_EQ(messages.size(), 10u);
  int commits = 0;
  for (auto* m : messages) {
    const GstStructure* st = gst_message_get_structure(m);
    const char* why = gst_structure_get_string(st, "explanation");
    ASSERT_NE(why, nullptr);
    EXPECT_EQ(std::string(why).rfind("{\"trigger\":", 0), 0u) << why;
    const bool commit = std::string(why).find("\"heard\":true") != std::string::npos;
    commits += commit;
    // A commit of the decision clock was made by no pad's frame.
    EXPECT_EQ(gst_structure_get_string(st, "pad") == nullptr, commit) << why;
  }
  EXPECT_EQ(commits, 2);
  EXPECT_EQ(strings(gst_message_get_structure(messages[1]), "fresh"), (std::vector<std::string>{"room", "voice"}));
  for (auto* m : messages) gst_message_unref(m);

  for (GstHarness* h : {clip2, clip1, room}) gst_harness_teardown(h);
  for (auto* pad : pads) gst_object_unref(pad);
  gst_object_unref(element);
  gst_object_unref(bus);
  // The file holds what `liquid stream` would write: a JSON line per decision, with the reasons.
  std::ifstream in(decisions);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    EXPECT_EQ(line.rfind("{\"time\":", 0), 0u) << line;
    EXPECT_NE(line.find(",\"explanation\":{\"trigger\":"), std::string::npos) << line;
  }
  EXPECT_EQ(lines, 10);
}

TEST_F(FusionTest, AConfigNamesTheFileAndFieldOfAnUnknownStreamOrAWrongWidth) {
  const Config c;
  const std::string& config = c.path;
  {
    GstElement* element = gst_element_factory_make("liquidfusion", nullptr);
    g_object_set(element, "config", config.c_str(), nullptr);
    GstPad* pad = gst_element_request_pad_simple(element, "sink_%u");
    g_object_set(pad, "stream", "kitchen", nullptr);
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    EXPECT_EQ(gst_element_set_state(element, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
    const std::string error = bus_error(bus);
    EXPECT_NE(error.find(config + ": streams[].name: no stream is named \"kitchen\" (sink_0::stream); expected one of "
                                  "\"room\", \"voice\""),
              std::string::npos)
        << error;
    gst_element_set_state(element, GST_STATE_NULL);
    gst_element_release_request_pad(element, pad);
    gst_object_unref(pad);
    gst_object_unref(bus);
    gst_object_unref(element);
  }
  {
    GstElement* element = gst_element_factory_make("liquidfusion", nullptr);
    g_object_set(element, "config", config.c_str(), nullptr);
    GstPad* pad = gst_element_request_pad_simple(element, "sink_%u");
    g_object_set(pad, "stream", "voice", nullptr);
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    GstHarness* h = gst_harness_new_with_element(element, "sink_0", "src");
    gst_harness_set_src_caps_str(h, "other/liquid-features,width=3");
    EXPECT_EQ(gst_harness_push(h, float_buffer(input(3, 0), 0)), GST_FLOW_NOT_NEGOTIATED);
    const std::string error = bus_error(bus);
    EXPECT_NE(error.find(config + ": streams[1] 'voice' (model 'a', " + c.model_a +
                         ") takes 4 inputs, but the features on sink_0 are 3 wide"),
              std::string::npos)
        << error;
    gst_harness_teardown(h);
    gst_object_unref(pad);
    gst_object_unref(bus);
    gst_object_unref(element);
  }
}

}  // namespace
