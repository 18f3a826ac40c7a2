// UCI Occupancy Detection (Candanedo & Feldheim 2016, CC BY 4.0): one reading a minute of room
// temperature, relative humidity, light, CO2 and humidity ratio, labelled occupied 0/1 each minute.
//
// Protocol, as the LTC paper's experiments_with_ltcs/occupancy.py (Hasani et al., AAAI 2021):
//  * rows of datatraining.txt cut into windows of 16 consecutive rows with stride 1, and of
//    datatest.txt with stride 8; like that script, the start runs over range(0, rows - 16, stride),
//    so the very last full window of each file is not used;
//  * the training windows shuffled with numpy's RandomState(893429).permutation (reproduced bit for
//    bit by NumpyRandomState): the first int(0.1 * n) become validation, the rest training, both in
//    permutation order. The windows overlap, so validation rows also occur in training windows;
//    that is the published protocol (it inflates validation accuracy, not test accuracy);
//  * test: every window of datatest.txt (the script also appended datatest2.txt, not shipped here).
//  * normalisation: z-score of all five inputs with mean and population std over the steps of the
//    training split's windows (the script used all rows of datatraining.txt; the difference is the
//    10 % validation windows and the window edges: means and stds move by under 0.6 % of the std).
//  * one label per step (0 empty, 1 occupied); every step is in the mask.
//  * timespans: the real gap to the previous row in minutes (59/60 s jitter gives 0.98..1.02);
//    the first row of a file has no predecessor and gets 1.0, the nominal period.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct OccupancyOptions {
  int steps = 16;
  int train_stride = 1;
  int test_stride = 8;
  double validation_fraction = 0.1;
  std::uint32_t seed = 893429;  // the LTC script's permutation seed
  bool normalize = true;
  std::string train_file = "datatraining.txt";
  std::string test_file = "datatest.txt";
};

// `dir` holds the two files. Throws DataFormatError (file, line, column) on a malformed row: a
// missing field, text in a number column, a bad date, a label other than 0/1, a time that does not
// advance; and if a file has no more than `steps` rows.
DatasetSplits load_occupancy(const std::filesystem::path& dir,
                             const OccupancyOptions& options = {});

}  // namespace liquid::lfm
