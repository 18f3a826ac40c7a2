// The FSDD task loader (tasks/fsdd.h) on the three recordings in tests/data/audio, and the shipped
// model (samples/models/fsdd_cfc.safetensors) on a few test-split recordings.
#include "tasks/fsdd.h"

#include <gtest/gtest.h>
#include <gmock/gmock.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "lfm/model.h"
#include "lfm/trainer.h"
#include "sensors/audio_file.h"

namespace liquid::tasks {
namespace {

using ::testing::HasSubstr;
const std::filesystem::path kAudio = std::filesystem::path(LIQUID_TEST_DATA) / "audio";

TEST(FsddName, ParsesDigitSpeakerIndex) {
  const FsddName n = parse_fsdd_name("dir/7_jackson_32.wav");
  EXPECT_EQ(n.digit, 7);
  EXPECT_EQ(n.speaker, "jackson");
  EXPECT_EQ(n.index, 32);
  EXPECT_EQ(parse_fsdd_name("3_yweweler_0.flac").speaker, "yweweler");
}

TEST(FsddName, BadNamesSayWhatWasExpected) {
  EXPECT_THAT([] { parse_fsdd_name("x/hello.wav"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("hello.wav: not an FSDD recording name; expected {digit}_{speaker}_{index}.wav")));
  EXPECT_THAT([] { parse_fsdd_name("a_george_1.wav"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("a_george_1.wav: the digit 'a'")));
  EXPECT_THAT([] { parse_fsdd_name("12_george_1.wav"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("digit 12 is not 0-9")));
  EXPECT_THAT([] { parse_fsdd_name("1_george_x.wav"); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("the index 'x'")));
}

TEST(FsddLoader, ShapesLabelsAndMasks) {
  FsddOptions options;
  options.frames = 50;
  const lfm::DatasetSplits s = load_fsdd(kAudio, options);
  // All three shipped recordings have index 0: the test split.
  ASSERT_EQ(s.test.size(), 3U);
  EXPECT_EQ(s.train.size(), 0U);
  EXPECT_EQ(s.test.steps, 50);
  EXPECT_EQ(s.test.input_size, 40);
  EXPECT_EQ(s.test.num_classes, 10);
  const int expected_labels[] = {0, 3, 7};  // sorted: 0_george_0, 3_jackson_0, 7_theo_0
  for (int i = 0; i < 3; ++i) {
    int masked = 0, label = -1, last = -1;
    for (int t = 0; t < 50; ++t) {
      const size_t p = static_cast<size_t>(i) * 50 + t;
      EXPECT_FLOAT_EQ(s.test.timespans[p], 0.01F);
      if (s.test.mask[p]) ++masked, label = s.test.labels[p], last = t;
      else EXPECT_EQ(s.test.labels[p], -1);
    }
    EXPECT_EQ(masked, 1) << "one decision per recording";
    EXPECT_EQ(label, expected_labels[i]);
    // The decision sits on the last real frame: that recording's frame count, or the cut.
    const std::filesystem::path files[] = {kAudio / "0_george_0.wav", kAudio / "3_jackson_0.wav", kAudio / "7_theo_0.wav"};
    const FsddFeatures f = fsdd_features(files[i], fsdd_feature_config());
    EXPECT_EQ(last, std::min(f.frames, 50) - 1);
  }
  // No training split here, so nothing to normalise with.
  EXPECT_TRUE(s.normalization.empty());
}

TEST(FsddLoader, FramesAreTheStreamingEncodersEvery10ms) {
  const FsddFeatures f = fsdd_features(kAudio / "0_george_0.wav", fsdd_feature_config());
  sensors::AudioFileInfo info;
  (void)sensors::read_audio_file(kAudio / "0_george_0.wav", &info);
  EXPECT_EQ(f.width, 40);
  EXPECT_DOUBLE_EQ(f.hop_seconds, 0.01);
  EXPECT_EQ(f.frames, (info.frames - 200) / 80 + 1);  // no centre padding: whole 25 ms windows
}

// The loader's split by index, with the three test recordings renamed into other indices.
std::filesystem::path split_folder() {
  const auto dir = std::filesystem::temp_directory_path() / "liquid_fsdd_split_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kAudio / "0_george_0.wav", dir / "0_george_2.wav");  // test
  std::filesystem::copy_file(kAudio / "3_jackson_0.wav", dir / "3_jackson_7.wav");  // validation
  std::filesystem::copy_file(kAudio / "7_theo_0.wav", dir / "7_theo_12.wav");  // training
  return dir;
}

TEST(FsddLoader, ValidationSplitAugmentedCopiesAndLabelFrames) {
  const auto dir = split_folder();
  FsddOptions options;
  options.validation_indices = 5;
  options.label_frames = 4;
  options.augmentation.copies = 3;
  const lfm::DatasetSplits s = load_fsdd(dir, options);
  ASSERT_EQ(s.test.size(), 1U);
  ASSERT_EQ(s.validation.size(), 1U);
  ASSERT_EQ(s.train.size(), 4U) << "the training recording and its 3 copies";
  auto labelled = [](const lfm::SequenceDataset& d, int i) {
    int count = 0;
    for (int t = 0; t < d.steps; ++t) count += d.mask[static_cast<size_t>(i) * d.steps + t];
    return count;
  };
  EXPECT_EQ(labelled(s.test, 0), 1) << "test and validation keep one decision per recording";
  EXPECT_EQ(labelled(s.validation, 0), 1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(labelled(s.train, i), 4) << "copy " << i;
    for (int t = 0; t < s.train.steps; ++t) {
      const size_t p = static_cast<size_t>(i) * s.train.steps + t;
      if (s.train.mask[p]) {
        EXPECT_EQ(s.train.labels[p], 7);
      }
    }
  }
  // The copies differ from the original and from each other; the statistics come from the original.
  const size_t one = static_cast<size_t>(s.train.steps) * s.train.input_size;
  for (int i = 1; i < 4; ++i)
    EXPECT_FALSE(std::equal(s.train.inputs.begin(), s.train.inputs.begin() + one, s.train.inputs.begin() + i * one));
  const lfm::DatasetSplits again = load_fsdd(dir, options);
  EXPECT_EQ(again.train.inputs, s.train.inputs) << "augmentation is deterministic";
  EXPECT_EQ(again.normalization.mean, s.normalization.mean);
  options.augmentation.copies = 0;
  EXPECT_EQ(load_fsdd(dir, options).normalization.mean, s.normalization.mean) << "copies do not move the statistics";
  std::filesystem::remove_all(dir);
}

TEST(FsddAugmentation, SpeedGainShiftAndNoiseStayInTheirRanges) {
  const sensors::AudioBlock clean = sensors::read_audio_file(kAudio / "3_jackson_0.wav");
  FsddAugmentation a;
  a.speed = 0.1, a.shift_seconds = 0.1;
  for (int copy = 0; copy < 20; ++copy) {
    const sensors::AudioBlock out = augment_fsdd(clean, a, "3_jackson_0.wav", copy);
    EXPECT_EQ(out.sample_rate, clean.sample_rate);
    EXPECT_EQ(out.channels, 1);
    // Speed 0.9-1.1 and a start moved by up to 800 samples either way.
    const double n = static_cast<double>(clean.frames());
    EXPECT_GE(out.frames(), n / 1.1 - 801);
    EXPECT_LE(out.frames(), n / 0.9 + 801);
    for (float v : out.samples) ASSERT_TRUE(v >= -1.0F && v <= 1.0F);
    EXPECT_EQ(augment_fsdd(clean, a, "3_jackson_0.wav", copy).samples, out.samples) << "same seed, same copy";
  }
  EXPECT_NE(augment_fsdd(clean, a, "3_jackson_0.wav", 0).samples, augment_fsdd(clean, a, "3_jackson_0.wav", 1).samples);
  a.seed = 2;
  EXPECT_NE(augment_fsdd(clean, a, "3_jackson_0.wav", 0).samples, augment_fsdd(clean, {}, "3_jackson_0.wav", 0).samples);
}

TEST(FsddLoader, BadFolderAndBadNamesNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / "liquid_fsdd_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  EXPECT_THAT([&] { load_fsdd(dir); }, ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("no .wav or .flac recordings")));
  std::filesystem::copy_file(kAudio / "0_george_0.wav", dir / "george_zero.wav");
  EXPECT_THAT([&] { load_fsdd(dir); }, ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("george_zero.wav: not an FSDD recording name")));
  std::filesystem::remove(dir / "george_zero.wav");
  std::ofstream(dir / "1_bad_7.wav") << "not audio at all";
  EXPECT_THAT([&] { load_fsdd(dir); }, ::testing::Throws<std::exception>());
  try {
    load_fsdd(dir);
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("1_bad_7.wav"));
  }
  std::filesystem::remove_all(dir);
  EXPECT_THAT([&] { load_fsdd(dir); }, ::testing::ThrowsMessage<std::runtime_error>(HasSubstr("not a folder")));
}

TEST(FsddTask, RegisteredWithTheTrainer) {
  const lfm::TrainTask task = register_fsdd_task();
  EXPECT_EQ(register_fsdd_task(), task) << "registering twice gives the same task";
  EXPECT_EQ(lfm::task_name(task), "fsdd");
  EXPECT_EQ(lfm::task_from_name("fsdd", "test"), task);
  EXPECT_EQ(lfm::task_shape(task).classes, 10);
  EXPECT_EQ(lfm::task_shape(task).inputs, 40);
  EXPECT_EQ(lfm::load_task_data(task, kAudio).test.size(), 3U);
}

// The shipped model (samples/kws/README.md): its test accuracy on the shipped test split (index 0-4,
// 300 recordings) stays at the figure the README reports, and streaming (Model::step per frame)
// gives the batch path's (Model::forward) decision on every recording.
TEST(FsddModel, ShippedModelKeepsItsTestAccuracyAndStreamsLikeBatch) {
  const std::filesystem::path samples = LIQUID_SAMPLES;
  const std::filesystem::path path = samples / "models" / "fsdd_cfc.safetensors";
  const lfm::Model model = lfm::Model::load(path);
  EXPECT_LT(model.parameter_count(), 100000);
  const auto norm = lfm::read_model_normalization(lfm::SafetensorsFile::read_file(path));
  ASSERT_TRUE(norm.has_value());
  // Only the test split's files, linked into a folder of their own (loading all 3,000 takes longer).
  const auto dir = std::filesystem::temp_directory_path() / "liquid_fsdd_model_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& entry : std::filesystem::directory_iterator(samples / "data" / "audio" / "fsdd" / "recordings"))
    if (parse_fsdd_name(entry.path()).index < 5) std::filesystem::create_symlink(entry.path(), dir / entry.path().filename());
  FsddOptions options;
  options.normalize = false;
  lfm::SequenceDataset test = load_fsdd(dir, options).test;
  std::filesystem::remove_all(dir);
  ASSERT_EQ(test.size(), 300U);
  norm->apply(test);
  const int n = static_cast<int>(test.size()), steps = test.steps;
  std::vector<float> out(static_cast<size_t>(n) * steps * 10);
  model.forward(test.inputs, test.timespans, n, steps, out, {}, {}, 1);
  int correct = 0;
  lfm::ModelWorkspace ws = model.make_workspace();
  std::vector<float> step_y(10);
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < steps; ++t) {
      const size_t p = static_cast<size_t>(i) * steps + t;
      if (!test.mask[p]) continue;
      const float* y = out.data() + p * 10;
      const int batch_digit = static_cast<int>(std::max_element(y, y + 10) - y);
      correct += batch_digit == test.labels[p];
      lfm::ModelState state = model.initial_state();
      for (int k = 0; k <= t; ++k)
        model.step(test.inputs.data() + (static_cast<size_t>(i) * steps + k) * 40, 0.01, state, step_y.data(), ws);
      EXPECT_EQ(static_cast<int>(std::max_element(step_y.begin(), step_y.end()) - step_y.begin()), batch_digit)
          << "recording " << i;
    }
  EXPECT_GE(correct, 294) << "the README reports 294 / 300 = 98.00 %";
}

}  // namespace
}  // namespace liquid::tasks
