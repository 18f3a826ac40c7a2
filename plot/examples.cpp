// plot_examples DIR: writes one figure of each kind liquid::plot draws, from synthetic data, so a
// person can look at them after changing the drawing code (the tests check pixels, not looks).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "plot/charts.h"

using namespace liquid::plot;

namespace {

void training_curve(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "run_cfc_occupancy");
  const std::filesystem::path csv = dir / "run_cfc_occupancy" / "curve.csv";
  std::ofstream out(csv);
  out << "epoch,train_loss,val_loss,val_metric,lr,seconds\n";
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 1);
  for (int e = 1; e <= 60; ++e) {
    const double train = 0.02 + 0.9 * std::exp(-e / 8.0) * (1 + 0.05 * noise(rng));
    const double val =
        0.05 + 0.85 * std::exp(-e / 9.0) + 0.0008 * std::max(0, e - 35) * (e - 35) / 10.0 + 0.004 * noise(rng);
    const double acc = 0.97 - 0.45 * std::exp(-e / 7.0) - 0.0003 * std::max(0, e - 35) + 0.003 * noise(rng);
    out << e << ',' << train << ',' << val << ',' << acc << ",0.001," << e * 1.7 << '\n';
  }
  out.close();
  write_training_curve(csv, dir / "training_curve.png");
}

void spectrogram(const std::filesystem::path& dir) {
  // A chirp with harmonics over noise, 64 mel-like bands x 400 frames of 25 ms.
  HeatMap m;
  m.rows = 64;
  m.cols = 400;
  m.x0 = 0, m.x1 = 400 * 0.025;
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, 1);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) {
      const double t = c * 0.025, f0 = 8 + 2.2 * t + 4 * std::sin(t);
      double v = -80 + 4 * noise(rng);
      for (int h = 1; h <= 3; ++h) v = std::max(v, -20.0 * h - 2.5 * std::pow(r - f0 * h, 2.0) + 2 * noise(rng));
      m.values.push_back(v);
    }
  m.colorbar_label = "level (dB)";
  write_heatmap(dir / "spectrogram.png", m, {"log-mel spectrogram (synthetic chirp)", "time (s)", "mel band", {}});
}

void confusion(const std::filesystem::path& dir) {
  const std::vector<std::string> names = {"walking",
                                          "falling",
                                          "lying down",
                                          "lying",
                                          "sitting down",
                                          "sitting",
                                          "standing up from lying",
                                          "on all fours",
                                          "sitting on the ground",
                                          "standing up from sitting",
                                          "standing up from sitting on the ground"};
  const int n = static_cast<int>(names.size());
  std::mt19937 rng(5);
  std::vector<std::vector<std::int64_t>> counts(n, std::vector<std::int64_t>(n));
  for (int r = 0; r < n; ++r) {
    const int total = 50 + static_cast<int>(rng() % 900);
    for (int k = 0; k < total; ++k) {
      const bool right = rng() % 100 < 70 + static_cast<unsigned>(r * 2);
      counts[r][right ? r : (r + 1 + rng() % 3) % n] += 1;
    }
  }
  write_confusion(dir / "confusion.png", counts, names, "person activity, CfC (test split)");
}

void pareto(const std::filesystem::path& dir) {
  Figure fig(1200, 800);
  Axes& ax = fig.axes();
  ax.set_title("accuracy vs. cost").set_x_label("parameters (thousands)").set_y_label("test accuracy (%)");
  ax.scatter({1.2, 2.5, 4.8, 9.6, 19, 38}, {89.1, 91.8, 93.0, 94.1, 94.5, 94.7}, "CfC",
             {"8 units", "16 units", "32 units", "64 units", "128 units", "256 units"})
      .line_width = 1;
  ax.scatter({1.9, 3.6, 7.1, 14.2}, {88.0, 90.7, 92.9, 93.6}, "LTC (NCP)", {"ncp-8", "ncp-16", "ncp-32", "ncp-64"});
  ax.scatter({5.2, 20.4, 81}, {90.2, 92.8, 93.9}, "LSTM", {"lstm-32", "lstm-64", "lstm-128"});
  ax.hline(94.63, "paper 94.63 %");
  fig.save_png(dir / "pareto.png");
}

void forecast(const std::filesystem::path& dir) {
  Figure fig(1200, 500);
  Axes& ax = fig.axes();
  ax.set_title("room temperature: forecast vs. actual").set_x_label("time (h)").set_y_label("temperature (C)");
  std::vector<double> t, actual, predicted;
  for (int i = 0; i < 480; ++i) {
    t.push_back(i / 20.0);
    actual.push_back(21 + 2 * std::sin(i / 40.0) + 0.3 * std::sin(i / 3.0));
    predicted.push_back(i < 200 || i > 230 ? 21 + 2 * std::sin((i - 3) / 40.0) : std::nan(""));  // a sensor gap
  }
  ax.line(t, actual, "actual");
  ax.line(t, predicted, "forecast (1 h ahead)").dashed = true;
  ax.vline(12, "forecast starts");
  fig.save_png(dir / "forecast.png");
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "out/plot-examples";
  try {
    training_curve(dir);
    spectrogram(dir);
    confusion(dir);
    pareto(dir);
    forecast(dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plot_examples: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %s/{training_curve,spectrogram,confusion,pareto,forecast}.png\n", dir.string().c_str());
  return 0;
}
