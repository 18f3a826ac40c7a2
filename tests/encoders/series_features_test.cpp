// Tests of encoders/series_features: frames checked against values worked out by hand, the
// normalisation JSON as lfm's trainer writes it, statistics against Python's statistics module on
// the Beijing excerpt, streaming equal to batch, and no allocation in encode_row.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "encoders/series_features.h"
#include "sensors/csv_source.h"
#include "tests/common/allocation_counter.h"

namespace {

using namespace liquid::encoders;
using liquid::sensors::AudioBlock;
using liquid::sensors::SeriesRow;
using liquid::sensors::TimedSample;

const std::string kData = std::string(LIQUID_TEST_DATA) + "/series/";
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TimedSample row_sample(double time, std::vector<float> values, std::vector<unsigned char> present) {
  TimedSample s;
  s.time = time;
  s.stream = 2;
  s.payload = SeriesRow{std::move(values), std::move(present)};
  return s;
}

SeriesNormalization temp_hum() {
  return SeriesNormalization::from_json(R"({"names":["temp","hum"],"mean":[20.0,50.0],"std":[2.0,10.0]})");
}

TEST(SeriesFeatures, NormalisesMasksAndCountsTimeSinceObservationByHand) {
  SeriesFeatures enc({"temp", "hum"}, temp_hum());
  EXPECT_EQ(enc.width(), 6);
  EXPECT_EQ(enc.names(), (std::vector<std::string>{"temp", "hum", "mask_temp", "mask_hum", "since_temp", "since_hum"}));
  std::vector<FeatureFrame> out;
  enc.encode(row_sample(100.0, {22.0f, kNaN}, {1, 0}), out);
  enc.encode(row_sample(101.5, {kNaN, 60.0f}, {0, 1}), out);
  enc.encode(row_sample(104.0, {19.0f, 45.0f}, {1, 1}), out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].time, 100.0);
  EXPECT_EQ(out[0].stream, 2);
  // value (x - mean) / std, 0 when missing | mask | seconds since the previous observation, or
  // since the stream's first sample before the first one.
  EXPECT_EQ(out[0].values, (std::vector<float>{1.0f, 0.0f, 1, 0, 0.0f, 0.0f}));
  EXPECT_EQ(out[1].values, (std::vector<float>{0.0f, 1.0f, 0, 1, 1.5f, 1.5f}));
  EXPECT_EQ(out[2].values, (std::vector<float>{-0.5f, -0.5f, 1, 1, 4.0f, 2.5f}));
}

TEST(SeriesFeatures, OptionalGroupsAndNaNWithoutMaskIsMissing) {
  SeriesFeatures plain({"temp", "hum"}, temp_hum(), {.masks = false, .time_since = false});
  EXPECT_EQ(plain.width(), 2);
  EXPECT_EQ(plain.names(), (std::vector<std::string>{"temp", "hum"}));
  std::vector<FeatureFrame> out;
  plain.encode(row_sample(0.0, {24.0f, kNaN}, {}), out);  // no present flags: NaN means missing
  EXPECT_EQ(out[0].values, (std::vector<float>{2.0f, 0.0f}));
  SeriesFeatures since_only({"hum"}, temp_hum(), {.masks = false, .time_since = true});
  EXPECT_EQ(since_only.names(), (std::vector<std::string>{"hum", "since_hum"}));
  SeriesFeatures identity({"a"});
  out.clear();
  identity.encode(row_sample(0.0, {3.5f}, {1}), out);
  EXPECT_EQ(out[0].values, (std::vector<float>{3.5f, 1.0f, 0.0f}));
}

TEST(SeriesFeatures, TakesStatisticsByNameFromAModelsWholeInputList) {
  // As lfm's trainer stores it: every model input, including ones the encoder adds (mean 0, std 1).
  const auto n = SeriesNormalization::from_json(
      R"({"names":["hum","mask_hum","temp","mask_temp"],"mean":[50,0,20,0],"std":[10,1,2,1]})", "model.safetensors");
  SeriesFeatures enc({"temp", "hum"}, n, {.masks = true, .time_since = false});
  std::vector<float> f(4);
  const float values[2] = {24.0f, 40.0f};
  enc.encode_row(0.0, values, nullptr, f.data());
  EXPECT_EQ(f, (std::vector<float>{2.0f, -1.0f, 1.0f, 1.0f}));
  const auto unnamed = SeriesNormalization::from_json(R"({"mean":[1,2],"std":[1,2]})");
  EXPECT_NO_THROW(SeriesFeatures({"x", "y"}, unnamed));
  EXPECT_THROW(SeriesFeatures({"x"}, unnamed), std::invalid_argument);
}

TEST(SeriesFeatures, JsonRoundTripAndErrorsNameTheField) {
  const auto n = temp_hum();
  const auto back = SeriesNormalization::from_json(n.to_json());
  EXPECT_EQ(back.names, n.names);
  EXPECT_EQ(back.mean, n.mean);
  EXPECT_EQ(back.std, n.std);
  auto message = [](const char* json) {
    try {
      SeriesNormalization::from_json(json, "m.safetensors");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("{").find("m.safetensors: not valid JSON"), std::string::npos);
  EXPECT_NE(message("[1]").find("expected an object"), std::string::npos);
  EXPECT_NE(message(R"({"mean":[1]})").find("field 'std' is missing"), std::string::npos);
  EXPECT_NE(message(R"({"mean":[1],"std":[0]})").find("std[0] is 0.000000; expected a positive number"), std::string::npos);
  EXPECT_NE(message(R"({"mean":["a"],"std":[1]})").find("mean[0] is \"a\"; expected a finite number"), std::string::npos);
  EXPECT_NE(message(R"({"names":["a","b"],"mean":[1],"std":[1]})").find("2 names but 1 means"), std::string::npos);
  EXPECT_NE(message(R"({"names":[3],"mean":[1],"std":[1]})").find("names[0] is 3"), std::string::npos);
  try {
    SeriesFeatures({"pressure"}, temp_hum());
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("channel 'pressure' has no statistics in the normalisation, which names 'temp', 'hum'"),
              std::string::npos)
        << e.what();
  }
}

TEST(SeriesFeatures, RejectsWrongPayloadsWidthsAndTimeGoingBack) {
  SeriesFeatures enc({"temp", "hum"}, temp_hum());
  std::vector<FeatureFrame> out;
  TimedSample audio;
  audio.payload = AudioBlock{8000, 1, {0.0f}};
  EXPECT_THROW(enc.encode(audio, out), std::invalid_argument);
  EXPECT_THROW(enc.encode(row_sample(0.0, {1.0f}, {1}), out), std::invalid_argument);
  EXPECT_THROW(enc.encode(row_sample(0.0, {1.0f, 2.0f}, {1}), out), std::invalid_argument);
  enc.encode(row_sample(5.0, {1.0f, 2.0f}, {1, 1}), out);
  EXPECT_THROW(enc.encode(row_sample(4.0, {1.0f, 2.0f}, {1, 1}), out), std::invalid_argument);
  EXPECT_THROW(enc.encode(row_sample(std::nan(""), {1.0f, 2.0f}, {1, 1}), out), std::invalid_argument);
  EXPECT_EQ(out.size(), 1u);  // no half-made frames
  enc.reset();                // a new stream may start earlier
  enc.encode(row_sample(4.0, {1.0f, kNaN}, {1, 0}), out);
  EXPECT_EQ(out.back().values[5], 0.0f);
}

TEST(SeriesFeatures, FitsMeanAndStdIgnoringMissingValues) {
  liquid::sensors::CsvOptions o;
  o.time_parts = {"year", "month", "day", "hour"};
  o.value_columns = {"pm2.5", "TEMP", "PRES", "Ir"};
  const auto series = liquid::sensors::read_csv_series(kData + "prsa_beijing_head.csv", o);
  const SeriesNormalization n = fit_series_normalization(series);
  EXPECT_EQ(n.names, series.columns);
  // Python: statistics.fmean / pstdev over the non-NA values (24 of 48 for pm2.5).
  EXPECT_NEAR(n.mean[0], 145.95833333333334, 1e-4);
  EXPECT_NEAR(n.std[0], 19.073277918479445, 1e-4);
  EXPECT_NEAR(n.mean[1], -5.9375, 1e-5);
  EXPECT_NEAR(n.std[1], 2.680222705298946, 1e-5);
  EXPECT_NEAR(n.mean[2], 1020.9166666666666, 1e-3);
  EXPECT_NEAR(n.std[2], 4.400915308836964, 1e-4);
  EXPECT_EQ(n.mean[3], 0.0f);  // Ir (hours of rain) is 0 all along: std 1, not 0
  EXPECT_EQ(n.std[3], 1.0f);
}

TEST(SeriesFeatures, StreamingThroughACsvSourceEqualsEncodingTheSeries) {
  liquid::sensors::CsvOptions o;
  o.time_parts = {"year", "month", "day", "hour"};
  o.value_columns = {"pm2.5", "DEWP", "TEMP", "Iws"};
  liquid::sensors::CsvSource source(kData + "prsa_beijing_head.csv", o);
  const auto& series = source.series();
  const SeriesNormalization n = fit_series_normalization(series);

  SeriesFeatures streaming(series.columns, n);
  std::vector<FeatureFrame> frames;
  TimedSample s;
  while (source.next(s)) streaming.encode(s, frames);
  ASSERT_EQ(frames.size(), series.rows());

  SeriesFeatures batch(series.columns, n);
  std::vector<float> f(size_t(batch.width()));
  for (size_t r = 0; r < series.rows(); ++r) {
    batch.encode_row(series.times[r], series.row(r), series.row_present(r), f.data());
    EXPECT_EQ(frames[r].values, f) << "row " << r;
  }
  EXPECT_EQ(frames[23].values[4], 0.0f);  // pm2.5 missing for the whole first day
  EXPECT_EQ(frames[23].values[8], 23 * 3600.0f);
  EXPECT_EQ(frames[24].values[4], 1.0f);
  EXPECT_EQ(frames[24].values[8], 24 * 3600.0f);  // its first reading ends a day-long gap
  EXPECT_EQ(frames[25].values[8], 3600.0f);
}

TEST(SeriesFeatures, EncodeRowDoesNotAllocate) {
  SeriesFeatures enc({"temp", "hum"}, temp_hum());
  std::vector<float> f(6);
  const float values[2] = {21.0f, kNaN};
  const unsigned char present[2] = {1, 0};
  const size_t allocations = liquid::testing::allocations_during([&] {
    for (int k = 0; k < 10000; ++k) enc.encode_row(k * 0.5, values, present, f.data());
  });
  EXPECT_EQ(allocations, 0u);
  EXPECT_EQ(f[5], 9999 * 0.5f);
}

}  // namespace
