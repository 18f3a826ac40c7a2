// liquid-dashboard: watch a liquid network decide, live. Opens a `liquid stream` configuration
// (.json, pipeline/stream_config.h), a gst-launch pipeline description with the liquid elements (the
// text itself, or a .gst / .pipeline file) or a recorded trace file (LQTRACE1) given on the command
// line or with Open….
//   liquid-dashboard [FILE] [--start] [--speed X] [--model NAME=FILE]... [--screenshot OUT.png --after SECONDS]
// --screenshot grabs the window to a PNG after SECONDS and quits (scripts/screenshot.sh).
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <cstdio>

#include "gui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("liquid-dashboard");
  QCommandLineParser parser;
  parser.setApplicationDescription("Live view of liquid's streaming engine: decisions, neuron traces, wiring.");
  parser.addHelpOption();
  parser.addPositionalArgument("file", "`liquid stream` configuration (.json), trace file (LQTRACE1), or a GStreamer "
                                       "pipeline: a .gst file or the description itself, \"... ! liquidcell model=M ! fakesink\"");
  parser.addOption({"model", "use this model file instead: NAME=FILE (NAME a key of \"models\"; repeatable)", "name=file"});
  parser.addOption({"start", "start replaying at once"});
  parser.addOption({"speed", "replay speed (0: as fast as possible)", "x"});
  parser.addOption({"screenshot", "save the window as a PNG and quit", "png"});
  parser.addOption({"after", "seconds before the screenshot (default 5)", "seconds", "5"});
  parser.addOption({"size", "window size WxH (default 1280x820)", "size", "1280x820"});
  parser.process(app);

  liquid::gui::MainWindow window;
  const QStringList size = parser.value("size").split('x');
  window.resize(size.value(0).toInt() > 0 ? size.value(0).toInt() : 1280, size.value(1).toInt() > 0 ? size.value(1).toInt() : 820);
  window.show();
  if (!parser.positionalArguments().isEmpty()) {
    std::vector<std::string> models;
    for (const QString& m : parser.values("model")) models.push_back(m.toStdString());
    window.open_file(parser.positionalArguments().first(), models);  // a failure is shown in the window
    if (parser.isSet("speed")) window.set_speed(parser.value("speed").toDouble());
    if (parser.isSet("start")) window.start();
  }
  if (parser.isSet("screenshot")) {
    const QString out = parser.value("screenshot");
    QTimer::singleShot(static_cast<int>(parser.value("after").toDouble() * 1000), &window, [&window, out] {
      window.poll();
      const bool ok = window.grab().save(out);
      std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "saved" : "could not save", out.toLocal8Bit().constData());
      QApplication::exit(ok ? 0 : 1);
    });
  }
  return app.exec();
}
