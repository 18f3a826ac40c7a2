// The microphone through PortAudio: device listing and a live Source of AudioBlock samples.
//
// Timing: a block's time is PortAudio's ADC time of its first frame (inputBufferAdcTime) minus that of
// the first block, so times start near 0 and follow the sound card's clock, gaps included. Some hosts
// (ALSA on some cards) report 0 for every ADC time; when the first callback does, the source uses the
// frame count divided by the rate instead, for the whole stream. Times never go back (a block whose ADC
// time is earlier than the previous block's gets the previous time).
//
// The audio thread hands blocks to next() through AudioBlockQueue, a fixed ring allocated up front.
// If the reader falls behind and the ring is full, the newest block is dropped and counted
// (dropped_frames()); the next delivered block's time shows the gap, which the liquid cells read as a
// longer dt.
//
// PortAudio's ALSA backend prints about 130 lines to stderr when it starts on a machine without a sound
// card. With Options::quiet (the default), file descriptor 2 is pointed at a temporary file for the
// duration of Pa_Initialize and Pa_OpenStream; another thread's stderr output in that window (a few
// milliseconds) goes to that file too. The captured text is added to the message if PortAudio fails.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sensors/source.h"

namespace liquid::sensors {

struct AudioDevice {
  int index = 0;  // PortAudio's device index
  std::string name;
  std::string host_api;  // e.g. "ALSA"
  int max_input_channels = 0;
  double default_sample_rate = 0.0;
};

// All devices PortAudio sees (inputs and outputs; max_input_channels == 0 for an output only).
std::vector<AudioDevice> list_audio_devices(bool quiet = true);

// Single-producer single-consumer ring of equally sized blocks: push() is called from the audio
// thread and never allocates or locks; pop() waits up to a timeout.
class AudioBlockQueue {
 public:
  AudioBlockQueue(int capacity_blocks, int block_samples);
  // Audio thread. Returns false (and counts the block as dropped) when the ring is full.
  bool push(const float* samples, double time);
  // Reader thread. Copies the oldest block into `samples` (resized to block_samples) and returns true,
  // or returns false when none arrived within timeout_ms.
  bool pop(std::vector<float>& samples, double& time, int timeout_ms);
  int64_t dropped_blocks() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  int capacity_;
  int block_samples_;
  std::vector<float> samples_;
  std::vector<double> times_;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> read_{0};
  std::atomic<int64_t> dropped_{0};
  std::mutex mutex_;  // only for the condition variable; push() notifies without taking it
  std::condition_variable ready_;
};

class MicrophoneSource : public Source {
 public:
  struct Options {
    std::string device;       // "" = the default input; digits = a device index; else a name substring (any case)
    int sample_rate = 16000;  // 0 = the device's default rate
    int channels = 1;
    int block_frames = 160;   // 10 ms at 16 kHz
    int queue_blocks = 256;   // blocks that may wait for next() before new ones are dropped
    int stream = 0;
    bool quiet = true;        // hide the host library's start-up noise on stderr (see above)
  };

  // Opens and starts the stream. Throws SourceError "no audio input device ..." when there is none,
  // or naming the device and what PortAudio said.
  explicit MicrophoneSource(Options options);
  ~MicrophoneSource() override;
  MicrophoneSource(const MicrophoneSource&) = delete;
  MicrophoneSource& operator=(const MicrophoneSource&) = delete;

  // Waits for the next block. Returns false after stop(); throws if the stream dies.
  bool next(TimedSample& out) override;
  std::string describe() const override;
  bool live() const override { return true; }

  void stop();
  int64_t dropped_frames() const;
  int64_t overflows() const { return overflows_.load(std::memory_order_relaxed); }
  const AudioDevice& device() const { return device_; }

 private:
  friend struct PortAudioCallback;
  // Audio thread: one block of block_frames frames from PortAudio.
  void on_audio(const float* input, double adc_time, bool overflow);

  Options options_;
  AudioDevice device_;
  std::unique_ptr<AudioBlockQueue> queue_;
  void* stream_ = nullptr;  // PaStream*
  bool initialized_ = false;
  std::atomic<bool> stopped_{false};
  // Audio-thread state.
  bool first_callback_ = true;
  bool use_adc_time_ = true;
  double first_adc_time_ = 0.0;
  double last_time_ = 0.0;
  int64_t frames_seen_ = 0;
  std::atomic<int64_t> overflows_{0};
};

}  // namespace liquid::sensors
