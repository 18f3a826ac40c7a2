// MainWindow (main_window.h).
#include "gui/main_window.h"

#include <QComboBox>
#include <QFileDialog>
#include <QImage>
#include <QInputDialog>
#include <QLabel>
#include <QPainter>
#include <QPixmap>
#include <QSplitter>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <cmath>
#include <opencv2/core.hpp>

#include "gui/decision_view.h"
#include "gui/neuron_view.h"
#include "gui/session.h"
#include "gui/streams_table.h"
#include "gui/wiring_view.h"

namespace liquid::gui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle("liquid dashboard");
  QToolBar* bar = addToolBar("controls");
  bar->setMovable(false);
  bar->addAction("Open…", this, &MainWindow::choose_file);
  bar->addSeparator();
  bar->addAction("Start", this, &MainWindow::start);
  bar->addAction("Pause", this, &MainWindow::pause);
  step_ = bar->addAction("Step", this, &MainWindow::step);
  bar->addSeparator();
  bar->addWidget(new QLabel(" replay speed ", bar));
  speed_ = new QComboBox(bar);
  for (double s : {0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0}) speed_->addItem(QString("%1x").arg(s), s);
  speed_->addItem("max", 0.0);
  speed_->setCurrentIndex(1);
  bar->addWidget(speed_);
  bar->addSeparator();
  bar->addAction("Model…", this, &MainWindow::choose_model);
  record_ = bar->addAction("Record…", this, &MainWindow::toggle_record);
  connect(speed_, &QComboBox::activated, this, [this](int i) {
    if (session_) session_->set_speed(speed_->itemData(i).toDouble());
  });

  auto* central = new QWidget(this);
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(4, 4, 4, 4);
  message_ = new QLabel(central);
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  message_->hide();
  layout->addWidget(message_);
  auto* rows = new QSplitter(Qt::Vertical, central);
  auto* top = new QSplitter(Qt::Horizontal, rows);
  auto* left = new QSplitter(Qt::Vertical, top);
  table_ = new StreamsTable(left);
  preview_ = new QLabel(left);
  preview_->setAlignment(Qt::AlignCenter);
  preview_->setMinimumHeight(90);
  preview_->setStyleSheet("background: #111; color: #ddd;");
  preview_->hide();
  decisions_ = new DecisionView(top);
  auto* bottom = new QSplitter(Qt::Horizontal, rows);
  neurons_ = new NeuronView(bottom);
  wiring_ = new WiringView(bottom);
  top->setSizes({560, 720});
  bottom->setSizes({720, 560});
  left->setSizes({170, 150});
  rows->setSizes({340, 460});
  layout->addWidget(rows, 1);
  setCentralWidget(central);
  status_ = new QLabel("Open a stream configuration (.json), a GStreamer pipeline (.gst) or a trace file (LQTRACE1).", this);
  statusBar()->addWidget(status_, 1);
  decisions_->reset({}, true, "no session");
  wiring_->set_stream(nullptr);

  connect(wiring_, &WiringView::neuron_clicked, neurons_, &NeuronView::select_neuron);
  connect(neurons_, &NeuronView::stream_changed, this, [this](int s) {
    wiring_->set_stream(session_ && s >= 0 ? &session_->streams()[s] : nullptr);
    wiring_->set_activations(neurons_->latest());
  });
  timer_ = new QTimer(this);
  timer_->setInterval(33);  // ~30 frames per second at most
  connect(timer_, &QTimer::timeout, this, [this] { poll(false); });
  timer_->start();
}

MainWindow::~MainWindow() = default;

void MainWindow::show_message(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? "background: #fde2e1; color: #8a1c1c; padding: 6px; border: 1px solid #e0a0a0;"
                                : "background: #e8f0fe; color: #1a3a6b; padding: 6px;");
  message_->setVisible(!text.isEmpty());
}

QString MainWindow::message() const { return message_->isHidden() ? QString() : message_->text(); }

void MainWindow::choose_file() {
  const QString path = QFileDialog::getOpenFileName(this, "Open a stream configuration, a pipeline or a trace", {},
                                                    "Dashboard files (*.json *.gst *.pipeline *.lqtrace *.bin);;All files (*)");
  if (!path.isEmpty()) open_file(path);
}

bool MainWindow::open_file(const QString& path, const std::vector<std::string>& models) {
  std::unique_ptr<Session> next;
  try {
    next = Session::open(path.toStdString(), models);
  } catch (const std::exception& e) {
    show_message("Could not open " + path + ":\n" + QString::fromStdString(e.what()), true);
    return false;
  }
  session_ = std::move(next);  // the old session's worker stops here (and its recording ends)
  overrides_ = models;
  recording_ = false;
  record_->setText("Record…");
  trace_next_ = decision_next_ = missed_ = 0;
  reported_error_ = false;
  show_message({}, false);
  setWindowTitle("liquid dashboard — " + QString::fromStdString(session_->title()));
  table_->set_session(session_.get());
  if (session_->decisions()) decisions_->reset(session_->decision_names(), session_->decisions_are_classes());
  else decisions_->reset({}, true, "no decisions in a trace file");
  neurons_->reset(session_->streams());
  bool video = false;
  for (const StreamInfo& info : session_->streams()) video = video || info.video;
  preview_->setVisible(video);
  preview_->clear();
  preview_->setText("camera: no frame yet");
  show_speed(session_->speed());
  speed_->setEnabled(session_->paced());  // a GStreamer pipeline sets its own pace
  step_->setEnabled(session_->paced());
  poll();
  return true;
}

void MainWindow::choose_model() {
  if (!session_ || session_->models().empty()) {
    show_message("Open a stream configuration first: its \"models\" are what can be replaced.", true);
    return;
  }
  QStringList names;
  for (const auto& [name, file] : session_->models())
    names << QString::fromStdString(name) + "  (" + QString::fromStdString(file.filename().string()) + ")";
  bool ok = false;
  const QString chosen = QInputDialog::getItem(this, "Choose a model", "Replace the model", names, 0, false, &ok);
  if (!ok) return;
  const std::string name = session_->models()[names.indexOf(chosen)].first;
  const QString file = QFileDialog::getOpenFileName(this, "Model file for " + QString::fromStdString(name), {},
                                                    "Model files (*.safetensors);;All files (*)");
  if (file.isEmpty()) return;
  std::vector<std::string> models = overrides_;
  models.push_back(name + "=" + file.toStdString());
  open_file(QString::fromStdString(session_->path().string()), models);
}

bool MainWindow::record(const QString& path) {
  if (!session_) return false;
  try {
    if (path.isEmpty()) {
      session_->set_recorder(nullptr);
      recording_ = false;
      record_->setText("Record…");
      show_message({}, false);
      return true;
    }
    session_->set_recorder(std::make_shared<pipeline::BinaryTraceWriter>(path.toStdString(), session_->layout()));
  } catch (const std::exception& e) {
    show_message("Could not record: " + QString::fromStdString(e.what()), true);
    return false;
  }
  recording_ = true;
  record_->setText("Stop recording");
  show_message("Recording the neuron trace into " + path + " (open it here to replay it)", false);
  return true;
}

void MainWindow::toggle_record() {
  if (recording_) {
    record({});
    return;
  }
  const QString path = QFileDialog::getSaveFileName(this, "Record the neuron trace", "trace.lqtrace",
                                                    "Trace files (*.lqtrace);;All files (*)");
  if (!path.isEmpty()) record(path);
}

void MainWindow::update_preview() {
  if (!preview_->isVisible()) return;
  // The camera shown: the stream picked in the neuron view if it is a video, else the first video.
  int stream = neurons_->stream();
  const auto& streams = session_->streams();
  if (stream < 0 || stream >= static_cast<int>(streams.size()) || !streams[stream].video) {
    stream = -1;
    for (size_t s = 0; s < streams.size() && stream < 0; ++s)
      if (streams[s].video) stream = static_cast<int>(s);
  }
  cv::Mat frame;
  double time = 0.0;
  if (stream < 0 || !session_->latest_frame(stream, frame, time) || frame.type() != CV_8UC3) return;
  QImage image(frame.data, frame.cols, frame.rows, static_cast<qsizetype>(frame.step), QImage::Format_BGR888);
  QPixmap pixmap = QPixmap::fromImage(image).scaled(preview_->size() - QSize(4, 4), Qt::KeepAspectRatio, Qt::SmoothTransformation);
  QPainter painter(&pixmap);
  const QString overlay = decisions_->head_for_stream(streams[stream].name);
  const QString caption = QString::fromStdString(streams[stream].name) + QString("  t = %1").arg(time, 0, 'f', 2);
  QFont font = painter.font();
  font.setBold(true);
  painter.setFont(font);
  const QRect band(0, pixmap.height() - 2 * painter.fontMetrics().height() - 6, pixmap.width(), 2 * painter.fontMetrics().height() + 6);
  painter.fillRect(band, QColor(0, 0, 0, 150));
  painter.setPen(Qt::white);
  painter.drawText(band.adjusted(4, 2, -4, -2), Qt::AlignLeft | Qt::AlignTop, caption);
  painter.setPen(overlay.contains(": on") ? QColor("#ff6b5b") : QColor("#9be79b"));
  painter.drawText(band.adjusted(4, 2, -4, -2), Qt::AlignLeft | Qt::AlignBottom, overlay.isEmpty() ? "no decision yet" : overlay);
  painter.end();
  preview_->setPixmap(pixmap);
}

void MainWindow::start() {
  if (session_) session_->start();
}
void MainWindow::pause() {
  if (session_) session_->pause();
}
void MainWindow::step() {
  if (session_) session_->step();
}
void MainWindow::set_speed(double speed) {
  if (!session_) return;
  session_->set_speed(speed);
  show_speed(session_->speed());
}

void MainWindow::show_speed(double speed) {
  for (int i = 0; i < speed_->count(); ++i)
    if (std::abs(speed_->itemData(i).toDouble() - speed) < 1e-9) speed_->setCurrentIndex(i);
  if (std::abs(speed_->itemData(speed_->currentIndex()).toDouble() - speed) > 1e-9) {
    speed_->addItem(QString("%1x").arg(speed), speed);
    speed_->setCurrentIndex(speed_->count() - 1);
  }
}

void MainWindow::poll(bool force) {
  if (!session_) return;
  session_->poll_events();
  // Neuron traces only while the window is shown: hidden, it copies none of them (the engine's
  // ring just moves on), and on showing again it starts with the records that come next.
  const pipeline::TraceRing& traces = session_->traces();
  if (!isVisible()) {
    trace_next_ = traces.written();
  } else {
    missed_ += drain(traces, trace_next_, buffer_, [this](const pipeline::TraceRecord& r) {
      neurons_->add(r.stream, r.time, r.values);
    });
  }
  if (const pipeline::TraceRing* ring = session_->decisions()) {
    drain(*ring, decision_next_, buffer_, [this](const pipeline::TraceRecord& r) {
      decisions_->add(r.time, r.stream, r.values);
    });
    std::vector<Session::Explanation> explanations;
    session_->take_explanations(explanations);
    for (const auto& e : explanations) decisions_->add_explanation(e.time, e.json);
  }
  // Redraw only what is visible: a hidden window costs the engine nothing and the GUI little.
  const bool due = force || !since_redraw_.isValid() || since_redraw_.elapsed() >= redraw_gap_ms_;
  if (isVisible() && due) {
    QElapsedTimer cost;
    cost.start();
    table_->refresh();
    decisions_->redraw();
    neurons_->redraw();
    wiring_->set_activations(neurons_->latest());
    update_preview();
    repaint();  // paint now, inside the measured time, rather than later in the event loop
    redraw_gap_ms_ = 4 * cost.elapsed();
    since_redraw_.start();
  }
  const std::string error = session_->error();
  if (!error.empty() && !reported_error_) {
    reported_error_ = true;
    show_message("The stream stopped: " + QString::fromStdString(error), true);
  }
  const char* state = session_->finished() ? (error.empty() ? "finished" : "stopped")
                                           : session_->running() ? "running" : "paused";
  status_->setText(QString("%1 — %2, %3 samples processed%4")
                       .arg(QString::fromStdString(session_->title()))
                       .arg(state)
                       .arg(session_->processed())
                       .arg(missed_ ? QString(", %1 trace records skipped by the GUI (the engine ran ahead)").arg(missed_)
                                    : QString()));
}

}  // namespace liquid::gui
