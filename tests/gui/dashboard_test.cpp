// Widget tests for liquid-dashboard (QtTest, QT_QPA_PLATFORM=offscreen): replaying a trace file
// made here with BinaryTraceWriter; `liquid stream` configurations (one made here, and the shipped
// samples/stream/occupancy.json and samples/smart-home/config.json) run with decisions, reasons,
// alerts and the camera preview; choosing neurons (list and wiring click) and models; recording a
// trace; bad input shown in the window without a crash.
#include <cmath>
#include <QComboBox>
#include <QGraphicsView>
#include <QLabel>
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

  static QString source_file(const char* relative) { return QString(LIQUID_SOURCE_DIR "/") + relative; }

  // A `liquid stream` configuration: a 4-input LTC with an AutoNCP wiring (2 motor neurons) over a
  // CSV of `channels` columns, its two motor outputs as the classes of a stream head.
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
    nlohmann::json j = {
        {"models", {{"ltc", "ltc.safetensors"}}},
        {"streams",
         {{{"name", "room"},
           {"model", "ltc"},
           {"timeout", 2},
           {"source", {{"kind", "csv"}, {"path", "series.csv"}, {"time_column", "time"}}},
           {"encoder", {{"kind", "series"}, {"normalization", "none"}}}}}},
        {"fusion", {{"head", "stream"}, {"stream", "room"}, {"kind", "classes"}, {"names", {"empty", "occupied"}}}}};
    std::ofstream(path(name).toStdString()) << j.dump();
    return path(name);
  }

  static void run_to_end(MainWindow& w) {
    w.set_speed(0);  // as fast as possible
    w.start();
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->finished(), 10000);
    w.poll();
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void decimation_keeps_extremes() {
    liquid::gui::History h(10000);
    for (int i = 0; i < 10000; ++i) {
      const float v = i == 5000 ? 100.0f : 0.0f;
      h.add(i, std::span<const float>(&v, 1));
    }
    const auto points = liquid::gui::decimate(h, 0, 100);
    QVERIFY(points.size() <= 200);
    bool spike = false;
    for (const auto& p : points) spike = spike || p.y == 100.0;
    QVERIFY(spike);
  }

  // The flat ring: the newest records in order once full, a wider record re-laid out, a shorter
  // one NaN beyond its values, a smaller capacity keeping the newest.
  void history_keeps_the_newest_records() {
    liquid::gui::History h(5);
    for (int i = 0; i < 8; ++i) {
      const float v[2] = {float(i), float(10 * i)};
      h.add(i, std::span<const float>(v, 2));
    }
    QCOMPARE(h.size(), size_t(5));
    for (size_t i = 0; i < 5; ++i) {
      QCOMPARE(h.time(i), double(i + 3));
      QCOMPARE(h.value(i, 1), float(10 * (i + 3)));
    }
    const float wide[3] = {1, 2, 3};
    h.add(8, wide);
    QCOMPARE(h.size(), size_t(5));
    QCOMPARE(h.time(0), 4.0);
    QCOMPARE(h.value(0, 1), 40.0f);
    QVERIFY(std::isnan(h.value(0, 2)));
    QCOMPARE(h.values(4).size(), size_t(3));
    QCOMPARE(h.value(4, 2), 3.0f);
    h.set_capacity(2);
    QCOMPARE(h.size(), size_t(2));
    QCOMPARE(h.time(0), 7.0);
    QCOMPARE(h.time(1), 8.0);
    h.set_capacity(4);
    const float one = 9;
    h.add(9, std::span<const float>(&one, 1));
    QCOMPARE(h.size(), size_t(3));
    QCOMPARE(h.time(2), 9.0);
    QCOMPARE(h.values(2).size(), size_t(1));
    QVERIFY(std::isnan(h.value(2, 1)));
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
    QVERIFY2(w.message().contains("takes 4 inputs"), qPrintable(w.message()));

    // An unknown field, an unknown source kind, a model name no "models" key gives.
    std::ofstream(path("typo.json").toStdString())
        << R"({"models": {"ltc": "ltc.safetensors"}, "streams": [{"name": "a", "modle": "ltc", "source": {"kind": "csv", "path": "series.csv"}}]})";
    QVERIFY(!w.open_file(path("typo.json")));
    QVERIFY2(w.message().contains("modle"), qPrintable(w.message()));
    std::ofstream(path("kind.json").toStdString())
        << R"({"models": {"ltc": "ltc.safetensors"}, "streams": [{"name": "a", "model": "ltc", "source": {"kind": "webcam"}}]})";
    QVERIFY(!w.open_file(path("kind.json")));
    QVERIFY2(w.message().contains("kind") && w.message().contains("kind.json"), qPrintable(w.message()));
    QVERIFY(!w.open_file(make_config(4), {"nosuch=ltc.safetensors"}));
    QVERIFY2(w.message().contains("nosuch"), qPrintable(w.message()));

    // A live MQTT source cannot be replayed in time order: said, not hung on.
    std::ofstream(path("mqtt.json").toStdString())
        << R"({"models": {"ltc": "ltc.safetensors"}, "streams": [{"name": "a", "model": "ltc", "source": {"kind": "mqtt", "topic": "t", "width": 4}}]})";
    QVERIFY(!w.open_file(path("mqtt.json")));
    QVERIFY2(w.message().contains("MQTT"), qPrintable(w.message()));

    // A model file that is not one.
    std::ofstream(path("junk.safetensors").toStdString()) << "not a model";
    QVERIFY(!w.open_file(make_config(4), {"ltc=" + path("junk.safetensors").toStdString()}));
    QVERIFY2(w.message().contains("junk.safetensors"), qPrintable(w.message()));

    std::ofstream(path("broken.lqtrace").toStdString(), std::ios::binary) << "LQTRACE1\x01\x00";
    QVERIFY(!w.open_file(path("broken.lqtrace")));
    QVERIFY(!w.message().isEmpty());

    QCOMPARE(w.session(), running);
    run_to_end(w);  // the first session still works
    QCOMPARE(w.decision_view()->count(), size_t(60));
  }

  // samples/stream/occupancy.json as `liquid stream` runs it: the room readings of datatest.txt
  // through the trained occupancy CfC, decisions on change.
  void runs_the_occupancy_stream_config() {
    MainWindow w;
    w.resize(1200, 800);
    w.show();
    QVERIFY2(w.open_file(source_file("samples/stream/occupancy.json")), qPrintable(w.message()));
    QCOMPARE(w.streams_table()->rowCount(), 1);
    QCOMPARE(w.streams_table()->item(0, 0)->text(), QString("room"));
    QVERIFY(w.session()->decision_names().size() == 2);
    w.set_speed(0);
    run_to_end(w);
    QVERIFY2(w.session()->error().empty(), w.session()->error().c_str());
    QCOMPARE(w.session()->processed(), uint64_t(2665));  // every row of datatest.txt
    QCOMPARE(w.streams_table()->item(0, 2)->text(), QString("2665"));
    QVERIFY(w.decision_view()->count() >= 2);  // on_change: the first decision and every change
    const QString current = w.decision_view()->current_text();
    const auto& names = w.session()->decision_names();
    QVERIFY2(std::find(names.begin(), names.end(), current.toStdString()) != names.end(), qPrintable(current));
    QCOMPARE(w.neuron_view()->history(0)->size(), size_t(2665));
    auto* neurons = w.neuron_view();
    const size_t before = neurons->plotted_lines();
    neurons->select_neuron(3);
    QCOMPARE(neurons->plotted_lines(), before + 1);
    QVERIFY(w.message().isEmpty());
  }

  // samples/smart-home/config.json: room, voice and camera on one timeline, MultiHeadFusion's named
  // heads, the lights rule and the reason of each decision, the camera's preview.
  void runs_the_smart_home_config() {
    MainWindow w;
    w.resize(1280, 820);
    w.show();
    QVERIFY2(w.open_file(source_file("samples/smart-home/config.json")), qPrintable(w.message()));
    QCOMPARE(w.streams_table()->rowCount(), 3);
    const auto& names = w.session()->decision_names();
    QVERIFY(std::find(names.begin(), names.end(), "lights") != names.end());
    QVERIFY(std::find(names.begin(), names.end(), "motion") != names.end());
    QVERIFY(w.preview()->isVisible());  // the camera stream
    w.set_speed(0);
    run_to_end(w);
    QVERIFY2(w.session()->error().empty(), w.session()->error().c_str());
    for (int r = 0; r < 3; ++r) QVERIFY(w.streams_table()->item(r, 2)->text().toULongLong() > 0);
    QVERIFY(w.decision_view()->count() > 0);
    const QString current = w.decision_view()->current_text();
    QVERIFY2(current.contains("occupancy") && current.contains("lights"), qPrintable(current));
    const QString reasons = w.decision_view()->reasons_text();
    QVERIFY2(reasons.contains("occupancy") && reasons.contains("room") && reasons.contains("n"), qPrintable(reasons));
    // The spoken "1"s switch the lights on: a highlighted alert names the rule and its trigger.
    bool lights_on = false;
    for (int r = 0; r < w.decision_view()->alert_count(); ++r)
      lights_on = lights_on || w.decision_view()->alert(r).contains("lights ON (by command=1)");
    QVERIFY(lights_on);
    QVERIFY(w.preview()->pixmap().isNull() == false);
    // The camera's neurons (an LTC) and the voice's (a CfC) are watched like any others.
    w.neuron_view()->set_stream(2);
    QVERIFY(w.neuron_view()->history(2)->size() > 0);
  }

  // Hidden, the window copies no neuron traces (the engine's ring moves on without it, and that is
  // not counted as records missed) but keeps the decisions.
  void a_hidden_window_copies_no_traces() {
    MainWindow w;
    QVERIFY(w.open_file(make_config(4)));
    w.set_speed(0);
    w.start();
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->finished(), 10000);
    w.poll();
    QCOMPARE(w.neuron_view()->history(0)->size(), size_t(0));
    QVERIFY(w.decision_view()->count() > 0);
    QCOMPARE(w.missed_records(), uint64_t(0));
    // The streams table's counters are the frames' own, however the engine batched them: the
    // last rows are at 29.1 s and 29.7 s.
    const liquid::gui::StreamLive& live = w.session()->live(0);
    QCOMPARE(live.samples.load(), uint64_t(60));
    QCOMPARE(live.last_time.load(), 29.7);
    QVERIFY(std::abs(live.last_gap.load() - 0.6) < 1e-9);
  }

  void records_a_replayable_trace() {
    MainWindow w;
    w.show();  // a hidden window copies no neuron traces
    QVERIFY(w.open_file(make_config(4)));
    QVERIFY(w.record(path("recorded.lqtrace")));
    QVERIFY(w.recording());
    run_to_end(w);
    QVERIFY(w.record({}));
    QVERIFY(w.open_file(make_config(4)));  // the recording session is gone: its file is closed
    QVERIFY2(w.open_file(path("recorded.lqtrace")), qPrintable(w.message()));
    QVERIFY(w.session()->is_trace_file());
    run_to_end(w);
    QCOMPARE(w.neuron_view()->history(0)->size(), size_t(60));

    QVERIFY(!w.record(path("again.lqtrace")));  // a trace file is replayed, not recorded
    QVERIFY(!w.message().isEmpty());
  }
};

QTEST_MAIN(DashboardTest)
#include "dashboard_test.moc"
