// PortAudio capture: device choice, a callback that only copies into a preallocated ring, and the
// stderr redirection that keeps ALSA's start-up noise out of the terminal.
#include "sensors/microphone.h"

#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace liquid::sensors {

namespace {

// Runs f() with file descriptor 2 pointed at a temporary file and returns the last lines written
// there. The mutex keeps two captures from interleaving their dup2 calls.
template <class F>
std::string capture_stderr(bool quiet, F&& f) {
  if (!quiet) {
    f();
    return {};
  }
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fflush(stderr);
  FILE* tmp = std::tmpfile();
  const int saved = tmp ? dup(2) : -1;
  if (saved < 0 || dup2(fileno(tmp), 2) < 0) {  // cannot redirect: run noisily
    if (saved >= 0) close(saved);
    if (tmp) std::fclose(tmp);
    f();
    return {};
  }
  auto restore = [&] {
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
  };
  try {
    f();
  } catch (...) {
    restore();
    std::fclose(tmp);
    throw;
  }
  restore();
  std::string text;
  const long size = std::ftell(tmp);
  if (size > 0) {
    const long keep = std::min(size, 400L);
    text.resize(size_t(keep));
    std::fseek(tmp, size - keep, SEEK_SET);
    text.resize(std::fread(text.data(), 1, text.size(), tmp));
  }
  std::fclose(tmp);
  return text;
}

std::string pa_error(PaError err, const std::string& captured) {
  std::string s = Pa_GetErrorText(err);
  if (err == paUnanticipatedHostError) {
    const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
    if (host && host->errorText) s += std::string(" (") + host->errorText + ")";
  }
  if (!captured.empty()) s += "; host library said: ..." + captured;
  return s;
}

// Pa_Initialize / Pa_Terminate are reference counted by PortAudio, so each user holds one.
void pa_initialize(bool quiet) {
  PaError err = paNoError;
  const std::string said = capture_stderr(quiet, [&] { err = Pa_Initialize(); });
  if (err != paNoError) throw SourceError("microphone: PortAudio failed to start: " + pa_error(err, said));
}

std::vector<AudioDevice> devices_of_initialized_portaudio() {
  const int count = Pa_GetDeviceCount();
  if (count < 0) throw SourceError(std::string("microphone: PortAudio cannot list devices: ") + Pa_GetErrorText(count));
  std::vector<AudioDevice> devices;
  for (int i = 0; i < count; ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (!info) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
    devices.push_back({i, info->name ? info->name : "?", api && api->name ? api->name : "?", info->maxInputChannels,
                       info->defaultSampleRate});
  }
  return devices;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

AudioDevice choose_device(const std::vector<AudioDevice>& devices, const std::string& want, int channels) {
  std::vector<const AudioDevice*> inputs;
  for (const auto& d : devices)
    if (d.max_input_channels > 0) inputs.push_back(&d);
  if (inputs.empty())
    throw SourceError("microphone: no audio input device (PortAudio sees " + std::to_string(devices.size()) +
                      " devices, none with input channels)");
  std::string listing;
  for (const auto* d : inputs)
    listing += (listing.empty() ? "" : ", ") + std::to_string(d->index) + " '" + d->name + "'";
  const AudioDevice* chosen = nullptr;
  if (want.empty()) {
    const int index = Pa_GetDefaultInputDevice();
    for (const auto* d : inputs)
      if (d->index == index) chosen = d;
    if (!chosen) chosen = inputs.front();  // the host names no default; any input will do
  } else if (std::all_of(want.begin(), want.end(), [](unsigned char c) { return std::isdigit(c); })) {
    for (const auto* d : inputs)
      if (std::to_string(d->index) == want) chosen = d;
    if (!chosen) throw SourceError("microphone: no audio input device with index " + want + "; inputs: " + listing);
  } else {
    for (const auto* d : inputs)
      if (!chosen && lower(d->name).find(lower(want)) != std::string::npos) chosen = d;
    if (!chosen) throw SourceError("microphone: no audio input device matches '" + want + "'; inputs: " + listing);
  }
  if (channels > chosen->max_input_channels)
    throw SourceError("microphone: device " + std::to_string(chosen->index) + " '" + chosen->name + "' has " +
                      std::to_string(chosen->max_input_channels) + " input channels; asked for " +
                      std::to_string(channels));
  return *chosen;
}

}  // namespace

std::vector<AudioDevice> list_audio_devices(bool quiet) {
  pa_initialize(quiet);
  try {
    auto devices = devices_of_initialized_portaudio();
    Pa_Terminate();
    return devices;
  } catch (...) {
    Pa_Terminate();
    throw;
  }
}

AudioBlockQueue::AudioBlockQueue(int capacity_blocks, int block_samples)
    : capacity_(capacity_blocks),
      block_samples_(block_samples),
      samples_(size_t(capacity_blocks) * size_t(block_samples)),
      times_(size_t(capacity_blocks)) {}

bool AudioBlockQueue::push(const float* samples, double time) {
  const uint64_t w = written_.load(std::memory_order_relaxed);
  if (w - read_.load(std::memory_order_acquire) >= uint64_t(capacity_)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const size_t slot = size_t(w % uint64_t(capacity_));
  std::memcpy(&samples_[slot * size_t(block_samples_)], samples, sizeof(float) * size_t(block_samples_));
  times_[slot] = time;
  written_.store(w + 1, std::memory_order_release);
  ready_.notify_one();
  return true;
}

bool AudioBlockQueue::pop(std::vector<float>& samples, double& time, int timeout_ms) {
  const uint64_t r = read_.load(std::memory_order_relaxed);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // push() notifies without the mutex (the audio thread must not block on it), so a wake-up can slip
  // between the check and the wait; short waits bound the cost of a lost one to 5 ms.
  while (written_.load(std::memory_order_acquire) == r) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, std::chrono::milliseconds(5));
  }
  const size_t slot = size_t(r % uint64_t(capacity_));
  samples.resize(size_t(block_samples_));
  std::memcpy(samples.data(), &samples_[slot * size_t(block_samples_)], sizeof(float) * size_t(block_samples_));
  time = times_[slot];
  read_.store(r + 1, std::memory_order_release);
  return true;
}

struct PortAudioCallback {
  static int run(const void* input, void* /*output*/, unsigned long frames, const PaStreamCallbackTimeInfo* time,
                 PaStreamCallbackFlags flags, void* user) {
    auto* self = static_cast<MicrophoneSource*>(user);
    // A fixed framesPerBuffer makes PortAudio deliver exactly block_frames; anything else is lost audio.
    if (input && frames == (unsigned long)self->options_.block_frames)
      self->on_audio(static_cast<const float*>(input), time ? time->inputBufferAdcTime : 0.0,
                     (flags & paInputOverflow) != 0);
    else
      self->overflows_.fetch_add(1, std::memory_order_relaxed);
    return self->stopped_.load(std::memory_order_relaxed) ? paComplete : paContinue;
  }
};

MicrophoneSource::MicrophoneSource(Options options) : options_(std::move(options)) {
  if (options_.channels < 1 || options_.block_frames < 1 || options_.queue_blocks < 2 || options_.sample_rate < 0)
    throw SourceError("microphone: options give " + std::to_string(options_.channels) + " channels, block_frames " +
                      std::to_string(options_.block_frames) + ", queue_blocks " + std::to_string(options_.queue_blocks) +
                      ", sample_rate " + std::to_string(options_.sample_rate) +
                      "; expected channels >= 1, block_frames >= 1, queue_blocks >= 2, sample_rate >= 0");
  pa_initialize(options_.quiet);
  initialized_ = true;
  try {
    device_ = choose_device(devices_of_initialized_portaudio(), options_.device, options_.channels);
    if (options_.sample_rate == 0) options_.sample_rate = int(std::lround(device_.default_sample_rate));
    queue_ = std::make_unique<AudioBlockQueue>(options_.queue_blocks, options_.block_frames * options_.channels);

    PaStreamParameters in{};
    in.device = device_.index;
    in.channelCount = options_.channels;
    in.sampleFormat = paFloat32;
    in.suggestedLatency = Pa_GetDeviceInfo(device_.index)->defaultLowInputLatency;
    PaError err = paNoError;
    PaStream* stream = nullptr;
    const std::string said = capture_stderr(options_.quiet, [&] {
      err = Pa_OpenStream(&stream, &in, nullptr, options_.sample_rate, (unsigned long)options_.block_frames, paClipOff,
                          &PortAudioCallback::run, this);
      if (err == paNoError) err = Pa_StartStream(stream);
    });
    stream_ = stream;
    if (err != paNoError)
      throw SourceError("microphone: cannot capture from device " + std::to_string(device_.index) + " '" +
                        device_.name + "' at " + std::to_string(options_.sample_rate) + " Hz, " +
                        std::to_string(options_.channels) + " ch: " + pa_error(err, said));
  } catch (...) {
    if (stream_) Pa_CloseStream(stream_);
    Pa_Terminate();
    throw;
  }
}

MicrophoneSource::~MicrophoneSource() {
  if (stream_) {
    Pa_AbortStream(stream_);
    Pa_CloseStream(stream_);
  }
  if (initialized_) Pa_Terminate();
}

void MicrophoneSource::on_audio(const float* input, double adc_time, bool overflow) {
  if (first_callback_) {
    first_callback_ = false;
    use_adc_time_ = adc_time != 0.0;
    first_adc_time_ = adc_time;
  }
  double time = use_adc_time_ ? adc_time - first_adc_time_ : double(frames_seen_) / options_.sample_rate;
  // ALSA derives ADC times from "now minus the buffered delay", which can step back a little when the
  // delay estimate changes; the cells need dt >= 0, so a block's time never goes back.
  time = std::max(time, last_time_);
  last_time_ = time;
  if (overflow) overflows_.fetch_add(1, std::memory_order_relaxed);
  queue_->push(input, time);
  frames_seen_ += options_.block_frames;
}

bool MicrophoneSource::next(TimedSample& out) {
  AudioBlock* block = std::get_if<AudioBlock>(&out.payload);
  if (!block) block = &out.payload.emplace<AudioBlock>();
  while (!stopped_.load()) {
    if (queue_->pop(block->samples, out.time, 100)) {
      block->sample_rate = options_.sample_rate;
      block->channels = options_.channels;
      out.stream = options_.stream;
      return true;
    }
    if (!stopped_.load() && Pa_IsStreamActive(stream_) != 1)
      throw SourceError(describe() + ": the stream stopped delivering audio");
  }
  return false;
}

void MicrophoneSource::stop() {
  stopped_.store(true);
  if (stream_) Pa_StopStream(stream_);
}

int64_t MicrophoneSource::dropped_frames() const { return queue_->dropped_blocks() * options_.block_frames; }

std::string MicrophoneSource::describe() const {
  return "microphone " + std::to_string(device_.index) + " '" + device_.name + "' (" + device_.host_api + ", " +
         std::to_string(options_.sample_rate) + " Hz, " + std::to_string(options_.channels) + " ch, blocks of " +
         std::to_string(options_.block_frames) + ")";
}

}  // namespace liquid::sensors
