// MicrophoneSource through PortAudio's real ALSA callback path, on a virtual capture device: ALSA's
// "null" plugin, added by tests/data/audio/null_capture.asoundrc (ALSA_CONFIG_PATH is set before
// PortAudio first starts). The device delivers audio as fast as it is read and leaves the samples
// uninitialised, so these tests check what does not depend on real sound: device choice, block shape,
// times starting at 0 and never going back, drop counting, stop(). Skipped where ALSA is absent.
#include <gtest/gtest.h>

#include <cstdlib>

#include "sensors/microphone.h"

namespace {

using liquid::sensors::AudioBlock;
using liquid::sensors::MicrophoneSource;
using liquid::sensors::SourceError;
using liquid::sensors::TimedSample;

const bool kAlsaConfigured = [] {
  setenv("ALSA_CONFIG_PATH", LIQUID_TEST_DATA "/audio/null_capture.asoundrc", 1);
  return true;
}();

bool has_null_device() {
  for (const auto& d : liquid::sensors::list_audio_devices())
    if (d.name == "liquidnull" && d.max_input_channels > 0) return true;
  return false;
}

#define SKIP_WITHOUT_NULL_DEVICE()                                                   \
  if (!kAlsaConfigured || !has_null_device()) GTEST_SKIP() << "no ALSA null device"; \
  static_assert(true)

TEST(MicrophoneNullDevice, DeliversTimedBlocksOfTheAskedShape) {
  SKIP_WITHOUT_NULL_DEVICE();
  MicrophoneSource::Options options;
  options.device = "LIQUIDNULL";  // a name substring, any case
  options.sample_rate = 16000;
  options.channels = 2;
  options.block_frames = 160;
  options.stream = 4;
  MicrophoneSource mic(options);
  EXPECT_TRUE(mic.live());
  EXPECT_EQ(mic.device().name, "liquidnull");
  EXPECT_NE(mic.describe().find("16000 Hz, 2 ch, blocks of 160"), std::string::npos) << mic.describe();
  TimedSample sample;
  double previous = -1.0;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(mic.next(sample));
    const auto& block = std::get<AudioBlock>(sample.payload);
    ASSERT_EQ(block.frames(), 160);
    ASSERT_EQ(block.channels, 2);
    ASSERT_EQ(block.sample_rate, 16000);
    ASSERT_EQ(sample.stream, 4);
    if (i == 0) {
      EXPECT_EQ(sample.time, 0.0);
    }
    ASSERT_GE(sample.time, previous) << "block " << i;
    previous = sample.time;
  }
  mic.stop();
  EXPECT_FALSE(mic.next(sample));
  // An unpaced device outruns the reader, so the ring overflows; whatever was lost is counted in whole blocks.
  EXPECT_EQ(mic.dropped_frames() % 160, 0);
}

TEST(MicrophoneNullDevice, ChoosesByIndexAndDefaultRateAndRejectsTooManyChannels) {
  SKIP_WITHOUT_NULL_DEVICE();
  int index = -1;
  for (const auto& d : liquid::sensors::list_audio_devices())
    if (d.name == "liquidnull") index = d.index;
  MicrophoneSource::Options options;
  options.device = std::to_string(index);
  options.sample_rate = 0;  // the device's default
  {
    MicrophoneSource mic(options);
    EXPECT_EQ(mic.device().index, index);
    TimedSample sample;
    ASSERT_TRUE(mic.next(sample));
    EXPECT_EQ(std::get<AudioBlock>(sample.payload).sample_rate, int(mic.device().default_sample_rate));
  }
  options.channels = 100000;
  try {
    MicrophoneSource mic(options);
    ADD_FAILURE() << "opened 100000 channels";
  } catch (const SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("input channels; asked for 100000"), std::string::npos) << e.what();
  }
}

}  // namespace
