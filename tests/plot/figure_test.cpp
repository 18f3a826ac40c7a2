// Figure and Axes: data-to-pixel mapping, and rendered pixels read back from the cv::Mat (lines,
// NaN gaps, heat map cells and their resampling, legend placement), plus the errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "plot/charts.h"
#include "plot/text.h"

using namespace liquid::plot;

namespace {

cv::Vec3b pixel(const cv::Mat& image, double x, double y) {
  return image.at<cv::Vec3b>(static_cast<int>(std::lround(y)), static_cast<int>(std::lround(x)));
}

// Within `tolerance` per channel of `c` (anti-aliasing blends edges, never a line's core).
bool near(cv::Vec3b p, Color c, int tolerance = 12) {
  return std::abs(p[0] - c.b) <= tolerance && std::abs(p[1] - c.g) <= tolerance && std::abs(p[2] - c.r) <= tolerance;
}

cv::Vec3b viridis_level(int level) {
  cv::Mat one(1, 1, CV_8UC1, cv::Scalar(level)), colored;
  cv::applyColorMap(one, colored, cv::COLORMAP_VIRIDIS);
  return colored.at<cv::Vec3b>(0, 0);
}

std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("liquid_plot_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST(PlotTransform, MapsLimitsToTheAreaEdges) {
  Transform t;
  t.area = cv::Rect(100, 50, 200, 100);
  t.x_lo = 0, t.x_hi = 10, t.y_lo = 0, t.y_hi = 1;
  EXPECT_DOUBLE_EQ(t.px(0), 99.5);    // left edge of column 100
  EXPECT_DOUBLE_EQ(t.px(10), 299.5);  // right edge of column 299
  EXPECT_EQ(std::lround(t.px(5.01)), 200);
  EXPECT_DOUBLE_EQ(t.py(1), 49.5);  // y grows upwards: the top limit is the top edge
  EXPECT_DOUBLE_EQ(t.py(0), 149.5);
  t.log_y = true, t.y_lo = 1, t.y_hi = 100;
  EXPECT_DOUBLE_EQ(t.py(10), 99.5);  // one decade of two is half way
  EXPECT_TRUE(std::isnan(t.py(0)));
}

TEST(PlotFigure, RendersALineThroughTheExpectedPixels) {
  Figure fig(800, 600);
  Axes& ax = fig.axes();
  ax.set_x_limits(0, 10).set_y_limits(0, 10);
  Series& s = ax.line({0, 10}, {0, 10}, "diagonal");
  s.color = Color{200, 30, 60};
  s.line_width = 3;
  const cv::Mat& image = fig.render();
  ASSERT_EQ(image.cols, 800);
  ASSERT_EQ(image.rows, 600);
  const Transform& t = ax.transform();
  EXPECT_GT(t.area.width, 600);  // margins are text-sized, not a third of the figure
  EXPECT_GT(t.area.height, 450);
  for (double x : {1.0, 2.5, 4.0, 5.5, 7.0}) {  // not at the legend (top left or bottom right)
    EXPECT_TRUE(near(pixel(image, t.px(x), t.py(x)), s.color)) << "x = " << x;
    EXPECT_FALSE(near(pixel(image, t.px(x), t.py(x) + 20), s.color, 60)) << "x = " << x;  // thin, not smeared
  }
}

TEST(PlotFigure, NaNBreaksALine) {
  Figure fig(600, 400);
  Axes& ax = fig.axes();
  ax.set_legend(LegendPlace::kNone).set_x_limits(0, 10).set_y_limits(0, 10);
  Series& s = ax.line({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {5, 5, 5, 5, NAN, NAN, NAN, 5, 5, 5, 5});
  s.line_width = 3;
  const cv::Mat& image = fig.render();
  const Transform& t = ax.transform();
  EXPECT_TRUE(near(pixel(image, t.px(2), t.py(5)), s.color));
  EXPECT_TRUE(near(pixel(image, t.px(8.5), t.py(5)), s.color));
  EXPECT_FALSE(near(pixel(image, t.px(5), t.py(5)), s.color, 80));  // the gap
}

TEST(PlotFigure, LinesOutsideFixedLimitsAreClippedToTheArea) {
  Figure fig(600, 400);
  Axes& ax = fig.axes();
  ax.set_x_limits(0, 1).set_y_limits(0, 1).set_title("clip");
  ax.line({-1e12, 1e12}, {0.5, 0.5}).line_width = 4;  // huge values must not overflow the drawing
  const cv::Mat& image = fig.render();
  const Transform& t = ax.transform();
  EXPECT_TRUE(near(pixel(image, t.px(0.5), t.py(0.5)), palette(0)));
  EXPECT_TRUE(near(pixel(image, t.area.x - 30, t.py(0.5)), kBackground));  // nothing in the margin
}

TEST(PlotFigure, HeatMapCellHasItsColormapColour) {
  HeatMap m;
  m.rows = 3, m.cols = 4;
  for (int i = 0; i < 12; ++i) m.values.push_back(i);  // 0..11: level = round(v / 11 * 255)
  m.values[5] = NAN;
  Figure fig(800, 600);
  Axes& ax = fig.axes();
  ax.heatmap(m);
  const cv::Mat& image = fig.render();
  const Transform& t = ax.transform();
  // Row 0 is at the bottom by default; cell (r, c) is centred at (c + 0.5, r + 0.5).
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) {
      const cv::Vec3b got = pixel(image, t.px(c + 0.5), t.py(r + 0.5));
      if (r * 4 + c == 5)
        EXPECT_TRUE(near(got, kMissing, 0));
      else
        EXPECT_EQ(got, viridis_level(static_cast<int>(std::lround((r * 4 + c) / 11.0 * 255)))) << r << "," << c;
    }
}

TEST(PlotFigure, HeatMapShowsTheMeanWhenCellsAreNarrowerThanPixels) {
  HeatMap m;
  m.rows = 1, m.cols = 4000;  // 0, 1, 0, 1, ...: a pixel over w cells shows 0.5 +- 1/(2w)
  for (int c = 0; c < m.cols; ++c) m.values.push_back(c % 2);
  m.x0 = 0, m.x1 = 40;  // 10 ms frames, 40 s
  Figure fig(600, 300);
  Axes& ax = fig.axes();
  ax.heatmap(m);
  const cv::Mat& image = fig.render();
  const Transform& t = ax.transform();
  const double cells_per_pixel = double(m.cols) / t.area.width;
  for (double x : {3.0, 17.5, 33.3}) {
    const cv::Vec3b got = pixel(image, t.px(x), t.py(0.5));
    int level = 0;  // the colormap level closest to what was drawn
    for (int l = 0; l < 256; ++l)
      if (cv::norm(got, viridis_level(l)) < cv::norm(got, viridis_level(level))) level = l;
    EXPECT_NEAR(level, 127.5, 255 / (2 * cells_per_pixel) + 1) << "x = " << x;
  }
}

TEST(PlotFigure, ConfusionMatrixPutsTheFirstClassOnTop) {
  Figure fig(700, 600);
  Axes& ax = fig.axes();
  plot_confusion(ax, {{9, 1}, {0, 5}}, {"cat", "dog"});
  const cv::Mat& image = fig.render();
  const Transform& t = ax.transform();
  // Class 0 (row 0) is drawn at y = 1, the top row; its diagonal holds 90 %.
  const cv::Point2d top_left = t.to_pixel(0, 1), bottom_left = t.to_pixel(0, 0);
  EXPECT_LT(top_left.y, bottom_left.y);
  const int off = 12;  // off the centre, away from the written numbers
  EXPECT_EQ(pixel(image, top_left.x - off * 2, top_left.y - off * 2),
            viridis_level(static_cast<int>(std::lround(0.9 * 255))));
  EXPECT_EQ(pixel(image, bottom_left.x - off * 2, bottom_left.y - off * 2), viridis_level(0));
}

TEST(PlotFigure, LegendAvoidsTheData) {
  Figure fig(1200, 800);
  Axes& ax = fig.axes();
  ax.set_x_limits(0, 1).set_y_limits(0, 1);
  ax.line({0, 1}, {0, 1}, "rising");  // passes through the top-right and bottom-left corners
  ax.line({0, 1}, {0.1, 0.9}, "also rising");
  const cv::Mat& image = fig.render();
  const cv::Rect a = ax.transform().area;
  const int inset = 8;  // the legend's distance from the area's edges at scale 1
  EXPECT_EQ(pixel(image, a.x + inset, a.y + inset + 4), cv::Vec3b(200, 200, 200));  // its border, top left
}

TEST(PlotFigure, PanelsDoNotOverlap) {
  Figure fig(1000, 700, 2, 2);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c)
      fig.axes(r, c).set_title("panel").set_x_label("x").set_y_label("y").line({0, 1}, {0, 1});
  fig.set_title("four panels");
  fig.render();
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) {
      const cv::Rect a = fig.axes(i / 2, i % 2).transform().area, b = fig.axes(j / 2, j % 2).transform().area;
      EXPECT_TRUE((a & b).empty()) << i << " " << j;
    }
  EXPECT_THROW(fig.axes(2, 0), PlotError);
}

TEST(PlotFigure, IntegerXTicksSkipFractions) {
  Figure fig(600, 400);
  Axes& ax = fig.axes();
  ax.set_x_integer().line({1, 2, 3, 4}, {0.9, 0.5, 0.3, 0.2});
  fig.render();
  // Between epochs 1 and 4 the axis is about 50 px per epoch: fractional ticks would be tempting.
  // Pixels of every tick's column just under the area are the tick colour; check there is none at
  // epoch 2.5.
  const Transform& t = ax.transform();
  const cv::Mat& image = fig.render();
  const int below = t.area.y + t.area.height + 2;
  EXPECT_TRUE(near(pixel(image, std::lround(t.px(2)), below), kAxis, 0));
  EXPECT_TRUE(near(pixel(image, std::lround(t.px(2.5)), below), kBackground, 0));
}

TEST(PlotFigure, LogAxisDrawsPositiveValuesOnly) {
  Figure fig(600, 400);
  Axes& ax = fig.axes();
  ax.set_log_y().line({0, 1, 2, 3}, {1, 0, 100, 1000});  // the 0 cannot be drawn and breaks the line
  fig.render();
  EXPECT_NEAR(ax.transform().y_hi, 1000, 1000);
  EXPECT_GT(ax.transform().y_lo, 0);
  Figure bad(600, 400);
  bad.axes().set_log_y().set_y_limits(-1, 10).line({0, 1}, {1, 2});
  EXPECT_THROW(bad.render(), PlotError);
}

TEST(PlotFigure, VerticalTextIsTransposed) {
  cv::Mat image(200, 200, CV_8UC3, cv::Scalar(255, 255, 255));
  const TextStyle st;
  const cv::Size size = text_size("vertical", st);
  const cv::Rect box = draw_text_vertical(image, "vertical", {100, 100}, st);
  EXPECT_EQ(box.width, size.height);
  EXPECT_EQ(box.height, size.width);
  EXPECT_LT(cv::mean(image(box))[0], 250);  // something was drawn there
}

TEST(PlotFigure, BadInputThrowsClearErrors) {
  Figure fig(600, 400);
  Axes& ax = fig.axes();
  try {
    ax.line({}, {}, "loss");
    FAIL() << "empty data accepted";
  } catch (const PlotError& e) {
    EXPECT_NE(std::string(e.what()).find("'loss': empty data"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ax.line({1, 2}, {1}), PlotError);
  EXPECT_THROW(ax.scatter({1, 2}, {1, 2}, "", {"only one"}), PlotError);
  EXPECT_THROW(ax.hline(NAN), PlotError);
  HeatMap short_map;
  short_map.rows = 2, short_map.cols = 2, short_map.values = {1, 2, 3};
  EXPECT_THROW(ax.heatmap(short_map), PlotError);
  EXPECT_THROW(ax.set_x_ticks({1, 2}, {"a"}), PlotError);
  EXPECT_THROW(Figure(50, 400), PlotError);
  EXPECT_THROW(Figure(600, 400, 0, 1), PlotError);
  Figure tiny(200, 120, 4, 4);
  tiny.axes(0, 0).set_title("t").set_x_label("x").set_y_label("y").line({0, 1}, {0, 1});
  EXPECT_THROW(tiny.render(), PlotError);
}

TEST(PlotFigure, SavePngCreatesDirectoriesAndNamesUnwritablePaths) {
  const auto dir = temp_dir("save");
  Figure fig(400, 300);
  fig.axes().line({0, 1}, {1, 0});
  const auto path = dir / "a" / "b" / "line.png";
  fig.save_png(path);
  const cv::Mat back = cv::imread(path.string());
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.cols, 400);
  EXPECT_EQ(back.rows, 300);

  std::ofstream(dir / "file") << "not a directory";
  const auto unwritable = dir / "file" / "x.png";
  try {
    fig.save_png(unwritable);
    FAIL() << "wrote under a file";
  } catch (const PlotError& e) {
    EXPECT_NE(std::string(e.what()).find(unwritable.string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(fig.save_png(dir / "x.jpg"), PlotError);
  std::filesystem::remove_all(dir);
}
