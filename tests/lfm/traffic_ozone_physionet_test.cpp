// The traffic, ozone and PhysioNet 2012 loaders on the shipped copies of the real files
// (samples/data/series) and on small, partly malformed files written to a temporary directory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "lfm/dataset.h"
#include "lfm/datasets/ozone.h"
#include "lfm/datasets/physionet.h"
#include "lfm/datasets/traffic.h"
#include "lfm/numpy_random.h"

namespace liquid::lfm {
namespace {

const std::filesystem::path kSeries = std::filesystem::path(LIQUID_TEST_DATA "/../../samples/data/series");

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    // Suite and test: several suites have a test of the same name, and ctest runs them at once.
    path_ = std::filesystem::temp_directory_path() /
            (std::string("liquid_series_test_") + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path_ / name).parent_path());
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

// -------------------------------------------------------------------------------------- traffic

TEST(Traffic, ShippedFileProtocol) {
  TrafficOptions raw;
  raw.normalize = false;
  const auto splits = load_traffic(kSeries / "traffic", raw);
  // 48,204 rows: range(0, 48172, 4) = 12,043 windows; int(1204.3) validation, int(1806.45) test.
  EXPECT_EQ(splits.validation.size(), 1204U);
  EXPECT_EQ(splits.test.size(), 1806U);
  EXPECT_EQ(splits.train.size(), 12043U - 1204U - 1806U);
  EXPECT_EQ(splits.train.output_size, 1);
  EXPECT_EQ(splits.train.num_classes, 0);
  EXPECT_EQ(splits.train.input_size, 7);
  // The first validation window is window order[0], starting at row 4 * order[0].
  const auto order = NumpyRandomState(23489).permutation(12043);
  const int row = 4 * order[0];
  std::ifstream in(kSeries / "traffic" / "Metro_Interstate_Traffic_Volume.csv");
  std::string line;
  std::vector<double> volume;
  std::vector<std::string> lines;
  std::getline(in, line);
  while (std::getline(in, line)) {
    lines.push_back(line);
    volume.push_back(std::stod(line.substr(line.rfind(',') + 1)));
  }
  double mean = 0, var = 0;
  for (double v : volume) mean += v;
  mean /= static_cast<double>(volume.size());
  for (double v : volume) var += (v - mean) * (v - mean);
  const double sd = std::sqrt(var / static_cast<double>(volume.size()));
  for (int t = 0; t < 32; ++t)
    EXPECT_NEAR(splits.validation.targets[t], (volume[row + t] - mean) / sd, 1e-5) << t;
  // Row 1 is Tuesday 2012-10-02 09:00, 288.28 K, no holiday.
  EXPECT_EQ(lines[0].substr(0, 11), "None,288.28");
  const auto first = load_traffic(kSeries / "traffic", raw);  // deterministic
  EXPECT_EQ(first.train.inputs, splits.train.inputs);
  // Normalised: temp .. weekday z-scored on the training split; holiday and noon untouched.
  const auto norm = load_traffic(kSeries / "traffic");
  EXPECT_FLOAT_EQ(norm.normalization.mean[0], 0.0F);
  EXPECT_FLOAT_EQ(norm.normalization.std[6], 1.0F);
  EXPECT_GT(norm.normalization.mean[1], 270.0F);  // kelvin
  EXPECT_EQ(norm.test.targets, splits.test.targets);
}

const char* kTrafficHeader =
    "holiday,temp,rain_1h,snow_1h,clouds_all,weather_main,weather_description,date_time,traffic_volume\n";

std::string traffic_rows(int count, int first_hour = 0) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    const int h = first_hour + i;
    char line[200];
    std::snprintf(line, sizeof line, "%s,280.5,0.0,0.0,40,Clouds,scattered clouds,2012-10-%02d %02d:00:00,%d\n",
                  h == 2 ? "Columbus Day" : "None", 2 + h / 24, h % 24, 1000 + 100 * (h % 24));
    text += line;
  }
  return text;
}

TEST(Traffic, SmallFileFeaturesAndSplit) {
  TempDir dir;
  const auto file = dir.write("t.csv", std::string(kTrafficHeader) + traffic_rows(50));
  TrafficOptions options;
  options.steps = 8;
  options.normalize = false;
  options.validation_fraction = 0.0;
  options.test_fraction = 0.0;
  const auto splits = load_traffic(file, options);
  EXPECT_EQ(splits.train.size(), 11U);  // range(0, 42, 4)
  // The window that starts at row 0 is the one whose third step is the holiday (row 2).
  int found = 0;
  for (std::size_t w = 0; w < splits.train.size(); ++w) {
    const float* x = splits.train.inputs.data() + w * 8 * 7;
    if (x[2 * 7 + 0] != 1.0F) continue;
    ++found;
    EXPECT_EQ(x[0], 0.0F);
    EXPECT_EQ(x[6], 0.0F);  // sin(0) at midnight
    EXPECT_EQ(x[5], 1.0F);  // 2012-10-02 is a Tuesday
    EXPECT_FLOAT_EQ(x[3 * 7 + 6], static_cast<float>(std::sin(3 * std::numbers::pi / 24)));
    EXPECT_FLOAT_EQ(x[1], 280.5F);
  }
  EXPECT_EQ(found, 1);
  EXPECT_EQ(splits.train.timespans[0], 1.0F);
}

TEST(Traffic, MalformedRowsNameFileLineAndColumn) {
  TempDir dir;
  auto with_row = [&](const std::string& bad_row) {
    const auto file = dir.write("t.csv", std::string(kTrafficHeader) + traffic_rows(2) + bad_row + traffic_rows(40, 3));
    return load_error([&] { load_traffic(file); });
  };
  const std::string prefix = (dir.path() / "t.csv").string() + ":4: ";
  EXPECT_EQ(with_row("None,warm,0.0,0.0,40,Clouds,scattered clouds,2012-10-02 02:00:00,1200\n"),
            prefix + "column 2: (temp) expected a number, found 'warm'");
  EXPECT_EQ(with_row("None,280.5,0.0,0.0,Clouds,scattered clouds,2012-10-02 02:00:00,1200\n"),
            prefix + "column 9: expected 9 fields, found 8");
  EXPECT_EQ(with_row("None,280.5,0.0,0.0,40,Clouds,scattered clouds,2012-10-02 00:00:00,1200\n"),
            prefix + "column 8: (date_time) time 2012-10-02 00:00:00 goes back before the previous row's");
  EXPECT_EQ(with_row("None,280.5,0.0,0.0,40,Clouds,scattered clouds,2012/10/02 02:00:00,1200\n"),
            prefix + "column 8: (date_time) expected YYYY-MM-DD HH:MM:SS, found '2012/10/02 02:00:00'");
  EXPECT_EQ(with_row("None,280.5,0.0,0.0,40,Clouds,scattered clouds,2012-10-02 02:00:00,\n"),
            prefix + "column 9: (traffic_volume) expected a number, found an empty field");
}

// ---------------------------------------------------------------------------------------- ozone

TEST(Ozone, ShippedFileProtocol) {
  const auto splits = load_ozone(kSeries / "ozone");
  // 2,534 rows: range(0, 2502, 4) = 626 windows; int(62.6) validation, int(93.9) test.
  EXPECT_EQ(splits.validation.size(), 62U);
  EXPECT_EQ(splits.test.size(), 93U);
  EXPECT_EQ(splits.train.size(), 471U);
  EXPECT_EQ(splits.train.num_classes, 2);
  EXPECT_EQ(splits.train.input_size, 72);
  for (const auto* split : {&splits.train, &splits.validation, &splits.test}) {
    for (float v : split->inputs) ASSERT_TRUE(std::isfinite(v));
    for (int l : split->labels) ASSERT_TRUE(l == 0 || l == 1);
  }
  // Training features are z-scored: mean 0 over the training windows' steps.
  double sum = 0;
  for (std::size_t i = 0; i < splits.train.inputs.size(); i += 72) sum += splits.train.inputs[i];
  EXPECT_NEAR(sum / static_cast<double>(splits.train.inputs.size() / 72), 0.0, 1e-4);
}

std::string ozone_row(int day, const std::string& feature1 = "1.5", const std::string& label = "0.0") {
  // Built by append: g++ 12 warns (-Wrestrict, a false positive) on string operator+ chains.
  std::string line = "1/";
  line.append(std::to_string(day)).append("/1998,").append(feature1);
  for (int f = 2; f <= 72; ++f) line.append(",").append(std::to_string(f % 7)).append(".25");
  return line.append(",").append(label).append("\n");
}

TEST(Ozone, MissingValuesBecomeTheTrainingMean) {
  TempDir dir;
  std::string text;
  for (int d = 1; d <= 20; ++d) text += ozone_row(d, d == 3 ? "?" : std::to_string(d), d % 4 == 0 ? "1.0" : "0.0");
  const auto file = dir.write("o.data", text);
  OzoneOptions options;
  options.steps = 4;
  options.stride = 100;  // one window: rows 1-4
  options.validation_fraction = 0.0;
  options.test_fraction = 0.0;
  options.normalize = false;
  const auto splits = load_ozone(file, options);
  ASSERT_EQ(splits.train.size(), 1U);
  // Rows 1, 2, ?, 4: the missing one gets the mean of the present training values (1 + 2 + 4) / 3.
  EXPECT_FLOAT_EQ(splits.train.inputs[2 * 72], 7.0F / 3.0F);
  EXPECT_EQ(splits.train.labels, (std::vector<int>{0, 0, 0, 1}));
  options.normalize = true;
  EXPECT_NEAR(load_ozone(file, options).train.inputs[2 * 72], 0.0F, 1e-6);
}

TEST(Ozone, MalformedRowsNameFileLineAndColumn) {
  TempDir dir;
  auto with_row = [&](const std::string& bad_row) {
    std::string text = ozone_row(1) + ozone_row(2) + bad_row;
    for (int d = 4; d <= 30; ++d) text += ozone_row(d);
    const auto file = dir.write("o.data", text);
    return load_error([&] { load_ozone(file); });
  };
  const std::string prefix = (dir.path() / "o.data").string() + ":3: ";
  EXPECT_EQ(with_row(ozone_row(3, "n/a")), prefix + "column 2: (feature 1) expected a number, found 'n/a'");
  std::string short_row = ozone_row(3);
  short_row.erase(short_row.find(",1.5"), 4);
  EXPECT_EQ(with_row(short_row), prefix + "column 74: expected 74 fields (date, 72 features, label), found 73");
  EXPECT_EQ(with_row(ozone_row(2)), prefix + "column 1: (date) 1/2/1998 does not advance past the previous row's date");
  EXPECT_EQ(with_row(ozone_row(3, "1.5", "2.0")), prefix + "column 74: (label) expected 0 or 1, found 2.0");
  std::string bad_date = ozone_row(3);
  bad_date.replace(0, 8, "1-3-1998");
  EXPECT_EQ(with_row(bad_date), prefix + "column 1: (date) expected M/D/YYYY, found '1-3-1998'");
}

// ------------------------------------------------------------------------------------ physionet

TEST(PhysioNet, ShippedArchiveProtocol) {
  const auto splits = load_physionet(kSeries / "physionet2012");
  EXPECT_EQ(splits.test.size(), 800U);
  EXPECT_EQ(splits.train.size(), 3200U);
  EXPECT_EQ(splits.validation.size(), 0U);
  EXPECT_EQ(splits.train.steps, 203);
  EXPECT_EQ(splits.train.input_size, 82);
  int deaths = 0;
  for (const auto* split : {&splits.train, &splits.test}) {
    const auto steps = static_cast<std::size_t>(split->steps);
    for (std::size_t w = 0; w < split->size(); ++w) {
      int counted = 0;
      for (std::size_t t = 0; t < steps; ++t) {
        if (!split->mask[w * steps + t]) continue;
        ++counted;
        deaths += split->labels[w * steps + t];
      }
      ASSERT_EQ(counted, 1) << w;
    }
    for (float v : split->inputs) ASSERT_TRUE(std::isfinite(v));
    for (float v : split->timespans) ASSERT_GT(v, 0.0F);
  }
  EXPECT_EQ(deaths, 554);
}

const char* kOutcomesHeader = "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n";

std::string stay(int id, const std::string& extra = "") {
  return "Time,Parameter,Value\n00:00,RecordID," + std::to_string(id) +
         "\n00:00,Age,54\n00:00,Gender,0\n00:00,Height,-1\n00:00,ICUType,4\n00:00,Weight,-1\n"
         "00:07,HR,73\n00:07,Temp,35.1\n00:37,HR,77\n00:37,HR,79\n01:00,NIMAP,92.33\n" +
         extra;
}

TEST(PhysioNet, SmallFolderLayout) {
  TempDir dir;
  std::string outcomes = kOutcomesHeader;
  for (int id = 100; id < 110; ++id) {
    dir.write("set-a/" + std::to_string(id) + ".txt", stay(id, id == 101 ? "02:30,HR,90\n" : ""));
    outcomes += std::to_string(id) + ",6,1,5,-1," + (id % 3 == 0 ? "1" : "0") + "\n";
  }
  dir.write("Outcomes-a.txt", outcomes);
  PhysioNetOptions options;
  options.normalize = false;
  const auto splits = load_physionet(dir.path(), options);
  EXPECT_EQ(splits.test.size(), 2U);  // ceil(0.2 * 10)
  EXPECT_EQ(splits.train.size(), 8U);
  EXPECT_EQ(splits.train.steps, 5);   // 0, 0:07, 0:37, 1:00, 2:30 (stay 101)
  // Stays in RecordID order, permuted by RandomState(42): find stay 101, the only one of 5 points.
  const auto order = NumpyRandomState(42).permutation(10);
  std::size_t k101 = 0;
  while (order[k101] != 1) ++k101;
  const bool in_test = k101 < 2;
  const auto& split = in_test ? splits.test : splits.train;
  const std::size_t w = in_test ? k101 : k101 - 2;
  const float* x = split.inputs.data() + w * 5 * 82;
  // Time 0: Age 54 observed, Height -1 is "unknown": not observed, filled with the training mean
  // (no training stay has a height: 0).
  EXPECT_EQ(x[0], 54.0F);
  EXPECT_EQ(x[41 + 0], 1.0F);
  EXPECT_EQ(x[41 + 2], 0.0F);
  // 0:37 holds the average of two HR readings (HR is variable 19); 1:00 carries it forward.
  EXPECT_FLOAT_EQ(x[2 * 82 + 19], 78.0F);
  EXPECT_FLOAT_EQ(x[3 * 82 + 19], 78.0F);
  EXPECT_EQ(x[3 * 82 + 41 + 19], 0.0F);
  EXPECT_EQ(x[4 * 82 + 19], 90.0F);
  // Gaps in hours on the 0.016 h grid: round(0.1167 / 0.016 = 7.29) = 7 quanta, round(38.54) = 39,
  // and 1:00 is 62.5 quanta, rounded half to even (Python's round) to 62.
  EXPECT_FLOAT_EQ(split.timespans[w * 5 + 0], 0.016F);
  EXPECT_FLOAT_EQ(split.timespans[w * 5 + 1], 7 * 0.016F);
  EXPECT_FLOAT_EQ(split.timespans[w * 5 + 2], 32 * 0.016F);
  EXPECT_FLOAT_EQ(split.timespans[w * 5 + 3], 23 * 0.016F);
  // The label sits on the last real step only (101 survived).
  EXPECT_EQ(std::vector<unsigned char>(split.mask.begin() + w * 5, split.mask.begin() + w * 5 + 5),
            (std::vector<unsigned char>{0, 0, 0, 0, 1}));
  EXPECT_EQ(split.labels[w * 5 + 4], 0);
}

TEST(PhysioNet, MalformedRowsNameFileLineAndColumn) {
  TempDir dir;
  dir.write("Outcomes-a.txt", std::string(kOutcomesHeader) + "100,6,1,5,-1,0\n101,6,1,5,-1,1\n");
  dir.write("set-a/100.txt", stay(100));
  auto with_row = [&](const std::string& bad_row) {
    dir.write("set-a/101.txt", stay(101, bad_row));
    return load_error([&] { load_physionet(dir.path()); });
  };
  const std::string prefix = (dir.path() / "set-a" / "101.txt").string() + ":13: ";
  EXPECT_EQ(with_row("01:30,HR,high\n"), prefix + "column 3: (HR) expected a number, found 'high'");
  EXPECT_EQ(with_row("01:30,HR\n"), prefix + "column 3: expected 3 fields (Time, Parameter, Value), found 2");
  EXPECT_EQ(with_row("00:30,HR,80\n"), prefix + "column 1: (Time) 00:30 goes back before the previous row's time");
  EXPECT_EQ(with_row("01:30,Mood,3\n"), prefix + "column 2: (Parameter) unknown parameter 'Mood'");
  EXPECT_EQ(with_row("1:3,HR,80\n"), prefix + "column 1: (Time) expected HH:MM, found '1:3'");
  // Outcomes: a bad label and a stay without one.
  dir.write("set-a/101.txt", stay(101));
  dir.write("Outcomes-a.txt", std::string(kOutcomesHeader) + "100,6,1,5,-1,0\n101,6,1,5,-1,2\n");
  EXPECT_EQ(load_error([&] { load_physionet(dir.path()); }),
            (dir.path() / "Outcomes-a.txt").string() + ":3: column 6: (In-hospital_death) expected 0 or 1, found 2");
  dir.write("Outcomes-a.txt", std::string(kOutcomesHeader) + "100,6,1,5,-1,0\n");
  EXPECT_EQ(load_error([&] { load_physionet(dir.path()); }),
            (dir.path() / "Outcomes-a.txt").string() + ": no outcome for RecordID 101");
}

}  // namespace
}  // namespace liquid::lfm
