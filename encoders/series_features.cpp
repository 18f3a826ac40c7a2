// The series encoder and its normalisation: statistics are looked up by name once, in the
// constructor, so encode_row is a single pass over the channels with no allocation or lookup.
#include "encoders/series_features.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace liquid::encoders {

namespace {

using Json = nlohmann::json;

std::vector<float> float_array(const Json& j, const char* key, const std::string& source) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array())
    throw std::invalid_argument(source + ": field '" + key + "' is missing or not an array of numbers");
  std::vector<float> v;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& x = (*it)[i];
    if (!x.is_number() || !std::isfinite(x.get<double>()))
      throw std::invalid_argument(source + ": " + key + "[" + std::to_string(i) + "] is " + x.dump() +
                                  "; expected a finite number");
    v.push_back(x.get<float>());
  }
  return v;
}

}  // namespace

SeriesNormalization SeriesNormalization::from_json(std::string_view json, const std::string& source) {
  Json j;
  try {
    j = Json::parse(json);
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object())
    throw std::invalid_argument(source + ": expected an object {\"names\": [...], \"mean\": [...], \"std\": [...]}");
  SeriesNormalization n;
  n.mean = float_array(j, "mean", source);
  n.std = float_array(j, "std", source);
  if (const auto it = j.find("names"); it != j.end()) {
    if (!it->is_array()) throw std::invalid_argument(source + ": field 'names' is not an array of strings");
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string())
        throw std::invalid_argument(source + ": names[" + std::to_string(i) + "] is " + (*it)[i].dump() +
                                    "; expected a string");
      n.names.push_back((*it)[i].get<std::string>());
    }
    if (n.names.size() != n.mean.size())
      throw std::invalid_argument(source + ": " + std::to_string(n.names.size()) + " names but " +
                                  std::to_string(n.mean.size()) + " means; expected one of each per feature");
  }
  if (n.std.size() != n.mean.size())
    throw std::invalid_argument(source + ": " + std::to_string(n.mean.size()) + " means but " +
                                std::to_string(n.std.size()) + " stds; expected one of each per feature");
  for (size_t i = 0; i < n.std.size(); ++i)
    if (!(n.std[i] > 0.0f))
      throw std::invalid_argument(source + ": std[" + std::to_string(i) + "] is " + std::to_string(n.std[i]) +
                                  "; expected a positive number");
  return n;
}

std::string SeriesNormalization::to_json() const {
  return Json{{"names", names}, {"mean", mean}, {"std", std}}.dump();
}

SeriesNormalization fit_series_normalization(const sensors::CsvSeries& series) {
  const size_t w = series.width();
  std::vector<double> sum(w, 0.0), sum_sq(w, 0.0);
  std::vector<size_t> count(w, 0);
  for (size_t r = 0; r < series.rows(); ++r)
    for (size_t c = 0; c < w; ++c)
      if (series.row_present(r)[c]) {
        ++count[c];
        sum[c] += series.row(r)[c];
      }
  // Two passes (mean first, then squared deviations): one-pass sums of squares lose the variance
  // of large-offset channels such as air pressure around 1020 hPa.
  std::vector<double> mean(w, 0.0);
  for (size_t c = 0; c < w; ++c) mean[c] = count[c] ? sum[c] / double(count[c]) : 0.0;
  for (size_t r = 0; r < series.rows(); ++r)
    for (size_t c = 0; c < w; ++c)
      if (series.row_present(r)[c]) {
        const double d = series.row(r)[c] - mean[c];
        sum_sq[c] += d * d;
      }
  SeriesNormalization n;
  n.names = series.columns;
  for (size_t c = 0; c < w; ++c) {
    const double sd = count[c] ? std::sqrt(sum_sq[c] / double(count[c])) : 0.0;
    n.mean.push_back(float(mean[c]));
    n.std.push_back(sd < 1e-12 ? 1.0f : float(sd));
  }
  return n;
}

SeriesFeatures::SeriesFeatures(std::vector<std::string> channels, const SeriesNormalization& normalization,
                               SeriesFeaturesOptions options)
    : channels_(std::move(channels)), options_(options) {
  const size_t c_count = channels_.size();
  if (c_count == 0) throw std::invalid_argument("series encoder: no channels");
  width_ = int(c_count) * (1 + int(options_.masks) + int(options_.time_since));
  mean_.assign(c_count, 0.0f);
  inv_std_.assign(c_count, 1.0f);
  if (!normalization.empty()) {
    if (normalization.std.size() != normalization.mean.size() ||
        (!normalization.names.empty() && normalization.names.size() != normalization.mean.size()))
      throw std::invalid_argument("series encoder: normalisation arrays differ in length");
    for (size_t c = 0; c < c_count; ++c) {
      size_t k = c;
      if (!normalization.names.empty()) {
        k = 0;
        while (k < normalization.names.size() && normalization.names[k] != channels_[c]) ++k;
        if (k == normalization.names.size()) {
          std::string known;
          for (const auto& n : normalization.names) known += (known.empty() ? "'" : ", '") + n + "'";
          throw std::invalid_argument("series encoder: channel '" + channels_[c] +
                                      "' has no statistics in the normalisation, which names " + known);
        }
      } else if (normalization.mean.size() != c_count) {
        throw std::invalid_argument("series encoder: the normalisation has " + std::to_string(normalization.mean.size()) +
                                    " unnamed entries for " + std::to_string(c_count) + " channels");
      }
      if (!(normalization.std[k] > 0.0f) || !std::isfinite(normalization.mean[k]))
        throw std::invalid_argument("series encoder: channel '" + channels_[c] + "' has mean " +
                                    std::to_string(normalization.mean[k]) + " and std " +
                                    std::to_string(normalization.std[k]) + "; expected a finite mean and std > 0");
      mean_[c] = normalization.mean[k];
      inv_std_[c] = 1.0f / normalization.std[k];
    }
  }
  last_seen_.assign(c_count, 0.0);
  seen_.assign(c_count, 0);
}

void SeriesFeatures::reset() {
  started_ = false;
  std::fill(seen_.begin(), seen_.end(), 0);
}

std::vector<std::string> SeriesFeatures::names() const {
  std::vector<std::string> n = channels_;
  if (options_.masks)
    for (const auto& c : channels_) n.push_back("mask_" + c);
  if (options_.time_since)
    for (const auto& c : channels_) n.push_back("since_" + c);
  return n;
}

void SeriesFeatures::encode_row(double time, const float* values, const unsigned char* present, float* out) {
  if (!std::isfinite(time))
    throw std::invalid_argument("series encoder: sample time " + std::to_string(time) + " is not a finite number of seconds");
  if (!started_) {
    started_ = true;
    first_time_ = time;
  } else if (time < prev_time_) {
    throw std::invalid_argument("series encoder: time " + std::to_string(time) + " s goes back before the previous sample's " +
                                std::to_string(prev_time_) + " s");
  }
  prev_time_ = time;
  const size_t n = channels_.size();
  float* mask = out + n;
  float* since = out + n * (1 + size_t(options_.masks));
  for (size_t c = 0; c < n; ++c) {
    const bool observed = (!present || present[c]) && std::isfinite(values[c]);
    out[c] = observed ? (values[c] - mean_[c]) * inv_std_[c] : 0.0f;
    if (options_.masks) mask[c] = observed ? 1.0f : 0.0f;
    if (options_.time_since) since[c] = float(time - (seen_[c] ? last_seen_[c] : first_time_));
    if (observed) {
      last_seen_[c] = time;
      seen_[c] = 1;
    }
  }
}

void SeriesFeatures::encode(const sensors::TimedSample& sample, std::vector<FeatureFrame>& out) {
  const auto* row = std::get_if<sensors::SeriesRow>(&sample.payload);
  if (!row)
    throw std::invalid_argument("series encoder: sample at " + std::to_string(sample.time) + " s on stream " +
                                std::to_string(sample.stream) + " is not a series row (audio or video?)");
  if (row->values.size() != channels_.size() || (!row->present.empty() && row->present.size() != row->values.size()))
    throw std::invalid_argument("series encoder: sample at " + std::to_string(sample.time) + " s has " +
                                std::to_string(row->values.size()) + " values and " + std::to_string(row->present.size()) +
                                " presence flags; expected " + std::to_string(channels_.size()) + " of each");
  FeatureFrame& f = out.emplace_back();
  f.time = sample.time;
  f.stream = sample.stream;
  f.values.resize(size_t(width_));
  try {
    encode_row(sample.time, row->values.data(), row->present.empty() ? nullptr : row->present.data(), f.values.data());
  } catch (...) {
    out.pop_back();  // no half-made frame on a bad time
    throw;
  }
}

}  // namespace liquid::encoders
