// Widget tests for liquid-dashboard (QtTest, QT_QPA_PLATFORM=offscreen): replaying a trace file
// made here with BinaryTraceWriter, loading a stream configuration and receiving decisions,
// choosing neurons (list and wiring click), and bad input shown in the window without a crash.
#include <QComboBox>
#include <QGraphicsView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gui/decision_view.h"
#include "gui/history.h"
#include "gui/main_window.h"
#include "gui/neuron_view.h"
#include "gui/session.h"
#include "gui/streams_table.h"
#include "gui/wiring_view.h"
#include "lfm/model.h"
#include "lfm/model_config.h"
#include "pipeline/trace.h"

using liquid::gui::MainWindow;

class DashboardTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  QString path(const QString& name) const { return dir_.filePath(name); }

  // A 4-input LTC with an AutoNCP wiring (2 motor neurons) and a CSV of `channels` columns.
  QString make_config(int channels, const QString& name = "config.json") {
    const auto config = liquid::lfm::config_from_json(
        {{"model", "LTC"}, {"input_size", 4}, {"wiring", {{"class", "AutoNCP"}, {"units", 10}, {"output_dim", 2}}}},
        "test");
    liquid::lfm::Model(config, 7).save(path("ltc.safetensors").toStdString());
    std::ofstream csv(path("series.csv").toStdString());
    csv << "time";
    for (int c = 0; c < channels; ++c) csv << ",c" << c;
    csv << "\n";
    for (int r = 0; r < 60; ++r) {
      csv << r * 0.5 + (r % 3) * 0.1;  // irregular gaps
      for (int c = 0; c < channels; ++c) csv << "," << std::sin(0.3 * r + c);
      csv << "\n";
    }
    nlohmann::json j = {{"streams", {{{"name", "room"}, {"source", {{"csv", "series.csv"}}}, {"model", "ltc.safetensors"}}}},
                        {"head", {{"kind", "classes"}, {"names", {"empty", "occupied"}}}},
                        {"speed", 0}};
    std::ofstream(path(name).toStdString()) << j.dump();
    return path(name);
  }

  static void run_to_end(MainWindow& w) {
    w.start();
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->finished(), 10000);
    w.poll();
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void decimation_keeps_extremes() {
    liquid::gui::History h(10000);
    for (int i = 0; i < 10000; ++i) h.add(i, {i == 5000 ? 100.0f : 0.0f});
    const auto points = liquid::gui::decimate(h, 0, 100);
    QVERIFY(points.size() <= 200);
    bool spike = false;
    for (const auto& p : points) spike = spike || p.y == 100.0;
    QVERIFY(spike);
  }

  void replays_a_trace_file() {
    liquid::pipeline::TraceLayout layout{3, {{0, "a", {"h0", "h1", "h2"}}, {5, "b", {"h0", "h1"}}}};
    {
      liquid::pipeline::BinaryTraceWriter writer(path("run.lqtrace").toStdString(), layout);
      for (int i = 0; i < 100; ++i) {
        const float v[3] = {float(i), float(-i), 0.5f};
        writer.write(i * 0.1, i % 2 == 0 ? 0 : 5, std::span<const float>(v, i % 2 == 0 ? 3 : 2));
      }
      writer.flush();
    }
    MainWindow w;
    w.resize(1000, 700);
    w.show();
    QVERIFY(w.open_file(path("run.lqtrace")));
    QVERIFY(w.session()->is_trace_file());
    QCOMPARE(w.streams_table()->rowCount(), 2);
    w.step();  // one record while paused
    QTRY_COMPARE_WITH_TIMEOUT(w.session()->processed(), uint64_t(1), 5000);
    w.poll();
    QCOMPARE(w.neuron_view()->history(0)->size(), size_t(1));
    w.set_speed(0);
    run_to_end(w);
    QCOMPARE(w.neuron_view()->history(0)->size(), size_t(50));
    QCOMPARE(w.neuron_view()->history(1)->size(), size_t(50));  // id 5 is the second stream
    QCOMPARE(w.neuron_view()->history(0)->value(49, 0), 98.0f);
    QCOMPARE(w.streams_table()->item(1, 2)->text(), QString("50"));
    QVERIFY(w.message().isEmpty());
  }

  void receives_decisions_and_selects_neurons() {
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY2(w.open_file(make_config(4)), qPrintable(w.message()));
    QCOMPARE(w.decision_view()->count(), size_t(0));
    run_to_end(w);
    QVERIFY(w.session()->error().empty());
    QCOMPARE(w.decision_view()->count(), size_t(60));  // one decision per sample
    const QString current = w.decision_view()->current_text();
    QVERIFY2(current == "empty" || current == "occupied", qPrintable(current));
    QCOMPARE(w.neuron_view()->history(0)->size(), size_t(60));
    QCOMPARE(w.neuron_view()->history(0)->values(0).size(), size_t(10));  // h of 10 units

    // The motor neurons are plotted from the start; tick one more in the list.
    auto* neurons = w.neuron_view();
    const size_t before = neurons->plotted_lines();
    QCOMPARE(before, size_t(2));
    neurons->select_neuron(7);
    QCOMPARE(neurons->plotted_lines(), size_t(3));

    // Clicking a neuron in the wiring plots it too.
    auto* wiring = w.wiring_view();
    QCOMPARE(wiring->neuron_count(), 10);
    const QPoint at = wiring->mapFromScene(wiring->neuron_position(5));
    QTest::mouseClick(wiring->viewport(), Qt::LeftButton, {}, at);
    const auto selected = neurons->selected();
    QVERIFY(std::find(selected.begin(), selected.end(), 5) != selected.end());
    QCOMPARE(neurons->plotted_lines(), size_t(4));
  }

  void bad_input_shows_a_message_and_keeps_running() {
    MainWindow w;
    QVERIFY(w.open_file(make_config(4)));
    liquid::gui::Session* running = w.session();

    QVERIFY(!w.open_file(path("missing.json")));
    QVERIFY2(w.message().contains("no such file"), qPrintable(w.message()));
    QCOMPARE(w.session(), running);  // the open session is untouched

    // A model that does not fit the stream: 3 columns for a 4-input model.
    QVERIFY(!w.open_file(make_config(3, "three.json")));
    QVERIFY2(w.message().contains("expects 4 inputs"), qPrintable(w.message()));

    std::ofstream(path("typo.json").toStdString()) << R"({"streams": [{"source": {"csv": "series.csv"}, "modle": "x"}]})";
    QVERIFY(!w.open_file(path("typo.json")));
    QVERIFY2(w.message().contains("modle"), qPrintable(w.message()));

    std::ofstream(path("broken.lqtrace").toStdString(), std::ios::binary) << "LQTRACE1\x01\x00";
    QVERIFY(!w.open_file(path("broken.lqtrace")));
    QVERIFY(!w.message().isEmpty());

    QCOMPARE(w.session(), running);
    run_to_end(w);  // the first session still works
    QCOMPARE(w.decision_view()->count(), size_t(60));
  }
};

QTEST_MAIN(DashboardTest)
#include "dashboard_test.moc"
