// The dataset loaders on the shipped copies of the real files (samples/data/series) and on small
// malformed files written to a temporary directory.
#include "lfm/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "lfm/datasets/occupancy.h"
#include "lfm/datasets/person_activity.h"
#include "lfm/numpy_random.h"

namespace liquid::lfm {
namespace {

const std::filesystem::path kSeries =
    std::filesystem::path(LIQUID_TEST_DATA "/../../samples/data/series");
const std::filesystem::path kOccupancy = kSeries / "occupancy";
const std::filesystem::path kPerson =
    kSeries / "person_activity" / "ConfLongDemo_JSI_A01-A03_origformat.txt";

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) {
    if (field.size() >= 2 && field.front() == '"') field = field.substr(1, field.size() - 2);
    out.push_back(field);
  }
  return out;
}

// The file's data rows as fields, read independently of the loaders.
std::vector<std::vector<std::string>> read_rows(const std::filesystem::path& file, bool header) {
  std::ifstream in(file);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  if (header) std::getline(in, line);
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(split(line));
  }
  return rows;
}

// A fresh temporary directory per test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            // Suite and test: several suites have a test of the same name, and ctest runs them at once.
            (std::string("liquid_dataset_test_") + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string load_error(const std::function<void()>& load) {
  try {
    load();
  } catch (const DataFormatError& e) {
    return e.what();
  }
  return "(no DataFormatError)";
}

// ---------------------------------------------------------------------------------- occupancy

TEST(Occupancy, CountsShapesAndMasks) {
  const auto splits = load_occupancy(kOccupancy);
  // 8,143 training rows: range(0, 8143 - 16) = 8,127 windows, int(812.7) = 812 for validation.
  EXPECT_EQ(splits.train.size(), 7315U);
  EXPECT_EQ(splits.validation.size(), 812U);
  // 2,665 test rows: range(0, 2649, 8) = 332 windows.
  EXPECT_EQ(splits.test.size(), 332U);
  for (const auto* d : {&splits.train, &splits.validation, &splits.test}) {
    EXPECT_EQ(d->steps, 16);
    EXPECT_EQ(d->input_size, 5);
    EXPECT_EQ(d->num_classes, 2);
    EXPECT_EQ(d->class_names, (std::vector<std::string>{"empty", "occupied"}));
    EXPECT_NO_THROW(d->check_shapes());
    for (auto m : d->mask) ASSERT_EQ(m, 1);
    for (int l : d->labels) ASSERT_TRUE(l == 0 || l == 1);
    for (float t : d->timespans) ASSERT_TRUE(t > 0.97F && t < 1.03F) << t;
  }
  // Both classes occur in every split (the rooms are occupied about a fifth of the time).
  int occupied = 0;
  for (int l : splits.test.labels) occupied += l;
  EXPECT_GT(occupied, 0);
  EXPECT_LT(occupied, static_cast<int>(splits.test.labels.size()));
}

TEST(Occupancy, FirstValuesMatchTheFile) {
  OccupancyOptions raw;
  raw.normalize = false;
  const auto splits = load_occupancy(kOccupancy, raw);
  EXPECT_TRUE(splits.normalization.empty());
  const auto test_rows = read_rows(kOccupancy / "datatest.txt", true);
  // Test window w starts at row 8 w, in file order.
  for (std::size_t w : {0U, 1U, 331U}) {
    for (std::size_t s = 0; s < 16; ++s) {
      const auto& row = test_rows[8 * w + s];
      for (std::size_t f = 0; f < 5; ++f) {
        ASSERT_FLOAT_EQ(splits.test.inputs[(w * 16 + s) * 5 + f], std::stof(row[2 + f]))
            << "window " << w << " step " << s << " feature " << f;
      }
      ASSERT_EQ(splits.test.labels[w * 16 + s], std::stoi(row[7]));
    }
  }
  EXPECT_FLOAT_EQ(splits.test.inputs[0], 23.7F);
  EXPECT_FLOAT_EQ(splits.test.inputs[3], 749.2F);
  // Real gaps in minutes: the first row gets the nominal 1.0, then 14:19:00 -> 14:19:59 ->
  // 14:21:00.
  EXPECT_FLOAT_EQ(splits.test.timespans[0], 1.0F);
  EXPECT_FLOAT_EQ(splits.test.timespans[1], 59.0F / 60.0F);
  EXPECT_FLOAT_EQ(splits.test.timespans[2], 61.0F / 60.0F);

  // Validation holds training windows order[0..811], training the rest, in permutation order.
  const auto train_rows = read_rows(kOccupancy / "datatraining.txt", true);
  const auto order = NumpyRandomState(893429).permutation(8127);
  auto first_temperature = [&](std::size_t window) { return std::stof(train_rows[window][2]); };
  EXPECT_FLOAT_EQ(splits.validation.inputs[0],
                  first_temperature(static_cast<std::size_t>(order[0])));
  EXPECT_FLOAT_EQ(splits.validation.inputs[811 * 16 * 5],
                  first_temperature(static_cast<std::size_t>(order[811])));
  EXPECT_FLOAT_EQ(splits.train.inputs[0], first_temperature(static_cast<std::size_t>(order[812])));
  EXPECT_FLOAT_EQ(splits.train.inputs[7314 * 16 * 5],
                  first_temperature(static_cast<std::size_t>(order[8126])));
  // Gap before a window's first step is the real one from the row before it.
  const auto w0 = static_cast<std::size_t>(order[812]);
  if (w0 > 0) {
    EXPECT_NEAR(splits.train.timespans[0], 1.0F, 0.02F);
  }
}

TEST(Occupancy, NormalizationIsFittedOnTrainingOnly) {
  OccupancyOptions raw_options;
  raw_options.normalize = false;
  const auto raw = load_occupancy(kOccupancy, raw_options);
  const auto splits = load_occupancy(kOccupancy);
  ASSERT_EQ(splits.normalization.mean.size(), 5U);
  EXPECT_EQ(splits.normalization.names, splits.train.input_names);
  for (std::size_t f = 0; f < 5; ++f) {
    double sum = 0, sum_sq = 0, all_sum = 0;
    const std::size_t n = raw.train.inputs.size() / 5;
    for (std::size_t c = 0; c < n; ++c) sum += raw.train.inputs[c * 5 + f];
    const double mean = sum / static_cast<double>(n);
    for (std::size_t c = 0; c < n; ++c) {
      sum_sq += (raw.train.inputs[c * 5 + f] - mean) * (raw.train.inputs[c * 5 + f] - mean);
    }
    const double sd = std::sqrt(sum_sq / static_cast<double>(n));
    EXPECT_NEAR(splits.normalization.mean[f], mean, 1e-5 * std::abs(mean) + 1e-9) << f;
    EXPECT_NEAR(splits.normalization.std[f], sd, 1e-5 * sd) << f;
    // The test rows have another mean, so a fit that had used them would show.
    const std::size_t nt = raw.test.inputs.size() / 5;
    for (std::size_t c = 0; c < nt; ++c) all_sum += raw.test.inputs[c * 5 + f];
    EXPECT_GT(std::abs(all_sum / static_cast<double>(nt) - mean), 1e-3 * sd) << f;
    // Applied to every split with the training statistics.
    for (const auto& [r, z] :
         {std::pair{&raw.train, &splits.train}, std::pair{&raw.validation, &splits.validation},
          std::pair{&raw.test, &splits.test}}) {
      for (std::size_t c = 0; c < r->inputs.size() / 5; c += 97) {
        ASSERT_NEAR(
            z->inputs[c * 5 + f],
            (r->inputs[c * 5 + f] - splits.normalization.mean[f]) / splits.normalization.std[f],
            1e-4);
      }
    }
  }
  // Labels and timespans are untouched by normalisation.
  EXPECT_EQ(raw.test.labels, splits.test.labels);
  EXPECT_EQ(raw.test.timespans, splits.test.timespans);
}

const char* kOccupancyHeader =
    "\"date\",\"Temperature\",\"Humidity\",\"Light\",\"CO2\",\"HumidityRatio\",\"Occupancy\"\n";

std::string occupancy_rows(int count, int first_minute = 0) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    const int m = first_minute + i;
    char line[160];
    std::snprintf(line, sizeof line,
                  "\"%d\",\"2015-02-04 %02d:%02d:00\",23.1,27.2,426,721.25,0.0047,%d\n", i + 1,
                  10 + m / 60, m % 60, i % 2);
    text += line;
  }
  return text;
}

TEST(Occupancy, SmallFileWindowsAndSplit) {
  TempDir dir;
  dir.write("datatraining.txt", std::string(kOccupancyHeader) + occupancy_rows(30));
  dir.write("datatest.txt", std::string(kOccupancyHeader) + occupancy_rows(20));
  OccupancyOptions options;
  options.steps = 4;
  options.normalize = false;
  const auto splits = load_occupancy(dir.path(), options);
  // range(0, 26) = 26 windows, int(2.6) = 2 validation; test range(0, 16, 8) = 2.
  EXPECT_EQ(splits.validation.size(), 2U);
  EXPECT_EQ(splits.train.size(), 24U);
  EXPECT_EQ(splits.test.size(), 2U);
  EXPECT_EQ(splits.test.labels, (std::vector<int>{0, 1, 0, 1, 0, 1, 0, 1}));
  // Constant features: std falls back to 1 so normalising keeps them finite.
  options.normalize = true;
  const auto normalized = load_occupancy(dir.path(), options);
  EXPECT_FLOAT_EQ(normalized.normalization.std[0], 1.0F);
  EXPECT_FLOAT_EQ(normalized.test.inputs[0], 0.0F);
}

TEST(Occupancy, MalformedRowsNameFileLineAndColumn) {
  TempDir dir;
  dir.write("datatest.txt", std::string(kOccupancyHeader) + occupancy_rows(20));
  auto with_train = [&](const std::string& bad_row) {
    auto text =
        std::string(kOccupancyHeader) + occupancy_rows(2) + bad_row + occupancy_rows(20, 10);
    dir.write("datatraining.txt", text);
    return load_error([&] { load_occupancy(dir.path()); });
  };
  const std::string prefix = (dir.path() / "datatraining.txt").string() + ":4: ";
  // Text in the CO2 column (field 5 of the row: id, date, temperature, humidity, light, CO2).
  EXPECT_EQ(with_train("\"3\",\"2015-02-04 10:02:00\",23.1,27.2,426,abc,0.0047,1\n"),
            prefix + "column 6: (CO2) expected a number, found 'abc'");
  // A field missing.
  EXPECT_EQ(with_train("\"3\",\"2015-02-04 10:02:00\",23.1,27.2,426,0.0047,1\n"),
            prefix + "column 7: expected 8 fields (row id and 7 named columns), found 7");
  // An empty number field.
  EXPECT_EQ(with_train("\"3\",\"2015-02-04 10:02:00\",,27.2,426,721,0.0047,1\n"),
            prefix + "column 3: (Temperature) expected a number, found an empty field");
  // Time going back (10:00 after 10:01).
  EXPECT_EQ(
      with_train("\"3\",\"2015-02-04 10:00:00\",23.1,27.2,426,721,0.0047,1\n"),
      prefix +
          "column 2: (date) time 2015-02-04 10:00:00 does not advance past the previous row's");
  // A bad date and a label that is not 0/1.
  EXPECT_EQ(with_train("\"3\",\"2015-02-31x10:02:00\",23.1,27.2,426,721,0.0047,1\n"),
            prefix + "column 2: (date) expected YYYY-MM-DD HH:MM:SS, found '2015-02-31x10:02:00'");
  EXPECT_EQ(with_train("\"3\",\"2015-02-04 10:02:00\",23.1,27.2,426,721,0.0047,2\n"),
            prefix + "column 8: (Occupancy) expected 0 or 1, found 2");
  // Missing files and files too short for one window.
  EXPECT_NE(load_error([&] { load_occupancy(dir.path() / "nowhere"); }).find("cannot open"),
            std::string::npos);
  dir.write("datatraining.txt", std::string(kOccupancyHeader) + occupancy_rows(16));
  EXPECT_NE(load_error([&] { load_occupancy(dir.path()); }).find("too few for one window of 16"),
            std::string::npos);
}

// ---------------------------------------------------------------------------- person activity

// Windows per recording: A01 5,830 rows -> 363, A02 5,691 -> 354, A03 4,965 -> 309; 1,026 in all.
constexpr int kPersonWindows = 1026;

TEST(PersonActivity, CountsShapesAndClasses) {
  const auto ltc = load_person_activity(kPerson);
  EXPECT_EQ(ltc.validation.size(), 102U);  // int(102.6)
  EXPECT_EQ(ltc.test.size(), 153U);        // int(153.9)
  EXPECT_EQ(ltc.train.size(), 771U);
  std::vector<int> seen(7, 0);
  for (const auto* d : {&ltc.train, &ltc.validation, &ltc.test}) {
    EXPECT_EQ(d->steps, 32);
    EXPECT_EQ(d->input_size, 7);
    EXPECT_EQ(d->num_classes, 7);
    EXPECT_NO_THROW(d->check_shapes());
    for (auto m : d->mask) ASSERT_EQ(m, 1);
    for (int l : d->labels) {
      ASSERT_TRUE(l >= 0 && l < 7);
      ++seen[static_cast<std::size_t>(l)];
    }
    for (float t : d->timespans) ASSERT_TRUE(t >= 0.0F && t < 1.5F) << t;  // max gap 135 ms
  }
  for (int c = 0; c < 7; ++c) EXPECT_GT(seen[static_cast<std::size_t>(c)], 0) << c;

  const auto cfc = load_person_activity(kPerson, PersonActivityOptions::cfc());
  EXPECT_EQ(cfc.validation.size(), 0U);
  EXPECT_EQ(cfc.test.size(), 205U);  // int(205.2)
  EXPECT_EQ(cfc.train.size(), 821U);
  EXPECT_EQ(cfc.train.input_size, 8);
  EXPECT_EQ(cfc.train.input_names.back(), "elapsed");
  // The elapsed input is the timespan, not normalised.
  for (std::size_t c = 0; c < cfc.train.timespans.size(); ++c) {
    ASSERT_EQ(cfc.train.inputs[c * 8 + 7], cfc.train.timespans[c]);
  }
  EXPECT_FLOAT_EQ(cfc.normalization.mean[7], 0.0F);
  EXPECT_FLOAT_EQ(cfc.normalization.std[7], 1.0F);
}

TEST(PersonActivity, WindowsMatchTheFile) {
  PersonActivityOptions options;
  options.normalize = false;
  const auto splits = load_person_activity(kPerson, options);
  const auto rows = read_rows(kPerson, false);
  // Window index -> first row: recordings in file order, windows every 16 rows.
  auto first_row = [](int window) {
    if (window < 363) return 16 * window;
    if (window < 363 + 354) return 5830 + 16 * (window - 363);
    return 5830 + 5691 + 16 * (window - 363 - 354);
  };
  const std::vector<std::string> tags = {"010-000-024-033", "010-000-030-096", "020-000-033-111",
                                         "020-000-032-221"};
  const auto order = NumpyRandomState(27731).permutation(kPersonWindows);
  auto check = [&](const SequenceDataset& d, std::size_t w, int window) {
    for (std::size_t s = 0; s < 32; ++s) {
      const auto r = static_cast<std::size_t>(first_row(window)) + s;
      const auto& row = rows[r];
      const float* x = &d.inputs[(w * 32 + s) * 7];
      for (std::size_t t = 0; t < 4; ++t) ASSERT_EQ(x[t], row[1] == tags[t] ? 1.0F : 0.0F);
      for (std::size_t a = 0; a < 3; ++a) ASSERT_FLOAT_EQ(x[4 + a], std::stof(row[4 + a]));
      const bool recording_start = r == 0 || rows[r - 1][0] != row[0];
      const float expected_elapsed =
          recording_start ? 0.5F
                          : static_cast<float>(std::max<long long>(
                                0, std::stoll(row[2]) - std::stoll(rows[r - 1][2]))) /
                                1e6F;
      ASSERT_NEAR(d.timespans[w * 32 + s], expected_elapsed, 1e-6) << r;
    }
  };
  check(splits.validation, 0, order[0]);
  check(splits.test, 0, order[102]);
  check(splits.train, 0, order[255]);
  check(splits.train, 770, order[1025]);
  // The very first row of the file (window 0) wherever it landed: label "walking" = 3.
  for (int k = 0; k < kPersonWindows; ++k) {
    if (order[static_cast<std::size_t>(k)] != 0) continue;
    const auto& d = k < 102 ? splits.validation : k < 255 ? splits.test : splits.train;
    const auto w = static_cast<std::size_t>(k < 102 ? k : k < 255 ? k - 102 : k - 255);
    check(d, w, 0);
    EXPECT_EQ(d.labels[w * 32], 3);
    EXPECT_FLOAT_EQ(d.inputs[w * 32 * 7 + 4], 4.0629310607910165F);
    EXPECT_FLOAT_EQ(d.timespans[w * 32], 0.5F);
    EXPECT_NEAR(d.timespans[w * 32 + 1], 0.540584F, 1e-6);  // 540,584 ticks = 54.06 ms
  }
}

TEST(PersonActivity, NormalizationIsFittedOnTrainingOnly) {
  PersonActivityOptions raw_options;
  raw_options.normalize = false;
  const auto raw = load_person_activity(kPerson, raw_options);
  const auto splits = load_person_activity(kPerson);
  for (std::size_t f = 0; f < 7; ++f) {
    if (f < 4) {
      EXPECT_FLOAT_EQ(splits.normalization.mean[f], 0.0F);  // one-hot left as it is
      EXPECT_FLOAT_EQ(splits.normalization.std[f], 1.0F);
      continue;
    }
    const std::size_t n = raw.train.inputs.size() / 7;
    double sum = 0, sum_sq = 0;
    for (std::size_t c = 0; c < n; ++c) sum += raw.train.inputs[c * 7 + f];
    const double mean = sum / static_cast<double>(n);
    for (std::size_t c = 0; c < n; ++c) {
      const double d = raw.train.inputs[c * 7 + f] - mean;
      sum_sq += d * d;
    }
    EXPECT_NEAR(splits.normalization.mean[f], mean, 1e-5) << f;
    EXPECT_NEAR(splits.normalization.std[f], std::sqrt(sum_sq / static_cast<double>(n)), 1e-5) << f;
    EXPECT_NEAR(splits.test.inputs[f],
                (raw.test.inputs[f] - splits.normalization.mean[f]) / splits.normalization.std[f],
                1e-5);
  }
}

std::string person_row(const std::string& seq, long long ticks, const std::string& activity,
                       const std::string& x = "1.5", const std::string& tag = "020-000-033-111") {
  return seq + "," + tag + "," + std::to_string(ticks) + ",27.05.2009 14:03:25:128," + x +
         ",2.0,0.5," + activity + "\n";
}

TEST(PersonActivity, ClassMergeAndRecordings) {
  TempDir dir;
  const std::vector<std::string> activities = {"lying",
                                               "lying down",
                                               "sitting",
                                               "sitting down",
                                               "standing up from lying",
                                               "standing up from sitting",
                                               "standing up from sitting on the ground",
                                               "walking",
                                               "falling",
                                               "on all fours",
                                               "sitting on the ground"};
  const std::vector<int> expected = {0, 0, 1, 1, 2, 2, 2, 3, 4, 5, 6};
  std::string text;
  for (std::size_t i = 0; i < 12; ++i)
    text += person_row("B01", 1000000LL * static_cast<long long>(i), activities[i % 11]);
  // A second recording: its first step gets first_step_elapsed again, not a gap across recordings.
  for (int i = 0; i < 12; ++i) text += person_row("B02", 5000LL * i, "walking");
  const auto file = dir.write("person.txt", text);
  PersonActivityOptions options;
  options.steps = 11;
  options.stride = 100;
  options.validation_fraction = 0.0;
  options.test_fraction = 0.0;
  options.normalize = false;
  const auto splits = load_person_activity(file, options);
  ASSERT_EQ(splits.train.size(), 2U);  // one window from each recording
  const auto order = NumpyRandomState(options.seed).permutation(2);
  const std::size_t b01 = order[0] == 0 ? 0 : 1;
  for (std::size_t s = 0; s < 11; ++s) {
    EXPECT_EQ(splits.train.labels[b01 * 11 + s], expected[s]) << activities[s];
    EXPECT_EQ(splits.train.labels[(1 - b01) * 11 + s], 3);
  }
  EXPECT_FLOAT_EQ(splits.train.timespans[b01 * 11 + 0], 0.5F);
  EXPECT_FLOAT_EQ(splits.train.timespans[b01 * 11 + 1], 1.0F);  // 100 ms
  EXPECT_FLOAT_EQ(splits.train.timespans[(1 - b01) * 11 + 0], 0.5F);
  EXPECT_FLOAT_EQ(splits.train.timespans[(1 - b01) * 11 + 1], 0.005F);
  EXPECT_FLOAT_EQ(splits.train.inputs[b01 * 77 + 2], 1.0F);  // chest tag
}

TEST(PersonActivity, MalformedRowsNameFileLineAndColumn) {
  TempDir dir;
  auto with_row = [&](const std::string& bad_row) {
    std::string text;
    for (int i = 0; i < 3; ++i) text += person_row("A01", 1000000LL * i, "walking");
    text += bad_row;
    for (int i = 4; i < 40; ++i) text += person_row("A01", 1000000LL * i, "walking");
    const auto file = dir.write("person.txt", text);
    return load_error([&] { load_person_activity(file); });
  };
  const std::string prefix = (dir.path() / "person.txt").string() + ":4: ";
  EXPECT_EQ(with_row(person_row("A01", 3000000, "walking", "1.5x")),
            prefix + "column 5: (x) expected a number, found '1.5x'");
  EXPECT_EQ(
      with_row("A01,020-000-033-111,3000000,27.05.2009 14:03:25:128,1.5,2.0,walking\n"),
      prefix +
          "column 7: expected 8 fields (sequence, tag, ticks, date, x, y, z, activity), found 7");
  EXPECT_EQ(with_row(person_row("A01", 1000000, "walking")),
            prefix + "column 3: (ticks) time goes back 100 ms within sequence A01");
  EXPECT_EQ(with_row(person_row("A01", 3000000, "dancing")),
            prefix + "column 8: (activity) unknown activity 'dancing'");
  EXPECT_EQ(with_row(person_row("A01", 3000000, "walking", "1.5", "999")),
            prefix + "column 2: (tag) unknown tag id '999'");
  EXPECT_EQ(with_row("A01,020-000-033-111,30000x0,27.05.2009 14:03:25:128,1.5,2.0,0.5,walking\n"),
            prefix + "column 3: (ticks) expected an integer, found '30000x0'");
}

TEST(PersonActivity, SmallStepBackIsToleratedAsZeroGap) {
  // The upstream file has two rows 5 ms out of order; they load with a zero gap, and the gap after
  // them is measured from the latest time seen.
  TempDir dir;
  std::string text;
  for (int i = 0; i < 3; ++i) text += person_row("A01", 1000000LL * i, "walking");
  text += person_row("A01", 2000000 - 50000, "walking");  // 5 ms back
  for (int i = 3; i < 40; ++i) text += person_row("A01", 1000000LL * i, "walking");
  const auto file = dir.write("person.txt", text);
  PersonActivityOptions options;
  options.steps = 8;
  options.stride = 100;
  options.validation_fraction = 0.0;
  options.test_fraction = 0.0;
  const auto splits = load_person_activity(file, options);
  ASSERT_EQ(splits.train.size(), 1U);
  EXPECT_EQ(std::vector<float>(splits.train.timespans.begin(), splits.train.timespans.begin() + 5),
            (std::vector<float>{0.5F, 1.0F, 1.0F, 0.0F, 1.0F}));
}

TEST(HeaderColumns, FindsNamesAndAliasesWithoutCaseAndNamesWhatIsMissing) {
  const std::vector<std::string_view> header = detail::split_csv_line("\"Date\",Open,Adj Close,volume\r");
  EXPECT_EQ(detail::header_columns(header, {"date", "volume", "?adj_close|adj close", "?dividends"}, "s.csv", 1),
            (std::vector<int>{0, 3, 2, -1}));
  try {
    detail::header_columns(header, {"date", "close|last", "?adj close"}, "s.csv", 1);
    FAIL() << "no close column, and no error";
  } catch (const DataFormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("s.csv"), std::string::npos) << what;
    EXPECT_NE(what.find("the header has no 'close' column; expected date, close, [adj close]"), std::string::npos)
        << what;
  }
}

}  // namespace
}  // namespace liquid::lfm
