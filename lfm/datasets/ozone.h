// UCI Ozone Level Detection, eight-hour peak set (Zhang, Fan & Yuan 2006, CC BY 4.0): 2,534 days
// (1998-2004, Houston area) of 72 weather and pollution measurements and a label, 1 on ozone days
// (160 of them, 6.3 %). No header; columns: date (M/D/YYYY), 72 numbers, label (0.0 or 1.0); `?` marks
// a missing value (14,937 cells in 687 rows).
//
// Protocol, as the LTC paper's experiments_with_ltcs/ozone.py (Hasani et al., AAAI 2021,
// raminmh/liquid_time_constant_networks), whose test F1 the paper reports (LTC 0.302):
//  * rows in file order cut into windows of 32 days with stride 4, starts over range(0, rows - 32, 4)
//    (the last full window is not used); one label per day, every day counts;
//  * split over all windows with numpy's RandomState(23489).permutation: the first int(0.1 n) are
//    validation, the next int(0.15 n) test, the rest training, each in permutation order;
//  * the script's loss is a two-class softmax cross-entropy weighted 0.1 for class 0 and 1.6 for
//    class 1 (weight = 1.5 label + 0.1): samples/train/ozone_*.json set class_weights [0.1, 1.6];
//  * its metric is F1 of class 1 over all test days (argmax prediction), and it keeps the epoch of
//    highest validation F1: the configurations set "metric": "f1".
//  * caveat of that protocol: windows overlap (each day is in up to 8) and are split at random, so
//    practically every validation and test day also occurs, labelled, in training windows. Test F1
//    measures fitting those days more than forecasting new ones; a model that memorises scores far
//    above the paper's 0.302.
// Deviations, each small and stated:
//  * missing values: the script reads `?` as 0 and then z-scores the whole matrix with one scalar
//    mean and std (np.mean(all_x) over all features and rows, test rows included). Here each feature
//    is z-scored on its own with the training split's mean and population std, and a missing value
//    is replaced by that feature's mean over the training split's present values, so it becomes 0
//    after normalisation (mean imputation; a `?` does not turn into an extreme reading). The fill
//    is the same with or without normalize, so a model file's normalisation applies to raw loads.
//  * timespans: 1.0 per row, as the script's networks see no time. With real_time the gap to the
//    previous row in days is used (1 for most rows; some 2, 3 and 6 day gaps).
// Dates must advance: a row not later than the previous one is a DataFormatError.
#pragma once

#include <cstdint>
#include <filesystem>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct OzoneOptions {
  int steps = 32;
  int stride = 4;
  double validation_fraction = 0.1;
  double test_fraction = 0.15;
  std::uint32_t seed = 23489;  // the LTC script's permutation seed
  bool real_time = false;      // timespans: 1.0 per row (the script) or the gap in days
  bool normalize = true;
};

// `file` is eighthr.data (or its folder). Throws DataFormatError (file, line, column) on a malformed
// row: other than 74 fields, text in a number column (other than `?`), a bad date, a date that does
// not advance, a label other than 0/1; and if the file has no more than `steps` rows.
DatasetSplits load_ozone(const std::filesystem::path& file, const OzoneOptions& options = {});

}  // namespace liquid::lfm
