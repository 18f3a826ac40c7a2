// The Free Spoken Digit Dataset (FSDD) as a training task: each recording
// {digit}_{speaker}_{index}.wav (or .flac) becomes one sequence of log-mel frames labelled with its
// digit. Lives in tasks/, above lfm/ and encoders/, because lfm (models, trainer) must not depend on
// the audio stack; register_fsdd_task() hands the loader to the trainer (lfm::register_task).
//
// The protocol and its choices:
//  - Split: index 0-4 is the test set (the dataset's own convention); FsddOptions can carve a
//    validation split out of the next indices (the "fsdd" task: 5-9), the rest is training.
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

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "encoders/audio_features.h"
#include "lfm/dataset.h"
#include "lfm/trainer.h"
#include "sensors/timed_sample.h"

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

// Data augmentation of the training split (never validation or test): `copies` perturbed versions
// of every training recording are added next to the original, each drawn from a generator seeded by
// (seed, file name, copy), so the data set is the same on every run, platform and file order. Each
// copy gets, on the raw samples before the features: a speed change (resampling by a factor in
// [1 - speed, 1 + speed], tempo and pitch together, as Kaldi's speed perturbation), a gain in
// [-gain_db, +gain_db], a random start (up to shift_seconds of low noise prepended, or as much of the
// start cut) and, with probability noise_probability, white noise at an SNR in [snr_min_db, snr_max_db].
struct FsddAugmentation {
  int copies = 0;
  std::uint64_t seed = 1;
  double speed = 0.1;
  double gain_db = 6.0;
  double shift_seconds = 0.1;
  double noise_probability = 0.5;
  double snr_min_db = 10.0, snr_max_db = 40.0;
};

struct FsddOptions {
  int frames = 100;            // steps per sequence
  int test_indices = 5;        // index < test_indices: test split
  int validation_indices = 0;  // test_indices <= index < test_indices + this: validation split
  // Training split only: the label sits on this many last real frames, 0 = on every real frame
  // (more supervision per recording: the model learns to name the digit as early as it can and to
  // hold it to the end); validation and test always count one decision, the last real frame's.
  int label_frames = 1;
  FsddAugmentation augmentation;
  bool normalize = true;
  encoders::AudioFeatureConfig features = fsdd_feature_config();
};

// The options `liquid train` uses for "task": "fsdd" (samples/kws/README.md says how they were chosen).
FsddOptions fsdd_task_options();

// One training copy's perturbed samples (see FsddAugmentation); copy 0 is not special.
sensors::AudioBlock augment_fsdd(const sensors::AudioBlock& block, const FsddAugmentation& a,
                                 const std::string& name, int copy);

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
