// MainWindow: liquid-dashboard's window. A toolbar (open, start, pause, step, replay speed, model,
// record), a message bar for bad input, and the views: streams (with a video preview and the
// decision overlaid when a stream is a camera), decisions, neuron traces, wiring. A 30 fps
// QTimer drains the session's rings into the views; the window never calls into the engine, so a
// slow redraw only makes the GUI skip records (counted in the status bar), never the engine wait.
#pragma once

#include <QElapsedTimer>
#include <QMainWindow>
#include <memory>
#include <vector>

#include "pipeline/trace.h"

class QAction;
class QComboBox;
class QLabel;
class QTimer;

namespace liquid::gui {

class DecisionView;
class NeuronView;
class Session;
class StreamsTable;
class WiringView;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Opens a stream configuration, a trace file or a pipeline description (the text itself, or a
  // *.gst / *.pipeline file; Session::open). On failure the message bar says why, the
  // current session (if any) keeps running, and false is returned.
  // `models`: NAME=FILE replacements of the configuration's models (`liquid stream --model`).
  bool open_file(const QString& path, const std::vector<std::string>& models = {});
  // Records the engine's neuron trace (LQTRACE1, replayable here) into `path` from now on; an empty
  // path stops recording. False (and a message) for a trace-file session or a file that cannot open.
  bool record(const QString& path);
  bool recording() const { return recording_; }
  void start();
  void pause();
  void step();
  void set_speed(double speed);  // 0: as fast as possible

  // Reads everything new from the session and redraws. The timer passes force = false: then the
  // redraw waits until 4x its own last cost has passed, so drawing takes at most ~20 % of a core
  // that the engine may need (on a busy 2-core machine the GUI competes for CPU, not for locks).
  void poll(bool force = true);

  QString message() const;
  Session* session() const { return session_.get(); }
  DecisionView* decision_view() const { return decisions_; }
  NeuronView* neuron_view() const { return neurons_; }
  WiringView* wiring_view() const { return wiring_; }
  StreamsTable* streams_table() const { return table_; }
  QLabel* preview() const { return preview_; }
  uint64_t missed_records() const { return missed_; }

 private:
  void show_message(const QString& text, bool error);
  void choose_file();
  void choose_model();
  void toggle_record();
  void update_preview();
  void show_speed(double speed);  // the speed box shows `speed` (added if not listed)

  std::unique_ptr<Session> session_;
  uint64_t trace_next_ = 0, decision_next_ = 0, missed_ = 0;
  std::vector<pipeline::TraceRecord> buffer_;
  QTimer* timer_ = nullptr;
  QLabel* message_ = nullptr;
  QLabel* status_ = nullptr;
  QComboBox* speed_ = nullptr;
  QAction* record_ = nullptr;
  QAction* step_ = nullptr;
  QLabel* preview_ = nullptr;
  std::vector<std::string> overrides_;  // of the open session
  bool recording_ = false;
  StreamsTable* table_ = nullptr;
  DecisionView* decisions_ = nullptr;
  NeuronView* neurons_ = nullptr;
  WiringView* wiring_ = nullptr;
  bool reported_error_ = false;
  QElapsedTimer since_redraw_;
  qint64 redraw_gap_ms_ = 0;
};

}  // namespace liquid::gui
