// The ready-made charts: training curve from a curve.csv, heat map and confusion matrix PNGs, and
// their errors naming the file and what was expected.
#include "plot/charts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

using namespace liquid::plot;

namespace {

class PlotCharts : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("liquid_plot_charts_" + std::to_string(getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  // The message of the PlotError `f` throws, or "" if it throws none.
  template <class F>
  static std::string error_of(F f) {
    try {
      f();
    } catch (const PlotError& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path dir_;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The trainer's header (lfm/trainer.cpp write_curve).
const char* kCurve =
    "epoch,train_loss,val_loss,val_metric,lr,seconds\n"
    "1,0.9,0.95,0.55,0.001,1.2\n"
    "2,0.5,0.6,0.71,0.001,2.4\n"
    "3,0.3,0.41,0.83,0.001,3.6\n"
    "4,0.2,0.45,0.82,0.001,4.8\n";

}  // namespace

TEST_F(PlotCharts, TrainingCurveWritesAPngOfTheRequestedSize) {
  const auto csv = write("curve.csv", kCurve);
  write_training_curve(csv, dir_ / "plots" / "curve.png");
  const cv::Mat image = cv::imread((dir_ / "plots" / "curve.png").string());
  ASSERT_FALSE(image.empty());
  EXPECT_EQ(image.cols, 1200);
  EXPECT_EQ(image.rows, 800);
  EXPECT_LT(cv::mean(image)[0], 254);  // something drawn

  write_training_curve(csv, dir_ / "small.png", "my run", 640, 480);
  const cv::Mat small = cv::imread((dir_ / "small.png").string());
  EXPECT_EQ(small.cols, 640);
  EXPECT_EQ(small.rows, 480);
}

TEST_F(PlotCharts, TrainingCurveTakesExtraColumnsABestColumnAndGaps) {
  const auto csv = write("curve.csv",
                         "epoch, train_loss, val_loss, val_accuracy, val_f1, lr, seconds, best\n"
                         "1, 0.9, 0.95, 0.55, 0.5, 0.001, 1.2, 1\n"
                         "2, 0.5, nan, , 0.6, 0.001, 2.4, 0\n"
                         "3, 0.3, 0.41, 0.83, 0.8, 0.001, 3.6, 1\n");
  EXPECT_NO_THROW(write_training_curve(csv, dir_ / "curve.png"));
  EXPECT_FALSE(cv::imread((dir_ / "curve.png").string()).empty());
  // Losses only: one panel.
  const auto losses = write("losses.csv", "epoch,train_loss\n1,1\n2,0.5\n");
  EXPECT_NO_THROW(write_training_curve(losses, dir_ / "losses.png"));
}

TEST_F(PlotCharts, TrainingCurveErrorsNameTheFileAndWhatWasExpected) {
  const auto no_epoch = write("no_epoch.csv", "step,train_loss\n1,0.5\n");
  std::string e = error_of([&] { write_training_curve(no_epoch, dir_ / "x.png"); });
  EXPECT_TRUE(contains(e, no_epoch.string()) && contains(e, "'epoch'")) << e;

  const auto bad = write("bad.csv", "epoch,train_loss\n1,0.5\n2,lots\n");
  e = error_of([&] { write_training_curve(bad, dir_ / "x.png"); });
  EXPECT_TRUE(contains(e, bad.string() + ":3") && contains(e, "'train_loss'") && contains(e, "'lots'")) << e;

  const auto ragged = write("ragged.csv", "epoch,train_loss\n1,0.5,7\n");
  e = error_of([&] { write_training_curve(ragged, dir_ / "x.png"); });
  EXPECT_TRUE(contains(e, ":2: 3 fields; expected 2")) << e;

  const auto header_only = write("header.csv", "epoch,train_loss\n");
  EXPECT_TRUE(contains(error_of([&] { write_training_curve(header_only, dir_ / "x.png"); }), "no data rows"));

  const auto nothing = write("nothing.csv", "epoch,lr\n1,0.1\n");
  EXPECT_TRUE(contains(error_of([&] { write_training_curve(nothing, dir_ / "x.png"); }), "no column to plot"));

  e = error_of([&] { write_training_curve(dir_ / "missing.csv", dir_ / "x.png"); });
  EXPECT_TRUE(contains(e, "missing.csv: cannot open")) << e;
}

TEST_F(PlotCharts, ReadCsvTableReadsGapsAsNaN) {
  const CsvTable t = read_csv_table(write("t.csv", "# comment\na,b\n1,\n2,NaN\n3,-4.5e-1\n"));
  ASSERT_EQ(t.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t.find("b"), 1);
  EXPECT_EQ(t.find("c"), -1);
  ASSERT_EQ(t.columns[1].size(), 3u);
  EXPECT_TRUE(std::isnan(t.columns[1][0]));
  EXPECT_TRUE(std::isnan(t.columns[1][1]));
  EXPECT_DOUBLE_EQ(t.columns[1][2], -0.45);
}

TEST_F(PlotCharts, HeatMapAndConfusionWritePngs) {
  HeatMap m;
  m.rows = 8, m.cols = 50;
  for (int i = 0; i < m.rows * m.cols; ++i) m.values.push_back(std::sin(i * 0.1));
  m.x1 = 5.0;
  m.colorbar_label = "value";
  const ChartText text{"features", "time (s)", "feature", {"a", "b", "c", "d", "e", "f", "g", "h"}};
  write_heatmap(dir_ / "heat.png", m, text, 900, 500);
  const cv::Mat heat = cv::imread((dir_ / "heat.png").string());
  EXPECT_EQ(heat.cols, 900);
  EXPECT_EQ(heat.rows, 500);

  write_confusion(dir_ / "confusion.png", {{50, 2, 0}, {3, 40, 7}, {0, 0, 0}}, {"walking", "sitting", "lying"});
  const cv::Mat confusion = cv::imread((dir_ / "confusion.png").string());
  EXPECT_EQ(confusion.cols, 1000);
  EXPECT_EQ(confusion.rows, 860);
}

TEST_F(PlotCharts, HeatMapAndConfusionRejectBadShapes) {
  HeatMap m;
  m.rows = 2, m.cols = 2, m.values = {1, 2, 3, 4};
  EXPECT_TRUE(contains(error_of([&] {
                         write_heatmap(dir_ / "h.png", m, {"", "", "", {"only one"}});
                       }),
                       "1 row names for 2 rows"));
  EXPECT_TRUE(contains(error_of([&] { write_confusion(dir_ / "c.png", {}, {}); }), "no classes"));
  EXPECT_TRUE(contains(error_of([&] { write_confusion(dir_ / "c.png", {{1, 2}, {3}}, {}); }), "row 1 has 1 counts"));
  EXPECT_TRUE(contains(error_of([&] { write_confusion(dir_ / "c.png", {{1}}, {"a", "b"}); }), "2 class names"));
  EXPECT_TRUE(contains(error_of([&] { write_confusion(dir_ / "c.png", {{-1}}, {}); }), "negative"));
}
