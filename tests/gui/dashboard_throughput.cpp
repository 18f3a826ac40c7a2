// Does the dashboard slow the engine down? Runs the same `liquid stream` configuration (S CSV
// streams of R rows a second apart, each driving a 4-input AutoNCP LTC, the mean head deciding once
// a second of stream time) as fast as possible, alternately
//   headless: a Session without a window, nobody reads the rings;
//   gui:      a MainWindow shown (offscreen is fine) draining the rings and redrawing at 30 fps;
//   hidden:   the same window hidden (it still drains, but draws nothing);
// and prints the engine's samples per second for each (median of the runs, interleaved so that a
// change in the machine's load hits every mode alike). Not a ctest: the figures depend on the machine.
//   dashboard_throughput [streams=1000] [rows=50] [runs=3]
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
#include <time.h>

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
    for (int r = 0; r < rows; ++r)  // every stream once a second, a little apart from the others
      csv << r + 1e-5 * s << "," << std::sin(0.1 * r + s) << "," << std::cos(0.2 * r) << "," << (r % 7) * 0.1 << ",0.5\n";
    list.push_back({{"name", std::string("s").append(std::to_string(s))},
                    {"model", "m"},
                    {"source", {{"kind", "csv"}, {"path", name}, {"time_column", "time"}}},
                    {"encoder", {{"kind", "series"}, {"normalization", "none"}}}});
  }
  // The mean of the streams' two motor outputs as two classes, decided once a second.
  nlohmann::json j = {{"models", {{"m", "m.safetensors"}}},
                      {"streams", list},
                      {"fusion", {{"head", "mean"}, {"kind", "classes"}, {"names", {"a", "b"}}}},
                      {"decisions", {{"mode", "rate"}, {"period", 1.0}}}};
  std::ofstream(dir.filePath("bench.json").toStdString()) << j.dump();
  return dir.filePath("bench.json");
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct Run {
  double samples_per_s = 0.0;    // wall clock
  double worker_us = 0.0;        // the engine's worker thread: CPU microseconds per sample
  double gui_cpu_share = 0.0;    // the GUI thread's CPU seconds / wall seconds
};

// One run as fast as possible; `window` null: headless.
Run run(const QString& config, liquid::gui::MainWindow* window, bool visible) {
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
  const double cpu0 = session->worker_cpu_seconds(), gui0 = thread_cpu_seconds();
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
  const double n = static_cast<double>(session->processed());
  return {n / seconds, (session->worker_cpu_seconds() - cpu0) * 1e6 / n, (thread_cpu_seconds() - gui0) / seconds};
}

Run median(std::vector<Run> v) {
  Run m;
  const auto pick = [&](auto field) {
    std::vector<double> x;
    for (const Run& r : v) x.push_back(r.*field);
    std::sort(x.begin(), x.end());
    return x[x.size() / 2];
  };
  m.samples_per_s = pick(&Run::samples_per_s);
  m.worker_us = pick(&Run::worker_us);
  m.gui_cpu_share = pick(&Run::gui_cpu_share);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  const int streams = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int rows = argc > 2 ? std::atoi(argv[2]) : 50;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  QTemporaryDir dir;
  const QString config = make_session(dir, streams, rows);
  liquid::gui::MainWindow window;
  window.resize(1280, 820);
  std::vector<Run> headless, gui, hidden;
  for (int r = 0; r < runs; ++r) {  // interleaved so machine load drifts hit every mode alike,
    for (int k = 0; k < 3; ++k) {    // and each mode's place in the round rotates (no order bias)
      switch ((r + k) % 3) {
        case 0: headless.push_back(run(config, nullptr, false)); break;
        case 1: gui.push_back(run(config, &window, true)); break;
        default: hidden.push_back(run(config, &window, false)); break;
      }
    }
  }
  const Run h = median(headless), g = median(gui), d = median(hidden);
  std::printf("%d streams x %d rows, %d runs each, medians\n", streams, rows, runs);
  std::printf("mode      samples/s          engine CPU us/sample   GUI thread CPU\n");
  std::printf("headless  %9.0f            %8.3f              %4.1f %%\n", h.samples_per_s, h.worker_us, 100 * h.gui_cpu_share);
  for (const auto& [name, m] : {std::pair{"gui     ", g}, std::pair{"hidden  ", d}})
    std::printf("%s  %9.0f (%+5.1f %%)  %8.3f (%+5.1f %%)    %4.1f %%\n", name, m.samples_per_s,
                100.0 * (m.samples_per_s - h.samples_per_s) / h.samples_per_s, m.worker_us,
                100.0 * (m.worker_us - h.worker_us) / h.worker_us, 100 * m.gui_cpu_share);
  std::printf("GUI skipped %llu trace records\n", static_cast<unsigned long long>(window.missed_records()));
  return 0;
}
