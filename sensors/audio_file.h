// Audio files through libsndfile (WAV, AIFF, FLAC, OGG, ...; PCM 8/16/24/32-bit, float, double; any
// rate and channel count), delivered as AudioBlock samples of a fixed number of frames.
//
// Damaged files, checked against libsndfile 1.2.0's actual behaviour (tests/sensors/audio_file_test.cpp):
//  - empty file, or not audio at all: SourceError naming the file.
//  - WAV whose data chunk declares more bytes than the file holds (a truncated recording, or a
//    streaming writer's placeholder length such as 0x7fffffff): libsndfile quietly reads what is
//    there; we deliver the complete frames present and say so in info().note (and describe()).
//    A trailing partial frame (fewer bytes than one frame) is dropped and counted in the note.
//  - WAV whose data chunk declares fewer bytes than follow it, where what follows is not a RIFF
//    chunk (the header lies short, e.g. a length of 0 left by a writer that crashed): libsndfile
//    would silently stop at the declared length and lose the rest, so this is a SourceError.
//    Trailing bytes that are all zero are taken as padding and accepted.
//  - a RIFF size field that disagrees with the file length is ignored, as libsndfile does.
//  - other formats cut short: libsndfile reads what is there (AIFF, AU, W64: checked) and its header log
//    says what it noticed; those lines become info().note. A cut FLAC fails to decode: SourceError.
//    A stream that ends before the header's frame count: SourceError naming the frame.
//  - a NaN or infinite sample (float files): SourceError naming the frame and channel.
//  - a read error part way: SourceError naming the frame.
// Float and double files are delivered as stored (not clipped to [-1, 1]); integer PCM is scaled by
// libsndfile (x / 2^(bits-1)).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "sensors/source.h"

namespace liquid::sensors {

struct AudioFileInfo {
  int sample_rate = 0;
  int channels = 0;
  int64_t frames = 0;  // the frames next() will deliver in total
  std::string format;  // e.g. "WAV PCM_16"
  std::string note;    // empty, or what was odd about the file and how it was handled
};

class AudioFileSource : public Source {
 public:
  struct Options {
    int block_frames = 1024;  // frames per delivered block; the last block may be shorter
    int stream = 0;           // copied into every TimedSample
  };

  explicit AudioFileSource(const std::filesystem::path& path, Options options);
  explicit AudioFileSource(const std::filesystem::path& path) : AudioFileSource(path, Options{}) {}
  // Reads an in-memory file (tests, fuzzing, a download). `bytes` must outlive the source; `name`
  // stands for the file in messages.
  AudioFileSource(std::span<const unsigned char> bytes, std::string name, Options options);
  ~AudioFileSource() override;
  AudioFileSource(const AudioFileSource&) = delete;
  AudioFileSource& operator=(const AudioFileSource&) = delete;

  // Fills out.payload with an AudioBlock of up to block_frames frames; out.time is the index of
  // its first frame divided by the rate. Returns false after the last frame.
  bool next(TimedSample& out) override;
  std::string describe() const override;
  const AudioFileInfo& info() const { return info_; }

 private:
  struct Impl;
  void open(const std::filesystem::path* path);

  std::string name_;
  Options options_;
  AudioFileInfo info_;
  int64_t position_ = 0;  // frames delivered so far
  std::unique_ptr<Impl> impl_;
};

// Convenience: the whole file as one block (time 0). `info`, if given, receives the file's details.
AudioBlock read_audio_file(const std::filesystem::path& path, AudioFileInfo* info = nullptr);
AudioBlock read_audio_memory(std::span<const unsigned char> bytes, const std::string& name,
                             AudioFileInfo* info = nullptr);

}  // namespace liquid::sensors
