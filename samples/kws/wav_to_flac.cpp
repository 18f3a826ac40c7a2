// wav_to_flac IN.wav... OUT_DIR: re-encodes 16-bit WAV recordings as FLAC (lossless, same samples,
// same rate) with libsndfile. Used once to pack FSDD into samples/data/audio/fsdd/recordings: the
// 3,000 WAVs take 21 MB, as FLAC about half, and every reader here (sensors/audio_file.h) takes both.
#include <sndfile.h>

#include <cstdio>
#include <filesystem>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: wav_to_flac IN.wav... OUT_DIR\n");
    return 2;
  }
  const std::filesystem::path out_dir = argv[argc - 1];
  std::filesystem::create_directories(out_dir);
  for (int i = 1; i < argc - 1; ++i) {
    SF_INFO info{};
    SNDFILE* in = sf_open(argv[i], SFM_READ, &info);
    if (!in) {
      std::fprintf(stderr, "wav_to_flac: %s: %s\n", argv[i], sf_strerror(nullptr));
      return 1;
    }
    std::vector<short> samples(static_cast<size_t>(info.frames) * info.channels);
    const sf_count_t got = sf_readf_short(in, samples.data(), info.frames);
    sf_close(in);
    if (got != info.frames) {
      std::fprintf(stderr, "wav_to_flac: %s: read %lld of %lld frames\n", argv[i], static_cast<long long>(got),
                   static_cast<long long>(info.frames));
      return 1;
    }
    const std::filesystem::path out_path = out_dir / std::filesystem::path(argv[i]).filename().replace_extension(".flac");
    SF_INFO out_info{};
    out_info.samplerate = info.samplerate;
    out_info.channels = info.channels;
    out_info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
    SNDFILE* out = sf_open(out_path.c_str(), SFM_WRITE, &out_info);
    if (!out) {
      std::fprintf(stderr, "wav_to_flac: %s: %s\n", out_path.c_str(), sf_strerror(nullptr));
      return 1;
    }
    double level = 1.0;  // FLAC's strongest compression (-8): smaller files, same samples
    sf_command(out, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
    const sf_count_t wrote = sf_writef_short(out, samples.data(), info.frames);
    sf_close(out);
    if (wrote != info.frames) {
      std::fprintf(stderr, "wav_to_flac: %s: wrote %lld of %lld frames\n", out_path.c_str(),
                   static_cast<long long>(wrote), static_cast<long long>(info.frames));
      return 1;
    }
  }
  return 0;
}
