// liquidaudiofeatures in a GstHarness: frame count, width and PTS against the encoder's framing
// (window 400, hop 160 at 16 kHz: frame k is stamped at its window's centre), gaps in the input
// timestamps kept as gaps, S16 stereo downmix, MFCC/delta widths, EOS flushing the delta tail.
#include <cmath>

#include "tests/plugins/gst_test_util.h"

namespace {

using namespace liquid_gst_test;

constexpr int kRate = 16000;

std::vector<float> sine(int n, int channels = 1, double freq = 440.0) {
  std::vector<float> s(size_t(n) * channels);
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c) s[size_t(i) * channels + c] = float(0.5 * std::sin(2 * M_PI * freq * i / kRate));
  return s;
}

GstHarness* audio_harness(const char* launch, const char* format = "F32LE", int channels = 1) {
  GstHarness* h = gst_harness_new_parse(launch);
  gchar* caps = g_strdup_printf("audio/x-raw,format=%s,layout=interleaved,rate=%d,channels=%d", format, kRate, channels);
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  return h;
}

class AudioFeaturesTest : public GstTest {};

TEST_F(AudioFeaturesTest, SineGivesFramesStampedAtWindowCentres) {
  GstHarness* h = audio_harness("liquidaudiofeatures frames-per-buffer=1");
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(kRate), 0)), GST_FLOW_OK);
  auto frames = pull_all(h);
  ASSERT_EQ(frames.size(), 98u);  // floor((16000 - 400) / 160) + 1
  EXPECT_EQ(sink_caps_int(h, "width"), 40);
  for (size_t k = 0; k < frames.size(); ++k) {
    const GstClockTime expected = gst_util_uint64_scale(k * 160 + 200, GST_SECOND, kRate);
    EXPECT_EQ(GST_BUFFER_PTS(frames[k]), expected) << "frame " << k;
    EXPECT_EQ(GST_BUFFER_DURATION(frames[k]), 10 * GST_MSECOND);
    EXPECT_EQ(gst_buffer_get_size(frames[k]), 40 * sizeof(float));
  }
  EXPECT_TRUE(GST_BUFFER_IS_DISCONT(frames[0]));
  // A 440 Hz tone: the loudest mel band is the same in every frame and well above the quietest.
  const auto v = floats(frames[50]);
  EXPECT_GT(*std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end()), 20.0f);
  unref_all(frames);
  gst_harness_teardown(h);
}

TEST_F(AudioFeaturesTest, GapInInputTimestampsIsKept) {
  GstHarness* h = audio_harness("liquidaudiofeatures frames-per-buffer=1");
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(kRate), 0)), GST_FLOW_OK);
  // The second second arrives stamped 2 s: one second of audio is missing.
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(kRate), 2 * GST_SECOND)), GST_FLOW_OK);
  auto frames = pull_all(h);
  ASSERT_EQ(frames.size(), 198u);  // samples are contiguous for the encoder: floor((32000 - 400) / 160) + 1
  for (size_t k = 0; k < frames.size(); ++k) {
    // Frames completed by the second buffer are placed through its PTS: 2 s + (centre - 16000) / rate.
    const double centre = double(k * 160 + 200);
    const double t = k < 98 ? centre / kRate : 2.0 + (centre - kRate) / kRate;
    EXPECT_NEAR(double(GST_BUFFER_PTS(frames[k])) / GST_SECOND, t, 1e-9) << "frame " << k;
  }
  EXPECT_GT(GST_BUFFER_PTS(frames[98]) - GST_BUFFER_PTS(frames[97]), 900 * GST_MSECOND);
  unref_all(frames);
  gst_harness_teardown(h);
}

TEST_F(AudioFeaturesTest, S16StereoIsDownmixedAndMatchesF32Mono) {
  // The same tone as S16 in two identical channels gives (to quantisation) the mono F32 features.
  GstHarness* mono = audio_harness("liquidaudiofeatures");
  GstHarness* stereo = audio_harness("liquidaudiofeatures", "S16LE", 2);
  const auto s = sine(4000);
  std::vector<gint16> pcm(s.size() * 2);
  std::vector<float> quantised(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    pcm[2 * i] = pcm[2 * i + 1] = gint16(std::lround(s[i] * 32767));
    quantised[i] = float(pcm[2 * i]) / 32768.0f;
  }
  GstBuffer* buf = gst_buffer_new_memdup(pcm.data(), pcm.size() * sizeof(gint16));
  GST_BUFFER_PTS(buf) = 0;
  ASSERT_EQ(gst_harness_push(stereo, buf), GST_FLOW_OK);
  ASSERT_EQ(gst_harness_push(mono, float_buffer(quantised, 0)), GST_FLOW_OK);
  auto a = pull_all(mono), b = pull_all(stereo);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t k = 0; k < a.size(); ++k) {
    const auto fa = floats(a[k]), fb = floats(b[k]);
    for (size_t i = 0; i < fa.size(); ++i) ASSERT_NEAR(fa[i], fb[i], 1e-3) << "frame " << k << " band " << i;
  }
  unref_all(a);
  unref_all(b);
  gst_harness_teardown(mono);
  gst_harness_teardown(stereo);
}

TEST_F(AudioFeaturesTest, MfccWithDeltasFlushesItsTailAtEos) {
  GstHarness* h = audio_harness("liquidaudiofeatures kind=mfcc n-mfcc=13 deltas=2 window=0.032 hop=0.016 frames-per-buffer=1");
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(kRate), 0)), GST_FLOW_OK);
  auto before = pull_all(h);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  auto tail = pull_all(h);
  EXPECT_EQ(sink_caps_int(h, "width"), 39);
  const size_t expected = (kRate - 512) / 256 + 1;  // 61 frames of 512 samples every 256
  EXPECT_EQ(tail.size(), 4u);                        // delta_width 9: 4 frames held back
  EXPECT_EQ(before.size() + tail.size(), expected);
  for (GstBuffer* b : tail) EXPECT_EQ(gst_buffer_get_size(b), 39 * sizeof(float));
  unref_all(before);
  unref_all(tail);
  gst_harness_teardown(h);
}

TEST_F(AudioFeaturesTest, FlushRestartsFraming) {
  GstHarness* h = audio_harness("liquidaudiofeatures");
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(300), 0)), GST_FLOW_OK);  // < one window: no frame yet
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  // The 300 samples before the flush are forgotten: 300 more do not complete a window.
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(300), 5 * GST_SECOND)), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  ASSERT_EQ(gst_harness_push(h, float_buffer(sine(100), 5 * GST_SECOND + 300 * GST_SECOND / kRate)), GST_FLOW_OK);
  GstBuffer* b = gst_harness_pull(h);
  EXPECT_EQ(GST_BUFFER_PTS(b), 5 * GST_SECOND + 200 * GST_SECOND / kRate);
  EXPECT_TRUE(GST_BUFFER_IS_DISCONT(b));
  gst_buffer_unref(b);
  gst_harness_teardown(h);
}

TEST_F(AudioFeaturesTest, LatencyIsHalfAWindowPlusTheDeltaWindow) {
  GstHarness* h = audio_harness("liquidaudiofeatures window=0.025 hop=0.010");
  EXPECT_EQ(gst_harness_query_latency(h), 12500 * GST_USECOND);
  gst_harness_teardown(h);
  h = audio_harness("liquidaudiofeatures window=0.025 hop=0.010 deltas=1");
  EXPECT_EQ(gst_harness_query_latency(h), 12500 * GST_USECOND + 40 * GST_MSECOND);  // 4 hops held back
  gst_harness_teardown(h);
}

// frames-per-buffer=8: the same frames, back to back in buffers of 8 (PTS of the first, DURATION of
// 8 hops) across input buffers, the short rest sent at EOS; the latency grows by 7 hops.
TEST_F(AudioFeaturesTest, FramesPerBufferBatchesTheSameFramesAcrossInputs) {
  GstHarness* single = audio_harness("liquidaudiofeatures frames-per-buffer=1");
  GstHarness* batched = audio_harness("liquidaudiofeatures frames-per-buffer=8");
  EXPECT_EQ(gst_harness_query_latency(batched), 12500 * GST_USECOND + 70 * GST_MSECOND);
  const auto s = sine(kRate);
  for (GstHarness* h : {single, batched})
    for (int part = 0; part < 4; ++part) {  // four quarter-second input buffers
      const std::vector<float> quarter(s.begin() + part * kRate / 4, s.begin() + (part + 1) * kRate / 4);
      ASSERT_EQ(gst_harness_push(h, float_buffer(quarter, part * GST_SECOND / 4)), GST_FLOW_OK);
    }
  auto frames = pull_all(single);
  auto held = pull_all(batched);
  ASSERT_EQ(frames.size(), 98u);
  EXPECT_EQ(held.size(), 12u);  // 96 frames; the last 2 wait for more audio or EOS
  ASSERT_TRUE(gst_harness_push_event(batched, gst_event_new_eos()));
  auto rest = pull_all(batched);
  ASSERT_EQ(rest.size(), 1u);
  held.push_back(rest[0]);
  std::vector<float> all;
  for (size_t b = 0; b < held.size(); ++b) {
    const size_t n = b < 12 ? 8 : 2;
    EXPECT_EQ(gst_buffer_get_size(held[b]), n * 40 * sizeof(float)) << "buffer " << b;
    EXPECT_EQ(GST_BUFFER_PTS(held[b]), GST_BUFFER_PTS(frames[b * 8])) << "buffer " << b;
    EXPECT_EQ(GST_BUFFER_DURATION(held[b]), n * 10 * GST_MSECOND) << "buffer " << b;
    const auto v = floats(held[b]);
    all.insert(all.end(), v.begin(), v.end());
  }
  EXPECT_TRUE(GST_BUFFER_IS_DISCONT(held[0]));
  EXPECT_FALSE(GST_BUFFER_IS_DISCONT(held[1]));
  std::vector<float> expected;
  for (GstBuffer* f : frames) {
    const auto v = floats(f);
    expected.insert(expected.end(), v.begin(), v.end());
  }
  EXPECT_EQ(all, expected);
  unref_all(frames);
  unref_all(held);
  gst_harness_teardown(single);
  gst_harness_teardown(batched);
}

// The default (frames-per-buffer=0): the frames each input buffer completes leave together, at
// once (no added latency): the same frames as one a buffer, a buffer per input that completes any,
// stamped with its first frame (DURATION: its hops); the delta tail comes at EOS.
TEST_F(AudioFeaturesTest, ByDefaultTheFramesOfAnInputBufferLeaveTogether) {
  GstHarness* single = audio_harness("liquidaudiofeatures frames-per-buffer=1 deltas=1");
  GstHarness* together = audio_harness("liquidaudiofeatures deltas=1");
  EXPECT_EQ(gst_harness_query_latency(together), gst_harness_query_latency(single));
  const auto s = sine(kRate);
  const int sizes[] = {300, 5000, 160, 1000, 9540};  // 16000 samples; the first completes no window
  std::vector<size_t> per_input;
  for (GstHarness* h : {single, together}) {
    int at = 0;
    for (int n : sizes) {
      const std::vector<float> part(s.begin() + at, s.begin() + at + n);
      ASSERT_EQ(gst_harness_push(h, float_buffer(part, gst_util_uint64_scale(at, GST_SECOND, kRate))), GST_FLOW_OK);
      if (h == together) per_input.push_back(gst_harness_buffers_in_queue(h));
      at += n;
    }
    ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  }
  EXPECT_EQ(per_input, (std::vector<size_t>{0, 1, 2, 3, 4}));  // 300 samples: nothing; 160: one frame
  auto frames = pull_all(single);
  auto buffers = pull_all(together);
  ASSERT_EQ(buffers.size(), 5u);  // four inputs that completed frames, and the tail at EOS
  std::vector<float> all, expected;
  size_t first = 0;
  for (GstBuffer* b : buffers) {
    const size_t n = gst_buffer_get_size(b) / (80 * sizeof(float));  // 40 bands + their deltas
    ASSERT_GT(n, 0u);
    EXPECT_EQ(GST_BUFFER_PTS(b), GST_BUFFER_PTS(frames[first]));
    EXPECT_EQ(GST_BUFFER_DURATION(b), n * 10 * GST_MSECOND);
    const auto v = floats(b);
    all.insert(all.end(), v.begin(), v.end());
    first += n;
  }
  EXPECT_EQ(first, frames.size());
  for (GstBuffer* f : frames) {
    const auto v = floats(f);
    expected.insert(expected.end(), v.begin(), v.end());
  }
  EXPECT_EQ(all, expected);
  unref_all(frames);
  unref_all(buffers);
  gst_harness_teardown(single);
  gst_harness_teardown(together);
}

TEST_F(AudioFeaturesTest, UnusableSettingsAreAnElementError) {
  GstHarness* h = gst_harness_new_parse("liquidaudiofeatures kind=mfcc bands=10 n-mfcc=20");
  GstBus* bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "audio/x-raw,format=F32LE,layout=interleaved,rate=16000,channels=1");
  EXPECT_NE(gst_harness_push(h, float_buffer(sine(1000), 0)), GST_FLOW_OK);
  const std::string error = bus_error(bus);
  EXPECT_NE(error.find("n_mfcc"), std::string::npos) << error;
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

}  // namespace
