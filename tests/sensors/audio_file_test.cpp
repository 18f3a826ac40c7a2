// AudioFileSource: every PCM width and float through libsndfile, block timing, memory reading, and the
// damaged files of sensors/audio_file.h, each made here by writing a WAV with libsndfile and cutting
// or patching its bytes.
#include "sensors/audio_file.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>

namespace {

using liquid::sensors::AudioBlock;
using liquid::sensors::AudioFileInfo;
using liquid::sensors::AudioFileSource;
using liquid::sensors::SourceError;
using liquid::sensors::TimedSample;
namespace fs = std::filesystem;

const fs::path kData = fs::path(LIQUID_TEST_DATA) / "audio";

class AudioFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("liquid_audio_file_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `frames` frames of a deterministic signal in [-0.9, 0.9]; returns the float samples written.
  std::vector<float> write(const fs::path& path, int format, int rate, int channels, int frames) {
    std::vector<float> samples(size_t(frames) * size_t(channels));
    for (size_t i = 0; i < samples.size(); ++i) samples[i] = float(0.9 * std::sin(0.01 * double(i) * (1 + i % 3)));
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    EXPECT_NE(f, nullptr) << sf_strerror(nullptr);
    if (!f) return samples;
    EXPECT_EQ(sf_writef_float(f, samples.data(), frames), frames);
    sf_close(f);
    return samples;
  }

  fs::path dir_;
};

std::vector<unsigned char> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void spit(const fs::path& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

// Offset of a chunk's 4-byte length field in a RIFF/WAVE file.
size_t chunk_length_offset(const std::vector<unsigned char>& b, const char* id) {
  size_t pos = 12;
  while (pos + 8 <= b.size()) {
    const uint32_t len = b[pos + 4] | b[pos + 5] << 8 | b[pos + 6] << 16 | uint32_t(b[pos + 7]) << 24;
    if (std::equal(id, id + 4, b.begin() + std::ptrdiff_t(pos))) return pos + 4;
    pos += 8 + len + (len & 1);
  }
  ADD_FAILURE() << "no chunk " << id;
  return 0;
}

void set_le32(std::vector<unsigned char>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + size_t(i)] = (v >> (8 * i)) & 0xff;
}

std::string error_of(const fs::path& path) {
  try {
    liquid::sensors::read_audio_file(path);
  } catch (const SourceError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST_F(AudioFileTest, ReadsAnFsddRecordingAsLibsndfileScalesIt) {
  AudioFileInfo info;
  const AudioBlock block = liquid::sensors::read_audio_file(kData / "0_george_0.wav", &info);
  EXPECT_EQ(info.sample_rate, 8000);
  EXPECT_EQ(info.channels, 1);
  EXPECT_EQ(info.frames, 2384);
  EXPECT_EQ(info.format, "WAV PCM_16");
  EXPECT_EQ(info.note, "");
  ASSERT_EQ(block.frames(), 2384);
  EXPECT_EQ(block.sample_rate, 8000);
  // The first two samples are 0xfa2f and 0xfc3e little-endian (see `xxd`): -1489 and -962.
  EXPECT_EQ(block.samples[0], -1489.0f / 32768.0f);
  EXPECT_EQ(block.samples[1], -962.0f / 32768.0f);
}

TEST_F(AudioFileTest, RoundTripsEveryPcmWidthFloatAndRate) {
  struct Case {
    int format;
    const char* name;
    double tolerance;
    int rate;
  };
  // libsndfile writes floats as x * (2^(b-1) - 1) and reads back x / 2^(b-1): up to 1.5 steps apart.
  const Case cases[] = {
      {SF_FORMAT_WAV | SF_FORMAT_PCM_U8, "WAV PCM_U8", 2.0 / 128, 8000},
      {SF_FORMAT_WAV | SF_FORMAT_PCM_16, "WAV PCM_16", 2.0 / 32768, 11025},
      {SF_FORMAT_WAV | SF_FORMAT_PCM_24, "WAV PCM_24", 2.0 / (1 << 23), 44100},
      {SF_FORMAT_WAV | SF_FORMAT_PCM_32, "WAV PCM_32", 1e-7, 48000},
      {SF_FORMAT_WAV | SF_FORMAT_FLOAT, "WAV FLOAT", 0.0, 96000},
      {SF_FORMAT_WAV | SF_FORMAT_DOUBLE, "WAV DOUBLE", 0.0, 22050},
      {SF_FORMAT_WAVEX | SF_FORMAT_PCM_16, "WAV PCM_16", 2.0 / 32768, 16000},
      {SF_FORMAT_AIFF | SF_FORMAT_PCM_S8, "AIFF PCM_S8", 2.0 / 128, 12345},
      {SF_FORMAT_FLAC | SF_FORMAT_PCM_16, "FLAC PCM_16", 2.0 / 32768, 32000},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path path = dir_ / ("case" + std::to_string(n++) + ".snd");
    const auto written = write(path, c.format, c.rate, 3, 1000);
    AudioFileInfo info;
    const AudioBlock block = liquid::sensors::read_audio_file(path, &info);
    EXPECT_EQ(info.format, c.name);
    EXPECT_EQ(info.note, "");
    EXPECT_EQ(info.sample_rate, c.rate);
    EXPECT_EQ(block.sample_rate, c.rate);
    EXPECT_EQ(block.channels, 3);
    ASSERT_EQ(block.samples.size(), written.size());
    for (size_t i = 0; i < written.size(); ++i) ASSERT_NEAR(block.samples[i], written[i], c.tolerance) << "sample " << i;
  }
}

TEST_F(AudioFileTest, BlocksAreTimedByTheirFirstFrameAndCoverTheFile) {
  const fs::path path = kData / "7_theo_0.wav";
  const AudioBlock whole = liquid::sensors::read_audio_file(path);
  AudioFileSource source(path, {.block_frames = 100, .stream = 3});
  EXPECT_FALSE(source.live());
  EXPECT_NE(source.describe().find("8000 Hz, 1 ch"), std::string::npos) << source.describe();
  TimedSample sample;
  std::vector<float> joined;
  int blocks = 0;
  while (source.next(sample)) {
    const auto& block = std::get<AudioBlock>(sample.payload);
    EXPECT_EQ(sample.time, blocks * 100 / 8000.0);
    EXPECT_EQ(sample.stream, 3);
    EXPECT_EQ(block.sample_rate, 8000);
    if (int64_t(joined.size()) + 100 <= whole.frames()) {
      EXPECT_EQ(block.frames(), 100);
    }
    joined.insert(joined.end(), block.samples.begin(), block.samples.end());
    ++blocks;
  }
  EXPECT_EQ(blocks, (whole.frames() + 99) / 100);
  EXPECT_EQ(joined, whole.samples);
  EXPECT_FALSE(source.next(sample));  // stays at the end
}

TEST_F(AudioFileTest, MemoryReaderEqualsFileReader) {
  const auto bytes = slurp(kData / "3_jackson_0.wav");
  AudioFileInfo info;
  const AudioBlock from_memory = liquid::sensors::read_audio_memory(bytes, "jackson", &info);
  EXPECT_EQ(from_memory.samples, liquid::sensors::read_audio_file(kData / "3_jackson_0.wav").samples);
  EXPECT_EQ(info.format, "WAV PCM_16");
}

TEST_F(AudioFileTest, EmptyMissingAndNonAudioFilesAreErrorsNamingTheFile) {
  spit(dir_ / "empty.wav", {});
  EXPECT_NE(error_of(dir_ / "empty.wav").find("empty.wav: file is empty (0 bytes)"), std::string::npos);
  EXPECT_NE(error_of(dir_ / "absent.wav").find("absent.wav: cannot open: no such file"), std::string::npos);
  EXPECT_NE(error_of(dir_).find("not a regular file"), std::string::npos);
  const std::string text = "time,value\n0.0,1.5\n0.1,1.7\nthis is a CSV file, not audio\n";
  spit(dir_ / "text.wav", {text.begin(), text.end()});
  EXPECT_NE(error_of(dir_ / "text.wav").find("text.wav: not a readable audio file (libsndfile: "), std::string::npos)
      << error_of(dir_ / "text.wav");
  EXPECT_THROW(liquid::sensors::read_audio_memory({}, "nothing"), SourceError);
  EXPECT_THROW(AudioFileSource(kData / "0_george_0.wav", {.block_frames = 0}), SourceError);
}

TEST_F(AudioFileTest, TruncatedDataChunkDeliversTheCompleteFramesWithANote) {
  const auto written = write(dir_ / "full.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 2, 1000);
  auto bytes = slurp(dir_ / "full.wav");
  const size_t data = chunk_length_offset(bytes, "data") + 4;
  bytes.resize(data + 1001);  // 250 whole stereo frames and one stray byte
  spit(dir_ / "cut.wav", bytes);
  AudioFileInfo info;
  const AudioBlock block = liquid::sensors::read_audio_file(dir_ / "cut.wav", &info);
  EXPECT_EQ(info.frames, 250);
  ASSERT_EQ(block.frames(), 250);
  for (size_t i = 0; i < block.samples.size(); ++i) ASSERT_NEAR(block.samples[i], written[i], 2.0 / 32768);
  EXPECT_NE(info.note.find("declares 4000 bytes but the file holds 1001"), std::string::npos) << info.note;
  EXPECT_NE(info.note.find("partial frame of 1 bytes"), std::string::npos) << info.note;
  EXPECT_NE(AudioFileSource(dir_ / "cut.wav").describe().find("note: "), std::string::npos);

  bytes.resize(data);  // the header alone
  spit(dir_ / "header_only.wav", bytes);
  EXPECT_EQ(liquid::sensors::read_audio_file(dir_ / "header_only.wav", &info).frames(), 0);
  EXPECT_NE(info.note.find("holds 0"), std::string::npos) << info.note;
}

TEST_F(AudioFileTest, OtherFormatsCutShortAreReadWithLibsndfilesNoteOrFail) {
  write(dir_ / "full.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 8000, 1, 4000);
  auto bytes = slurp(dir_ / "full.aiff");
  bytes.resize(bytes.size() / 2);
  spit(dir_ / "cut.aiff", bytes);
  AudioFileInfo info;
  const AudioBlock block = liquid::sensors::read_audio_file(dir_ / "cut.aiff", &info);
  EXPECT_GT(block.frames(), 1900);
  EXPECT_LT(block.frames(), 2000);
  EXPECT_NE(info.note.find("SSND : 8008 (should be"), std::string::npos) << info.note;

  write(dir_ / "full.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 8000, 1, 4000);
  bytes = slurp(dir_ / "full.flac");
  bytes.resize(bytes.size() / 2);
  spit(dir_ / "cut.flac", bytes);
  EXPECT_NE(error_of(dir_ / "cut.flac").find("cut.flac: read failed at frame"), std::string::npos)
      << error_of(dir_ / "cut.flac");
}

TEST_F(AudioFileTest, PlaceholderDataLengthReadsToTheEndWithANote) {
  // Streaming writers that cannot seek back leave 0xffffffff (or 0x7fffffff) as the data length.
  const auto written = write(dir_ / "full.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 500);
  auto bytes = slurp(dir_ / "full.wav");
  set_le32(bytes, chunk_length_offset(bytes, "data"), 0xffffffffu);
  spit(dir_ / "stream.wav", bytes);
  AudioFileInfo info;
  const AudioBlock block = liquid::sensors::read_audio_file(dir_ / "stream.wav", &info);
  EXPECT_EQ(block.frames(), 500);
  EXPECT_NE(info.note.find("placeholder"), std::string::npos) << info.note;
}

TEST_F(AudioFileTest, DataLengthShorterThanTheAudioIsAnError) {
  // libsndfile would read the declared 50 frames and quietly ignore the other 950.
  write(dir_ / "full.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 1000);
  auto bytes = slurp(dir_ / "full.wav");
  const size_t at = chunk_length_offset(bytes, "data");
  set_le32(bytes, at, 100);
  spit(dir_ / "short.wav", bytes);
  EXPECT_NE(error_of(dir_ / "short.wav").find("short.wav: WAV header declares a data chunk of 100 bytes"),
            std::string::npos)
      << error_of(dir_ / "short.wav");
  set_le32(bytes, at, 0);  // a writer that died before patching the header
  spit(dir_ / "zero.wav", bytes);
  EXPECT_NE(error_of(dir_ / "zero.wav").find("declared length is probably wrong"), std::string::npos);
}

TEST_F(AudioFileTest, WrongRiffSizeTrailingChunksAndZeroPaddingAreHarmless) {
  write(dir_ / "full.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 300);
  const auto reference = liquid::sensors::read_audio_file(dir_ / "full.wav").samples;
  auto bytes = slurp(dir_ / "full.wav");
  set_le32(bytes, 4, 10);  // the RIFF size
  bytes.insert(bytes.end(), {'L', 'I', 'S', 'T', 4, 0, 0, 0, 'I', 'N', 'F', 'O'});
  bytes.insert(bytes.end(), 64, 0);
  spit(dir_ / "odd.wav", bytes);
  AudioFileInfo info;
  EXPECT_EQ(liquid::sensors::read_audio_file(dir_ / "odd.wav", &info).samples, reference);
  EXPECT_EQ(info.note, "");
}

TEST_F(AudioFileTest, NonFiniteFloatSampleIsAnErrorNamingFrameAndChannel) {
  std::vector<float> samples(20, 0.25f);
  samples[2 * 5 + 1] = std::numeric_limits<float>::quiet_NaN();
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE* f = sf_open((dir_ / "nan.wav").c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  sf_writef_float(f, samples.data(), 10);
  sf_close(f);
  EXPECT_NE(error_of(dir_ / "nan.wav").find("nan.wav: frame 5, channel 1: sample is NaN"), std::string::npos)
      << error_of(dir_ / "nan.wav");
}

}  // namespace
