// PhysioNet / Computing in Cardiology Challenge 2012, set a (Silva et al. 2012, ODC-By 1.0): 4,000
// ICU stays, each a file <RecordID>.txt of "Time,Parameter,Value" rows (time HH:MM since admission,
// up to 48 h; 6 general descriptors at 00:00, then irregular readings of 36 more variables), and
// Outcomes-a.txt with the in-hospital death of each stay (554 deaths, 13.9 %). A sequence-level
// binary task: one label per stay, read after its last reading.
//
// Protocol, as the CfC paper (Hasani et al., Nature Machine Intelligence 2022; mortality AUC, CfC
// 0.839) runs it: raminmh/CfC train_physio.py with duv_physionet.py, which is Rubanova et al.'s
// latent-ODE PhysioNet class (YuliaRubanova/latent_ode, physionet.py):
//  * the 41 variables of latent_ode's `params` list (Age, Gender, Height, ICUType, Weight, Albumin,
//    ..., WBC), in that order; the RecordID row is skipped; any other parameter is an error (the
//    script asserts);
//  * times quantised to 0.016 h: round(hours / 0.016) with Python's round-half-even; readings in the
//    same quantum form one time point, several readings of one variable there are averaged; the
//    first time point is t = 0 and always present (it holds the 00:00 descriptors);
//  * per time point, 82 inputs: the 41 values carried forward from their last observation, then the
//    41 indicators "observed at this time point" (torch_cfc.Cfc.forward with a mask: forwarded_input
//    and mask concatenated, in_features = 41 * 2);
//  * label: In-hospital_death; the output read is the one after the stay's last time point (the
//    script's forwarded_output), so each stay counts once, at its last real step: the mask is 1 there
//    and 0 elsewhere, and shorter stays are padded at the end to the longest (203 time points);
//  * split: sklearn train_test_split(train_size=0.8, random_state=42, shuffle=True) over the stays:
//    numpy RandomState(42).permutation(n); the first ceil(0.2 n) = 800 are test, the next
//    floor(0.8 n) = 3,200 training, in permutation order. The CfC script has no validation split and
//    reports the test AUC after its last epoch (softmax probability of death, sklearn-style AUC);
//  * loss in the script: two-class cross-entropy with class weights (1, 11.69) (BEST_DEFAULT).
// Deviations, each stated:
//  * order of the stays before the split: latent_ode takes os.listdir order, which depends on the
//    file system; here the stays are sorted by RecordID, so the split is reproducible but not the
//    upstream one (same sizes, same seed).
//  * elapsed time: the script's arithmetic (combined_tt[b, 1:] = tt[:1] - tt[:-1], then differences
//    again) feeds negated gaps shifted by one step. Here timespans are the real gaps in hours between
//    time points; the first step and the padding get one quantum (0.016 h), a positive value so an
//    LTC stays finite.
//  * scaling and imputation: the script scales each variable by (x - min) / max with min and max over
//    all 4,000 stays (test included) and carries 0 (the minimum) forward before a first observation.
//    Here each variable is z-scored with the mean and population std of its observations in the
//    training stays, and before its first observation a variable holds that training mean (0 after
//    scaling; the indicator says it was not observed). The indicators are left as they are.
//  * -1 for a general descriptor (Age, Gender, Height, ICUType, Weight) means "unknown" in the
//    challenge's description; here it is a missing reading, not a value (the script keeps -1).
//  * validation_fraction (default 0, the paper's protocol) can hold out the first part of the
//    training permutation as a validation split, for model selection on AUC.
//
// The data is read from `dir`: Outcomes-a.txt and either the folder set-a/ (the extracted archive)
// or the archive set-a.tar.gz itself (gzip read with zlib, tar parsed here).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct PhysioNetOptions {
  double quantization_hours = 0.016;
  double train_fraction = 0.8;       // sklearn's train_size; test is the ceil of the rest
  double validation_fraction = 0.0;  // of the training stays, taken from the front
  std::uint32_t seed = 42;           // train_test_split's random_state
  bool normalize = true;
  std::string records = "set-a";  // folder name; "<records>.tar.gz" when the folder is absent
  std::string outcomes_file = "Outcomes-a.txt";
};

// Throws DataFormatError (file, line, column; for a stay inside the archive the file is
// "<archive>/<member>") on a malformed row: a missing or extra field, a bad time, a time earlier
// than the previous row's, an unknown parameter, text in the value column; on an outcome that is not
// 0/1 or a stay without an outcome; and on a damaged archive.
DatasetSplits load_physionet(const std::filesystem::path& dir, const PhysioNetOptions& options = {});

}  // namespace liquid::lfm
