// Does the dashboard slow the engine down? Runs the same session (S CSV streams of R rows, each
// driving a 4-input AutoNCP LTC, one decision per sample) as fast as possible, alternately
//   headless: no window, nobody reads the rings;
//   gui:      a MainWindow shown (offscreen is fine) draining the rings and redrawing at 30 fps;
//   hidden:   the same window hidden (it still drains, but draws nothing);
// and prints the engine's samples per second for each (median of the runs).
//   dashboard_throughput [streams=200] [rows=500] [runs=3]
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gui/main_window.h"
#include "gui/session.h"
#include "lfm/model.h"
#include "lfm/model_config.h"

namespace {

QString make_session(const QTemporaryDir& dir, int streams, int rows) {
  const auto config = liquid::lfm::config_from_json(
      {{"model", "LTC"}, {"input_size", 4}, {"wiring", {{"class", "AutoNCP"}, {"units", 12}, {"output_dim", 2}}}}, "bench");
  liquid::lfm::Model(config, 3).save(dir.filePath("m.safetensors").toStdString());
  nlohmann::json list = nlohmann::json::array();
  for (int s = 0; s < streams; ++s) {
    // append() rather than "s" + to_string(s): GCC 12 warns falsely on the latter (bug 105329).
    const std::string name = std::string("s").append(std::to_string(s)).append(".csv");
    std::ofstream csv(dir.filePath(QString::fromStdString(name)).toStdString());
    csv << "time,a,b,c,d\n";
    for (int r = 0; r < rows; ++r)
      csv << r + 0.01 * s << "," << std::sin(0.1 * r + s) << "," << std::cos(0.2 * r) << "," << (r % 7) * 0.1 << ",0.5\n";
    list.push_back({{"name", std::string("s").append(std::to_string(s))}, {"source", {{"csv", name}}}, {"model", "m.safetensors"}});
  }
  // The head averages the streams' two motor outputs into two classes.
  std::vector<std::vector<float>> weight(2, std::vector<float>(2 * streams, 0.0f));
  for (int s = 0; s < streams; ++s) weight[0][2 * s] = weight[1][2 * s + 1] = 1.0f / streams;
  nlohmann::json j = {{"streams", list}, {"head", {{"names", {"a", "b"}}, {"weight", weight}}}, {"speed", 0}};
  std::ofstream(dir.filePath("bench.json").toStdString()) << j.dump();
  return dir.filePath("bench.json");
}

// Samples per second of one run; `window` null: headless.
double run(const QString& config, liquid::gui::MainWindow* window, bool visible) {
  std::unique_ptr<liquid::gui::Session> own;
  liquid::gui::Session* session = nullptr;
  if (window) {
    visible ? window->show() : window->hide();
    if (!window->open_file(config)) {
      std::fprintf(stderr, "%s\n", window->message().toLocal8Bit().constData());
      std::exit(1);
    }
    session = window->session();
  } else {
    own = liquid::gui::Session::open(config.toStdString());
    session = own.get();
  }
  session->set_speed(0.0);
  QElapsedTimer timer;
  timer.start();
  session->start();
  QEventLoop loop;  // sleeps between events, so the main thread costs nothing when headless
  QTimer check;
  QObject::connect(&check, &QTimer::timeout, &loop, [&] {
    if (session->finished()) loop.quit();
  });
  check.start(5);
  loop.exec();
  const double seconds = timer.nsecsElapsed() * 1e-9;
  if (!session->error().empty()) std::fprintf(stderr, "error: %s\n", session->error().c_str());
  return session->processed() / seconds;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  const int streams = argc > 1 ? std::atoi(argv[1]) : 200;
  const int rows = argc > 2 ? std::atoi(argv[2]) : 500;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  QTemporaryDir dir;
  const QString config = make_session(dir, streams, rows);
  liquid::gui::MainWindow window;
  window.resize(1280, 820);
  std::vector<double> headless, gui, hidden;
  for (int r = 0; r < runs; ++r) {  // interleaved so machine load drifts hit every mode alike
    headless.push_back(run(config, nullptr, false));
    gui.push_back(run(config, &window, true));
    hidden.push_back(run(config, &window, false));
  }
  const double h = median(headless), g = median(gui), d = median(hidden);
  std::printf("%d streams x %d rows, %d runs each (median samples/s)\n", streams, rows, runs);
  std::printf("headless %.0f\ngui      %.0f  (%+.1f %%)\nhidden   %.0f  (%+.1f %%)\nGUI skipped %llu trace records\n", h, g,
              100.0 * (g - h) / h, d, 100.0 * (d - h) / h, static_cast<unsigned long long>(window.missed_records()));
  return 0;
}
