// SeriesFeatures: the series encoder. Turns each SeriesRow into one feature frame of
//   [ normalised values | masks (optional) | time since last observation (optional) ]
// with C entries per group for C channels, named "temp", ..., "mask_temp", ..., "since_temp", ...
//
//  - value: (x - mean) / std with statistics fitted on training data elsewhere; a missing value
//    (present 0, or NaN) becomes 0, the training mean, so it is neutral for the network.
//  - mask: 1 if the channel was observed in this sample, else 0.
//  - since: seconds from this channel's previous observation (not counting this sample) to this
//    sample: GRU-D's delta (Che et al. 2018), so an observed value still carries the gap it ends.
//    Before the channel's first observation it is the time since the stream's first sample.
//
// Normalisation comes from a model file (JSON {"names":[...],"mean":[...],"std":[...]} under the
// metadata key "liquid.normalization", as lfm's trainer writes it) or from
// fit_series_normalization on a training CsvSeries.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "encoders/feature_frame.h"
#include "sensors/csv_series.h"

namespace liquid::encoders {

// The model file's metadata key for the normalisation JSON.
inline constexpr const char* kNormalizationKey = "liquid.normalization";

struct SeriesNormalization {
  std::vector<std::string> names;  // may be empty: then matched to channels by position
  std::vector<float> mean;
  std::vector<float> std;

  bool empty() const { return mean.empty(); }
  // Parses the JSON text; throws std::invalid_argument naming `source`, the field and what was
  // expected (arrays of equal length, finite means, finite positive stds).
  static SeriesNormalization from_json(std::string_view json, const std::string& source = "normalization JSON");
  std::string to_json() const;
};

// Mean and population standard deviation of each column over its present values. A column with no
// present value gets mean 0; a (nearly) constant one std 1, so normalising stays finite.
SeriesNormalization fit_series_normalization(const sensors::CsvSeries& series);

struct SeriesFeaturesOptions {
  bool masks = true;       // add a 1/0 observed channel per input channel
  bool time_since = true;  // add a seconds-since-last-observation channel per input channel
};

class SeriesFeatures : public Encoder {
 public:
  // `channels` names the SeriesRow values in order. Each channel takes the statistics of the same
  // name in `normalization` (which may list more names, e.g. a model's whole input list), or those
  // at its position when the normalisation has no names; an empty normalisation means none
  // (mean 0, std 1). Throws std::invalid_argument when a channel has no statistics.
  explicit SeriesFeatures(std::vector<std::string> channels, const SeriesNormalization& normalization = {},
                          SeriesFeaturesOptions options = {});

  // Appends one frame per SeriesRow. Throws std::invalid_argument for another payload, a row of
  // the wrong width, or a time earlier than the previous sample's.
  void encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) override;
  void reset() override;
  int width() const override { return width_; }
  std::vector<std::string> names() const override;

  // The allocation-free core: writes width() floats for one row to `out`. present may be null
  // (every non-NaN value observed).
  void encode_row(double time, const float* values, const unsigned char* present, float* out);

  int channels() const { return int(channels_.size()); }

 private:
  std::vector<std::string> channels_;
  SeriesFeaturesOptions options_;
  int width_ = 0;
  std::vector<float> mean_, inv_std_;
  std::vector<double> last_seen_;        // time of each channel's latest observation
  std::vector<unsigned char> seen_;      // whether it has one yet
  bool started_ = false;
  double first_time_ = 0.0, prev_time_ = 0.0;
};

}  // namespace liquid::encoders
