// Video throughput: the encoder alone on decoded 768x576 frames (grid + motion, then with optical
// flow), decoding alone, and decode + encode, in frames per second (items_per_second).
//
//   taskset -c 0 build/bench/video_bench --benchmark_format=json
//   build/bench/video_bench --video=/work/shared/data/video/opencv_samples/vtest.avi --cv_threads=2
//
// --video picks the clip (default tests/data/video/vtest_20.avi: vtest's first 20 frames, DivX);
// --cv_threads sets OpenCV's worker threads (default 1, so figures are per core). CPU time is the
// whole process's, so FFmpeg's decoding threads count too; items_per_second is frames per CPU second.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/core/utility.hpp>

#include "encoders/video_features.h"
#include "sensors/video_source.h"

namespace {

using liquid::encoders::FeatureFrame;
using liquid::encoders::VideoFeatures;
using liquid::encoders::VideoFeaturesOptions;
using liquid::sensors::TimedSample;
using liquid::sensors::VideoSource;

std::string g_video = std::string(LIQUID_TEST_DATA) + "/video/vtest_20.avi";

// The clip's frames, decoded once, as samples 0.1 s apart.
const std::vector<TimedSample>& frames() {
  static const std::vector<TimedSample> all = [] {
    std::vector<TimedSample> v;
    auto src = VideoSource::open_file(g_video);
    TimedSample s;
    while (src.next(s) && v.size() < 100) v.push_back(s);  // next() leaves kept buffers alone
    return v;
  }();
  return all;
}

void encode_frames(benchmark::State& st, VideoFeaturesOptions opt) {
  const auto& fr = frames();
  VideoFeatures enc(opt);
  std::vector<FeatureFrame> out;
  TimedSample s;
  size_t k = 0;
  double t = 0.0;
  for (auto _ : st) {
    s = fr[k];
    s.time = t;  // keep time increasing across laps of the clip
    out.clear();
    enc.encode(s, out);
    benchmark::DoNotOptimize(out.data());
    k = (k + 1) % fr.size();
    t += 0.1;
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["width"] = enc.width();
  st.counters["frame_w"] = std::get<liquid::sensors::VideoFrame>(fr[0].payload).image.cols;
}

void BM_encode_grid_motion(benchmark::State& st) { encode_frames(st, {}); }

void BM_encode_grid_motion_flow(benchmark::State& st) {
  VideoFeaturesOptions o;
  o.flow = true;
  encode_frames(st, o);
}

void BM_encode_grey_only(benchmark::State& st) {
  VideoFeaturesOptions o;
  o.motion = o.motion_mean = false;
  encode_frames(st, o);
}

// Decoding (and optionally encoding) straight from the file; the file is reopened at its end, so
// the open cost is included once per lap of the clip.
void decode(benchmark::State& st, bool with_encoder, bool flow) {
  VideoFeaturesOptions o;
  o.flow = flow;
  VideoFeatures enc(o);
  std::vector<FeatureFrame> out;
  auto src = VideoSource::open_file(g_video);
  TimedSample s;
  double offset = 0.0, last = 0.0;
  for (auto _ : st) {
    if (!src.next(s)) {
      src = VideoSource::open_file(g_video);
      offset = last + 0.1;
      src.next(s);
    }
    if (with_encoder) {
      s.time += offset;
      last = s.time;
      out.clear();
      enc.encode(s, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  st.SetItemsProcessed(st.iterations());
}

void BM_decode(benchmark::State& st) { decode(st, false, false); }
void BM_decode_encode_grid_motion(benchmark::State& st) { decode(st, true, false); }
void BM_decode_encode_grid_motion_flow(benchmark::State& st) { decode(st, true, true); }

BENCHMARK(BM_encode_grey_only)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
BENCHMARK(BM_encode_grid_motion)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
BENCHMARK(BM_encode_grid_motion_flow)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
BENCHMARK(BM_decode)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
BENCHMARK(BM_decode_encode_grid_motion)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
BENCHMARK(BM_decode_encode_grid_motion_flow)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();

}  // namespace

int main(int argc, char** argv) {
  int cv_threads = 1;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--video=", 8) == 0)
      g_video = argv[i] + 8;
    else if (std::strncmp(argv[i], "--cv_threads=", 13) == 0)
      cv_threads = std::atoi(argv[i] + 13);
    else
      rest.push_back(argv[i]);
  }
  cv::setNumThreads(cv_threads);
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::AddCustomContext("video", g_video);
  benchmark::AddCustomContext("cv_threads", std::to_string(cv_threads));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
