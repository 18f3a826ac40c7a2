// The Free Spoken Digit Dataset (FSDD) as a training task: each recording
// {digit}_{speaker}_{index}.wav (or .flac) becomes one sequence of log-mel frames labelled with its
// digit. Lives in tasks/, above lfm/ and encoders/, because lfm (models, trainer) must not depend on
// the audio stack; register_fsdd_task() hands the loader to the trainer (lfm::register_task).
//
// The protocol and its choices:
//  - Split: index 0-4 is the test set (the dataset's own convention), 5-49 training; no validation
//    split, so the trainer keeps the epoch of lowest training loss.
//  - Features: log-mel, 40 Slaney bands, 25 ms Hann window, 10 ms hop at 8 kHz, as the encoder
//    computes them in streaming (encoders/audio_features.h): what a model sees offline is exactly
//    what it sees live. Elapsed time per frame is the hop, 0.01 s.
//  - Fixed length: every recording is `frames` steps (default 100 = 1 s; 99 % of FSDD is shorter).
//    A shorter one is padded after its end (zeros, masked out); a longer one is cut to its first
//    `frames` frames. The label and the mask sit on the last real
//    step only, so the model is trained to decide when the word ends; padding after that step never
//    reaches the decision of a causal model.
//  - Normalisation: each band's mean and std over every real frame of the training recordings (not
//    only the masked last steps that lfm::fit_normalization would see), applied to all splits and
//    stored in the model file so streaming applies the same.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "encoders/audio_features.h"
#include "lfm/dataset.h"
#include "lfm/trainer.h"

namespace liquid::tasks {

// What a file name says: "7_jackson_32.wav" -> digit 7, speaker "jackson", index 32.
struct FsddName {
  int digit = 0;
  std::string speaker;
  int index = 0;
};
// Throws std::invalid_argument naming the file and the expected pattern.
FsddName parse_fsdd_name(const std::filesystem::path& file);

// 8 kHz, 40 log-mel bands, 25 ms window, 10 ms hop.
encoders::AudioFeatureConfig fsdd_feature_config();

struct FsddOptions {
  int frames = 100;      // steps per sequence
  int test_indices = 5;  // index < test_indices: test split
  bool normalize = true;
  encoders::AudioFeatureConfig features = fsdd_feature_config();
};

// One recording's feature frames (n x width, row-major) and their times, in streaming order.
// Throws std::runtime_error naming the file if it cannot be read or has another sample rate.
struct FsddFeatures {
  int frames = 0, width = 0;
  std::vector<float> values;
  double hop_seconds = 0.0;
};
FsddFeatures fsdd_features(const std::filesystem::path& file, const encoders::AudioFeatureConfig& config);

// The recordings of `folder` (every *.wav and *.flac, sorted by name) as train/test splits with
// class names "0".."9". Throws std::runtime_error naming the folder when it holds none.
lfm::DatasetSplits load_fsdd(const std::filesystem::path& folder, const FsddOptions& options = {});

// The task name "fsdd" for `liquid train` configurations; call once at startup.
lfm::TrainTask register_fsdd_task();

}  // namespace liquid::tasks
