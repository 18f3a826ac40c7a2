// The microphone without a microphone: CI machines (and this container) have no sound card, so these
// tests pin down the paths they do see (device listing, the "no audio input device" error, quiet
// start-up) and the audio-thread hand-off (AudioBlockQueue), which needs no device.
#include "sensors/microphone.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

using liquid::sensors::AudioBlockQueue;
using liquid::sensors::MicrophoneSource;
using liquid::sensors::SourceError;

bool has_input_device() {
  for (const auto& d : liquid::sensors::list_audio_devices())
    if (d.max_input_channels > 0) return true;
  return false;
}

std::string error_of(const MicrophoneSource::Options& options) {
  try {
    MicrophoneSource source(options);
  } catch (const SourceError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Microphone, ListsDevicesWithTheirIndexNameAndChannels) {
  const auto devices = liquid::sensors::list_audio_devices();
  for (size_t i = 0; i < devices.size(); ++i) {
    EXPECT_GE(devices[i].index, 0);
    EXPECT_FALSE(devices[i].name.empty());
    EXPECT_GE(devices[i].max_input_channels, 0);
    EXPECT_GT(devices[i].default_sample_rate, 0.0);
  }
}

TEST(Microphone, WithoutAnInputDeviceOpeningSaysSo) {
  if (has_input_device()) GTEST_SKIP() << "this machine has an audio input";
  EXPECT_NE(error_of({}).find("microphone: no audio input device"), std::string::npos) << error_of({});
}

TEST(Microphone, UnknownDeviceNameOrIndexIsAnError) {
  MicrophoneSource::Options options;
  options.device = "no-such-device-xyz";
  const std::string by_name = error_of(options);
  EXPECT_TRUE(by_name.find("no audio input device") != std::string::npos) << by_name;
  options.device = "9999";
  EXPECT_NE(error_of(options).find("no audio input device"), std::string::npos);
}

TEST(Microphone, BadOptionsAreRejectedBeforeTouchingTheDevice) {
  MicrophoneSource::Options options;
  options.block_frames = 0;
  EXPECT_NE(error_of(options).find("block_frames 0"), std::string::npos) << error_of(options);
}

TEST(Microphone, QuietStartKeepsAlsaNoiseOffStderr) {
  ::testing::internal::CaptureStderr();
  liquid::sensors::list_audio_devices(/*quiet=*/true);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(AudioBlockQueue, HandsBlocksFromAnotherThreadInOrder) {
  constexpr int kBlocks = 2000, kSamples = 32;
  AudioBlockQueue queue(8, kSamples);
  std::thread producer([&] {
    std::vector<float> block(kSamples);
    for (int b = 0; b < kBlocks; ++b) {
      for (int i = 0; i < kSamples; ++i) block[size_t(i)] = float(b * kSamples + i);
      while (!queue.push(block.data(), b * 0.01)) std::this_thread::yield();  // a test may wait; audio never does
    }
  });
  std::vector<float> got;
  double time = -1;
  for (int b = 0; b < kBlocks; ++b) {
    ASSERT_TRUE(queue.pop(got, time, 5000));
    ASSERT_EQ(got.size(), size_t(kSamples));
    EXPECT_EQ(time, b * 0.01);
    for (int i = 0; i < kSamples; ++i) ASSERT_EQ(got[size_t(i)], float(b * kSamples + i));
  }
  producer.join();
  EXPECT_FALSE(queue.pop(got, time, 10));
}

TEST(AudioBlockQueue, FullRingDropsAndCountsNewBlocks) {
  AudioBlockQueue queue(4, 2);
  const float block[2] = {1, 2};
  int accepted = 0;
  for (int b = 0; b < 10; ++b) accepted += queue.push(block, b);
  EXPECT_EQ(accepted, 4);
  EXPECT_EQ(queue.dropped_blocks(), 6);
  std::vector<float> got;
  double time = -1;
  ASSERT_TRUE(queue.pop(got, time, 0));
  EXPECT_EQ(time, 0.0);  // the oldest block survives; the gap shows in the next times
}

}  // namespace
