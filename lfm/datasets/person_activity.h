// UCI Localization Data for Person Activity (Kaluza et al. 2010, CC BY 4.0): four UWB tags (left
// ankle, right ankle, chest, belt) report x, y, z positions, interleaved and irregularly sampled
// (median gap 27 ms), each row labelled with one of 11 activities. The shipped file holds the
// recordings A01-A03 (16,486 rows); columns: sequence name, tag id, .NET ticks (100 ns), date,
// x, y, z, activity.
//
// Protocol, as the LTC paper's experiments_with_ltcs/person.py and the CfC paper's
// PersonData (raminmh/CfC, irregular_sampled_datasets.py), which agree on features and classes:
//  * inputs: one-hot of the tag (010-000-024-033, 010-000-030-096, 020-000-033-111,
//    020-000-032-221, in that order) then x, y, z: 7 inputs. With elapsed_time_input (the CfC
//    setting) an 8th input is the time since the previous row, 100 ms = 1.0.
//  * classes: the 11 activities merged into 7 by both scripts' class_map (used here rather than
//    ODE-RNN's person_activity merge because it is the LTC/CfC papers' own, and it gives the 7
//    classes the LTC paper reports):
//      0 lying        <- "lying", "lying down"
//      1 sitting      <- "sitting", "sitting down"
//      2 standing up  <- "standing up from lying", "standing up from sitting",
//                        "standing up from sitting on the ground"
//      3 walking      <- "walking"
//      4 falling      <- "falling"
//      5 on all fours <- "on all fours"
//      6 sitting on the ground <- "sitting on the ground"
//  * a recording is a run of rows with the same sequence name; each is cut into windows of 32 rows
//    with stride 16 (starts over range(0, rows - 32, 16), like the scripts). One label per step.
//  * split over all windows with numpy's RandomState(seed).permutation (NumpyRandomState): LTC
//    (default) 10 % validation, next 15 % test, the rest training, seed 27731; CfC
//    (PersonActivityOptions::cfc()) 20 % test, no validation, seed 98841. Sizes truncate as int().
//  * timespans: the gap to the previous row of the same recording in units of time_unit_seconds
//    (0.1 s: 100 ms = 1.0, the CfC convention). The first row of a recording gets
//    first_step_elapsed, 0.5 (50 ms, what the CfC script's comment intends; its arithmetic turns
//    its 0.05 s into 5.0).
//  * the upstream file has two rows that are 5 ms earlier than the row before them (A01 line 1603,
//    A03 line 15106: tags reporting out of order). Like the scripts we keep file order; their gap
//    becomes 0. A step back of more than backward_tolerance_seconds is an error.
//  * normalisation (the scripts had none; it helps the LTC's ODE): x, y, z z-scored with the
//    training split's mean and population std; one-hot and elapsed time left as they are.
#pragma once

#include <cstdint>
#include <filesystem>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct PersonActivityOptions {
  int steps = 32;
  int stride = 16;
  double validation_fraction = 0.1;
  double test_fraction = 0.15;
  std::uint32_t seed = 27731;  // the LTC script's permutation seed
  bool elapsed_time_input = false;
  double time_unit_seconds = 0.1;
  double first_step_elapsed = 0.5;  // in time units
  double backward_tolerance_seconds = 0.01;
  bool normalize = true;

  // The CfC paper's setting: elapsed time as an 8th input, 20 % test, no validation, seed 98841.
  static PersonActivityOptions cfc();
};

// Throws DataFormatError (file, line, column) on a malformed row: a missing or extra field, text in
// a number column, an unknown tag or activity, a time that goes back within a recording by more
// than the tolerance; and if no recording is long enough for one window.
DatasetSplits load_person_activity(const std::filesystem::path& file,
                                   const PersonActivityOptions& options = {});

}  // namespace liquid::lfm
