// Cuts the first N video frames of a video file into a new file of the same container, copying the
// compressed packets as they are (no re-encoding) and keeping their timestamps, so a clip keeps the
// source's codec and its real frame timing (tree.avi's dropped frames stay gaps). Writes beside it a
// CSV of each kept frame's timestamp as libavformat reads it, independent of OpenCV, for the tests.
//
//   g++ -std=c++20 make_clips.cpp -o make_clips $(pkg-config --cflags --libs libavformat libavcodec libavutil)
//   ./make_clips /work/shared/data/video/opencv_samples/vtest.avi vtest_20.avi 20
//   ./make_clips /work/shared/data/video/opencv_samples/tree.avi tree_24.avi 24
extern "C" {
#include <libavformat/avformat.h>
}

#include <cstdio>
#include <cstdlib>
#include <string>

static void check(int err, const char* what) {
  if (err < 0) {
    char msg[256];
    av_strerror(err, msg, sizeof msg);
    std::fprintf(stderr, "%s: %s\n", what, msg);
    std::exit(1);
  }
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_clips IN OUT FRAMES\n");
    return 2;
  }
  const std::string out_path = argv[2];
  const int frames = std::atoi(argv[3]);

  AVFormatContext* in = nullptr;
  check(avformat_open_input(&in, argv[1], nullptr, nullptr), "open input");
  check(avformat_find_stream_info(in, nullptr), "stream info");
  const int vs = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  check(vs, "video stream");
  AVStream* ist = in->streams[vs];

  AVFormatContext* out = nullptr;
  check(avformat_alloc_output_context2(&out, nullptr, nullptr, out_path.c_str()), "output format");
  AVStream* ost = avformat_new_stream(out, nullptr);
  check(avcodec_parameters_copy(ost->codecpar, ist->codecpar), "codec parameters");
  ost->time_base = ist->time_base;
  ost->avg_frame_rate = ist->avg_frame_rate;
  ost->r_frame_rate = ist->r_frame_rate;
  check(avio_open(&out->pb, out_path.c_str(), AVIO_FLAG_WRITE), "open output");
  check(avformat_write_header(out, nullptr), "write header");

  FILE* csv = std::fopen((out_path + ".pts.csv").c_str(), "w");
  std::fprintf(csv, "frame,pts,time_s\n");
  const int64_t start = ist->start_time == AV_NOPTS_VALUE ? 0 : ist->start_time;
  AVPacket* pkt = av_packet_alloc();
  int kept = 0;
  while (kept < frames && av_read_frame(in, pkt) >= 0) {
    // AVI marks a dropped frame with an empty chunk; libavformat skips those, leaving a pts gap.
    if (pkt->stream_index == vs && pkt->size > 0) {
      const int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
      std::fprintf(csv, "%d,%lld,%.6f\n", kept, static_cast<long long>(pts), (pts - start) * av_q2d(ist->time_base));
      pkt->stream_index = 0;
      av_packet_rescale_ts(pkt, ist->time_base, ost->time_base);
      pkt->pos = -1;
      check(av_interleaved_write_frame(out, pkt), "write packet");
      ++kept;
    }
    av_packet_unref(pkt);
  }
  check(av_write_trailer(out), "write trailer");
  std::fclose(csv);
  av_packet_free(&pkt);
  avio_closep(&out->pb);
  avformat_free_context(out);
  avformat_close_input(&in);
  std::printf("%s: %d frames\n", out_path.c_str(), kept);
  return 0;
}
