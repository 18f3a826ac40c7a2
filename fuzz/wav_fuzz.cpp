// libFuzzer target for the audio path: bytes -> libsndfile (virtual IO from memory) -> AudioFileSource ->
// AudioFeatureEncoder. The contract under test: any byte string either decodes, with blocks that are
// well formed and timed by their first frame, and encodes into frames of the advertised width; or it
// throws SourceError / AudioFeatureError. Anything else (another exception, a crash, a sanitizer
// report, a broken invariant) is a bug. See fuzz/CMakeLists.txt for the commands.
//
// libsndfile itself is Debian's uninstrumented build, so coverage guides the fuzzer only through our
// code; ASan still sees libsndfile's heap traffic through its malloc/memcpy interceptors.
//
// Built with -DLIQUID_FUZZ_SEED_WRITER instead, this file writes seed inputs (one small file per PCM
// width, float, double, stereo, AIFF, FLAC) with libsndfile, so the corpus needs no binary files in git.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>

#include "encoders/audio_features.h"
#include "sensors/audio_file.h"

namespace {

using liquid::encoders::AudioFeatureConfig;
using liquid::encoders::AudioFeatureEncoder;
using liquid::encoders::AudioFeatureError;
using liquid::encoders::AudioFeatureKind;
using liquid::sensors::AudioBlock;
using liquid::sensors::AudioFileSource;
using liquid::sensors::SourceError;

constexpr int kBlockFrames = 97;
constexpr int64_t kMaxFrames = 1 << 20;  // a compressed input can expand a lot; enough is enough

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "wav_fuzz: %s\n", what);
    std::abort();
  }
}

void run(std::span<const unsigned char> bytes) {
  AudioFileSource source(bytes, "fuzz input", {.block_frames = kBlockFrames});
  const auto& info = source.info();
  check(info.channels >= 1 && info.sample_rate >= 1, "opened with no channels or no rate");
  check(!source.describe().empty(), "empty description");

  AudioFeatureConfig config;
  config.sample_rate = info.sample_rate;
  config.window_samples = 64;
  config.hop_samples = 24;
  config.fft_size = 64;
  config.kind = AudioFeatureKind::kMfcc;
  config.n_mels = 8;
  config.n_mfcc = 6;
  config.delta_order = 2;
  config.delta_width = 5;
  std::optional<AudioFeatureEncoder> encoder;
  try {
    encoder.emplace(config);
  } catch (const AudioFeatureError&) {  // e.g. a rate so low that a mel band holds no bin
    config.kind = AudioFeatureKind::kMagnitude;
    encoder.emplace(config);
  }

  liquid::sensors::TimedSample sample;
  std::vector<liquid::encoders::FeatureFrame> out;
  int64_t frames = 0;
  size_t emitted = 0;
  while (frames < kMaxFrames && source.next(sample)) {
    const auto& block = std::get<AudioBlock>(sample.payload);
    check(block.channels == info.channels && block.sample_rate == info.sample_rate, "block format changed");
    check(block.frames() >= 1 && block.frames() <= kBlockFrames, "block size out of range");
    check(block.samples.size() == size_t(block.frames()) * size_t(block.channels), "ragged block");
    check(sample.time == double(frames) / info.sample_rate, "block time is not first frame / rate");
    frames += block.frames();
    out.clear();
    encoder->encode(sample, out);
    for (const auto& f : out) check(f.values.size() == size_t(encoder->width()), "frame of the wrong width");
    emitted += out.size();
  }
  if (frames < kMaxFrames) check(frames <= info.frames, "delivered more frames than info().frames");
  out.clear();
  encoder->flush(out);
  emitted += out.size();
  const int64_t expected = frames < config.window_samples ? 0 : 1 + (frames - config.window_samples) / config.hop_samples;
  if (frames < kMaxFrames) check(int64_t(emitted) == expected, "frame count differs from 1 + (n - window) / hop");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    run(std::span<const unsigned char>(data, size));
  } catch (const SourceError&) {
  } catch (const AudioFeatureError&) {
  }
  return 0;
}

#ifdef LIQUID_FUZZ_SEED_WRITER
#include <sndfile.h>

#include <cmath>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  struct Seed {
    const char* name;
    int format, rate, channels;
  };
  const Seed seeds[] = {
      {"u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 8000, 1},      {"s16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1},
      {"s24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 44100, 2},    {"s32.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 48000, 1},
      {"f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050, 2},     {"f64.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, 8000, 1},
      {"ext.wav", SF_FORMAT_WAVEX | SF_FORMAT_PCM_16, 16000, 3},  {"s8.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_S8, 11025, 1},
      {"s16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 1},
  };
  std::vector<float> samples(2 * 3 * 150);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = float(0.7 * std::sin(0.05 * double(i)));
  for (const Seed& s : seeds) {
    SF_INFO info{};
    info.samplerate = s.rate;
    info.channels = s.channels;
    info.format = s.format;
    SNDFILE* f = sf_open((dir + "/" + s.name).c_str(), SFM_WRITE, &info);
    if (!f) {
      std::fprintf(stderr, "%s: %s\n", s.name, sf_strerror(nullptr));
      return 1;
    }
    sf_writef_float(f, samples.data(), 150);
    sf_close(f);
  }
  return 0;
}
#endif
