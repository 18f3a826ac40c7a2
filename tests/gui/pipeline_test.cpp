// liquid-dashboard on GStreamer pipeline descriptions (QtTest, QT_QPA_PLATFORM=offscreen): an
// audiotestsrc through liquidaudiofeatures and liquidcell (a small untrained model made here, as
// gst_make_test_model makes them) gives decisions, alerts, neuron traces and a streams-table row;
// a .gst file holding a copied gst-launch command opens too; an error while playing is shown; an
// unknown element, a missing model and features that do not fit the model are messages in the
// window while the previous session runs on.
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <opencv2/core/mat.hpp>

#include "gui/decision_view.h"
#include "gui/history.h"
#include "gui/main_window.h"
#include "gui/neuron_view.h"
#include "gui/session.h"
#include "gui/streams_table.h"
#include "lfm/model.h"

using liquid::gui::MainWindow;

class PipelineTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  QString path(const QString& name) const { return dir_.filePath(name); }

  // An untrained CfC over `inputs` features with three classes (metadata as `liquid train` writes).
  std::string make_model(const QString& name, int inputs) {
    liquid::lfm::ModelConfig config;
    config.cell = liquid::lfm::CellKind::kCfc;
    config.input_size = inputs;
    config.cfc.input_size = inputs;
    config.cfc.units = 8;
    config.cfc.backbone_units = 16;
    config.proj_size = 3;
    auto file = liquid::lfm::Model(config, 1).to_tensors();
    file.set_metadata("liquid.classes", R"(["yes", "no", "silence"])");
    file.set_metadata("liquid.loss", "cross_entropy");
    file.write_file(path(name).toStdString());
    return path(name).toStdString();
  }

  // 20 buffers of 0.1 s of a sine at 16 kHz: 2 s, about 200 feature frames (10 ms hop).
  static QString audio(const std::string& model) {
    return QString::fromStdString(
        "audiotestsrc num-buffers=20 samplesperbuffer=1600 ! audio/x-raw,rate=16000 ! audioconvert ! "
        "liquidaudiofeatures ! liquidcell model=\"" + model + "\" ! fakesink");
  }

  static void run_to_end(MainWindow& w) {
    w.start();
    QTRY_VERIFY_WITH_TIMEOUT(w.session()->finished(), 10000);
    w.poll();
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void receives_decisions_states_and_alerts() {
    MainWindow w;
    w.show();
    QVERIFY2(w.open_file(audio(make_model("kws40.safetensors", 40))), qPrintable(w.message()));
    QVERIFY(!w.session()->paced());
    QCOMPARE(w.streams_table()->rowCount(), 1);
    QCOMPARE(w.streams_table()->item(0, 0)->text(), QString("liquidcell0"));
    run_to_end(w);
    QVERIFY2(w.session()->error().empty(), w.session()->error().c_str());
    QVERIFY(w.decision_view()->count() >= 150);  // the decisions plotted
    QCOMPARE(w.decision_view()->count(), size_t(w.session()->processed()));
    const QString now = w.decision_view()->current_text();
    QVERIFY2(now.contains("liquidcell0") && (now.contains("yes") || now.contains("no") || now.contains("silence")),
             qPrintable(now));
    QVERIFY(w.decision_view()->alert_count() >= 1);  // the first class is a change
    QVERIFY(w.decision_view()->alert(w.decision_view()->alert_count() - 1).contains("liquidcell0 ="));
    // Neuron traces from post-states: 8 neurons a decision.
    const liquid::gui::History* states = w.neuron_view()->history(0);
    QVERIFY(states && states->size() == w.decision_view()->count());
    QCOMPARE(states->values(0).size(), size_t(8));
    QCOMPARE(w.streams_table()->item(0, 2)->text().toULongLong(), static_cast<qulonglong>(w.session()->processed()));
  }

  // A cell fed by liquidvideofeatures is a video row: the preview has the frames entering the
  // features, as BGR at their size. With a liquidoverlay downstream of the cell, the preview has
  // the overlay's output (the decision drawn on the frames).
  void video_rows_have_a_preview() {
    const std::string model = make_model("video9.safetensors", 9);  // 2 x 2 cells, grey + motion, mean motion
    const std::string features = "liquidvideofeatures grid-cols=2 grid-rows=2 grey=true motion=true flow=false working-width=64";
    const std::string source = "videotestsrc num-buffers=30 pattern=ball ! video/x-raw,width=96,height=64,framerate=30/1 ! ";
    {
      MainWindow w;
      w.show();
      QVERIFY2(w.open_file(QString::fromStdString(source + "videoconvert ! " + features + " ! liquidcell model=" +
                                                  model + " ! fakesink")),
               qPrintable(w.message()));
      QVERIFY(w.session()->streams()[0].video);
      run_to_end(w);
      cv::Mat frame;
      double time = -1;
      QVERIFY(w.session()->latest_frame(0, frame, time));
      QCOMPARE(frame.cols, 96);
      QCOMPARE(frame.rows, 64);
      QCOMPARE(frame.type(), CV_8UC3);
      QVERIFY(time >= 0.0 && time < 1.0);
    }
    {
      MainWindow w;
      QVERIFY2(w.open_file(QString::fromStdString(
                   source + "videoconvert ! tee name=t t. ! queue ! " + features + " ! liquidcell model=" + model +
                   " ! queue ! o.decision_sink t. ! queue ! videoconvert ! video/x-raw,format=BGRx ! "
                   "liquidoverlay name=o ! fakesink")),
               qPrintable(w.message()));
      QVERIFY(w.session()->streams()[0].video);
      run_to_end(w);
      QVERIFY2(w.session()->error().empty(), w.session()->error().c_str());
      cv::Mat frame;
      double time = -1;
      QVERIFY(w.session()->latest_frame(0, frame, time));
      QCOMPARE(frame.cols, 96);
      QCOMPARE(frame.type(), CV_8UC3);
    }
    // An audio cell is not a video row.
    MainWindow w;
    QVERIFY(w.open_file(audio(make_model("kws40.safetensors", 40))));
    QVERIFY(!w.session()->streams()[0].video);
  }

  // A liquidfusion's pads are rows with their cells' neurons (post-states) and, for the video pad,
  // a preview.
  void fusion_pads_have_neurons_and_a_preview() {
    const std::string audio_model = make_model("kws40.safetensors", 40), video_model = make_model("video9.safetensors", 9);
    MainWindow w;
    w.show();  // a hidden window copies no neuron traces
    QVERIFY2(w.open_file(QString::fromStdString(
                 "liquidfusion name=f sink_0::model=" + audio_model + " sink_1::model=" + video_model + " ! fakesink "
                 "audiotestsrc num-buffers=10 samplesperbuffer=1600 ! audio/x-raw,rate=16000 ! audioconvert ! "
                 "liquidaudiofeatures ! f.sink_0 "
                 "videotestsrc num-buffers=10 ! video/x-raw,width=96,height=64,framerate=10/1 ! videoconvert ! "
                 "liquidvideofeatures grid-cols=2 grid-rows=2 working-width=64 ! f.sink_1")),
             qPrintable(w.message()));
    const auto& streams = w.session()->streams();
    QCOMPARE(streams.size(), size_t(2));
    QCOMPARE(streams[0].name, std::string("f:sink_0"));
    QVERIFY(!streams[0].video);
    QVERIFY(streams[1].video);
    run_to_end(w);
    QVERIFY2(w.session()->error().empty(), w.session()->error().c_str());
    for (int row = 0; row < 2; ++row) {
      const liquid::gui::History* states = w.neuron_view()->history(row);
      QVERIFY2(states && states->size() > 0, qPrintable(QString("row %1").arg(row)));
      QCOMPARE(states->values(0).size(), size_t(8));  // 8 units each
    }
    cv::Mat frame;
    double time = -1;
    QVERIFY(w.session()->latest_frame(1, frame, time));
    QCOMPARE(frame.rows, 64);
  }

  // A liquidfusion running a stream configuration (config=FILE): a row per configured stream (two
  // pads feed "voice"), each with its model's neurons; the decision names are the named heads';
  // the explanations (heads and reasons) reach the decision view.
  void a_configured_fusion_has_a_row_per_stream_and_its_heads() {
    const std::string audio_model = make_model("kws40.safetensors", 40), video_model = make_model("video9.safetensors", 9);
    const QString config = path("fusion.json");
    // (No raw string literal here: moc's parser stumbles on one.)
    std::ofstream(config.toStdString())
        << "{\"models\": {\"kws\": \"" << audio_model << "\", \"cam\": \"" << video_model << "\"},\n"
        << " \"streams\": [\n"
        << "  {\"name\": \"voice\", \"model\": \"kws\", \"timeout\": 0.5, \"source\": {\"kind\": \"wav\", \"path\": \"unused.wav\"},\n"
        << "   \"encoder\": {\"kind\": \"audio\", \"normalization\": \"none\"}},\n"
        << "  {\"name\": \"camera\", \"model\": \"cam\", \"timeout\": 1, \"source\": {\"kind\": \"video\", \"path\": \"unused.avi\"},\n"
        << "   \"encoder\": {\"kind\": \"video\", \"normalization\": \"none\"}}],\n"
        << " \"fusion\": {\"head\": \"heads\", \"heads\": [\n"
        << "  {\"name\": \"word\", \"stream\": \"voice\", \"kind\": \"classes\", \"reasons\": 2},\n"
        << "  {\"name\": \"scene\", \"stream\": \"camera\", \"kind\": \"classes\", \"reasons\": 2}]}}\n";
    const std::string audio_branch = "audiotestsrc num-buffers=10 samplesperbuffer=1600 ! audio/x-raw,rate=16000 ! audioconvert ! "
                                     "liquidaudiofeatures ! ";
    MainWindow w;
    w.show();
    QVERIFY2(w.open_file(QString::fromStdString(
                 "liquidfusion name=f config=" + config.toStdString() +
                 " sink_0::stream=voice sink_1::stream=camera sink_2::stream=voice sink_2::time-offset=10 ! fakesink " +
                 audio_branch + "f.sink_0 " + audio_branch + "f.sink_2 "
                 "videotestsrc num-buffers=10 ! video/x-raw,width=96,height=64,framerate=10/1 ! videoconvert ! "
                 "liquidvideofeatures grid-cols=2 grid-rows=2 working-width=64 ! f.sink_1")),
             qPrintable(w.message()));
    const auto& streams = w.session()->streams();
    QCOMPARE(streams.size(), size_t(2));
    QCOMPARE(streams[0].name, std::string("voice"));
    QCOMPARE(streams[1].name, std::string("camera"));
    QVERIFY(streams[1].video);
    QVERIFY(!w.session()->decision_names().empty());
    QCOMPARE(w.session()->decision_names().front(), std::string("word.yes"));
    run_to_end(w);
    QVERIFY2(w.session()->error().empty(), w.session()->error().c_str());
    QCOMPARE(w.streams_table()->rowCount(), 2);
    QVERIFY(w.session()->live(0).samples.load() > 120);  // both voice pads' frames (~98 each) in one row
    for (int row = 0; row < 2; ++row) QVERIFY(w.neuron_view()->history(row)->size() > 0);
    QVERIFY(w.decision_view()->count() > 0);
    const QString now = w.decision_view()->current_text();
    QVERIFY2(now.contains("word") && now.contains("scene"), qPrintable(now));
  }

  // Record on a pipeline: the neuron states of every decision from then on go to an LQTRACE1 file,
  // which then replays in the window with as many records.
  void records_a_pipeline_and_replays_it() {
    const QString recorded = path("pipeline.lqtrace");
    size_t decisions = 0;
    {
      MainWindow w;
      QVERIFY(w.open_file(audio(make_model("kws40.safetensors", 40))));
      QVERIFY2(w.record(recorded), qPrintable(w.message()));
      // Prerolling made the first input buffer's decisions before the recording began.
      const size_t before = w.session()->processed();
      run_to_end(w);
      decisions = w.decision_view()->count() - before;
      QVERIFY(decisions >= 150);
      QVERIFY(w.record({}));
    }
    MainWindow w;
    w.show();
    QVERIFY2(w.open_file(recorded), qPrintable(w.message()));
    QVERIFY(w.session()->is_trace_file());
    QVERIFY(w.session()->streams()[0].name.rfind("liquidcell", 0) == 0);  // the cell's element name
    w.set_speed(0);
    run_to_end(w);
    QCOMPARE(w.neuron_view()->history(0)->size(), decisions);
    QCOMPARE(w.neuron_view()->history(0)->values(0).size(), size_t(8));
  }

  void opens_a_gst_file() {
    const std::string model = make_model("kws40.safetensors", 40);
    std::ofstream(path("audio.gst").toStdString())
        << "# a copied command line\ngst-launch-1.0 -m audiotestsrc num-buffers=5 samplesperbuffer=1600 ! \\\n"
        << "  audio/x-raw,rate=16000 ! liquidaudiofeatures ! liquidcell model=" << model << " ! fakesink\n";
    MainWindow w;
    QVERIFY2(w.open_file(path("audio.gst")), qPrintable(w.message()));
    QCOMPARE(w.session()->title(), std::string("audio.gst"));
    run_to_end(w);
    QVERIFY(w.decision_view()->count() > 0);
  }

  // An ERROR while playing (identity fails at its 10th buffer) ends the session with its message.
  void an_error_while_playing_is_shown() {
    MainWindow w;
    const std::string model = make_model("kws40.safetensors", 40);
    QVERIFY2(w.open_file(QString::fromStdString("audiotestsrc num-buffers=20 samplesperbuffer=1600 ! "
                                                "audio/x-raw,rate=16000 ! identity error-after=10 ! liquidaudiofeatures ! "
                                                "liquidcell model=" + model + " ! fakesink")),
             qPrintable(w.message()));
    run_to_end(w);
    QVERIFY2(w.message().contains("The stream stopped") && w.message().contains("identity0"), qPrintable(w.message()));
    QVERIFY(w.decision_view()->count() > 0);  // what came before the error is kept
  }

  void bad_descriptions_show_a_message_and_keep_running() {
    MainWindow w;
    QVERIFY(w.open_file(audio(make_model("kws40.safetensors", 40))));
    liquid::gui::Session* running = w.session();

    QVERIFY(!w.open_file("audiotestsrc ! liquidcel model=m.safetensors ! fakesink"));
    QVERIFY2(w.message().contains("no element \"liquidcel\""), qPrintable(w.message()));
    QCOMPARE(w.session(), running);

    QVERIFY(!w.open_file(audio(path("missing.safetensors").toStdString())));
    QVERIFY2(w.message().contains("missing.safetensors") && w.message().contains("does not exist"), qPrintable(w.message()));

    QVERIFY(!w.open_file(audio(make_model("four.safetensors", 4))));  // 40 log-mel bands, 4 inputs
    QVERIFY2(w.message().contains("40 wide") && w.message().contains("takes 4 inputs"), qPrintable(w.message()));

    QVERIFY(!w.open_file("audiotestsrc num-buffers=1 ! fakesink"));
    QVERIFY2(w.message().contains("no liquidcell"), qPrintable(w.message()));

    QCOMPARE(w.session(), running);
    run_to_end(w);  // the first session still works
    QVERIFY(w.decision_view()->count() >= 150);
  }
};

QTEST_MAIN(PipelineTest)
#include "pipeline_test.moc"
