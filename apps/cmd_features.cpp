// liquid features SOURCE: the timed feature vectors an encoder makes of a source, so a user can see
// what a model sees. Audio files (log-mel or MFCC, optional deltas), video files (grey grid, motion,
// optical flow) and CSV series (normalised values, masks, time since last observation). Writes CSV
// (time,name1,...) to standard output or --out, and with --plot a PNG: a heat map over time for
// audio and video, a line plot for a series.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "encoders/audio_features.h"
#include "encoders/series_features.h"
#include "encoders/video_features.h"
#include "plot/charts.h"
#include "sensors/audio_file.h"
#include "sensors/csv_series.h"
#include "sensors/video_source.h"

namespace liquid::apps {

namespace {

struct Options {
  std::string source, kind_of_source, out, plot;
  // audio
  std::string kind = "logmel";
  int bands = 40, mfcc = 13, deltas = 0;
  double window = 0.025, hop = 0.010;
  // video
  std::string grid = "8x6";
  bool grey = false, motion = false, flow = false;
  // series
  std::string time_column, columns, on_time_reversal = "error";
  bool masks = false, since = false, normalize = false;
};

struct Features {
  std::string description;
  std::vector<std::string> names;
  std::vector<encoders::FeatureFrame> frames;
};

std::string source_kind(const Options& opt) {
  if (!opt.kind_of_source.empty()) return opt.kind_of_source;
  std::string ext = std::filesystem::path(opt.source).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* e : {".wav", ".flac", ".ogg", ".aiff", ".aif", ".au", ".w64"})
    if (ext == e) return "audio";
  for (const char* e : {".avi", ".mp4", ".mkv", ".mov", ".webm", ".mpg", ".mpeg"})
    if (ext == e) return "video";
  for (const char* e : {".csv", ".txt", ".data", ".tsv"})
    if (ext == e) return "series";
  throw std::runtime_error(opt.source + ": cannot tell the source kind from the extension '" + ext +
                           "'; give --kind-of-source audio, video or series");
}

Features audio_features(const Options& opt) {
  sensors::AudioFileSource source(opt.source);
  encoders::AudioFeatureConfig config;
  config.sample_rate = source.info().sample_rate;
  config.window_seconds = opt.window;
  config.hop_seconds = opt.hop;
  config.kind = opt.kind == "mfcc" ? encoders::AudioFeatureKind::kMfcc : encoders::AudioFeatureKind::kLogMel;
  config.n_mels = opt.bands;
  config.n_mfcc = opt.mfcc;
  config.delta_order = opt.deltas;
  encoders::AudioFeatureEncoder encoder(config);  // throws naming the field of a bad option
  Features f{source.describe(), encoder.names(), {}};
  sensors::TimedSample sample;
  while (source.next(sample)) encoder.encode(sample, f.frames);
  encoder.flush(f.frames);
  return f;
}

Features video_features(const Options& opt) {
  encoders::VideoFeaturesOptions vo;
  const auto x = opt.grid.find('x');
  const auto parse = [&](std::string_view text, int& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() && value > 0;
  };
  if (x == std::string::npos || !parse(std::string_view(opt.grid).substr(0, x), vo.grid_cols) ||
      !parse(std::string_view(opt.grid).substr(x + 1), vo.grid_rows))
    throw std::runtime_error("--grid '" + opt.grid + "': expected COLUMNSxROWS, e.g. 8x6");
  if (opt.grey || opt.motion || opt.flow) {  // chosen parts only; none chosen: the encoder's defaults
    vo.grey = opt.grey;
    vo.motion = vo.motion_mean = opt.motion;
    vo.flow = opt.flow;
  }
  encoders::VideoFeatures encoder(vo);
  sensors::VideoSource source = sensors::VideoSource::open_file(opt.source);
  Features f{source.describe(), encoder.names(), {}};
  sensors::TimedSample sample;
  while (source.next(sample)) encoder.encode(sample, f.frames);
  return f;
}

Features series_features(const Options& opt) {
  sensors::CsvOptions co;
  if (!opt.time_column.empty()) {
    int number = 0;
    const auto [end, error] = std::from_chars(opt.time_column.data(), opt.time_column.data() + opt.time_column.size(), number);
    if (error == std::errc() && end == opt.time_column.data() + opt.time_column.size())
      co.time_column = sensors::CsvColumn(number);
    else
      co.time_column = sensors::CsvColumn(opt.time_column);
  }
  for (size_t start = 0; !opt.columns.empty() && start <= opt.columns.size();) {
    const size_t comma = std::min(opt.columns.find(',', start), opt.columns.size());
    co.value_columns.emplace_back(opt.columns.substr(start, comma - start));
    start = comma + 1;
  }
  co.backwards = opt.on_time_reversal == "drop" ? sensors::BackwardsTime::drop : sensors::BackwardsTime::error;
  const sensors::CsvSeries series = sensors::read_csv_series(opt.source, co);
  const encoders::SeriesNormalization normalization =
      opt.normalize ? encoders::fit_series_normalization(series) : encoders::SeriesNormalization{};
  encoders::SeriesFeatures encoder(series.columns, normalization, {.masks = opt.masks, .time_since = opt.since});
  Features f;
  f.description = opt.source + ": " + std::to_string(series.rows()) + " rows of " + std::to_string(series.width()) +
                  " columns" + (series.dropped_rows ? ", " + std::to_string(series.dropped_rows) + " dropped (time going back)" : "");
  f.names = encoder.names();
  f.frames.resize(series.rows());
  for (size_t r = 0; r < series.rows(); ++r) {
    f.frames[r].time = series.times[r];
    f.frames[r].values.resize(encoder.width());
    encoder.encode_row(series.times[r], series.row(r), series.row_present(r), f.frames[r].values.data());
  }
  return f;
}

void write_csv(const Features& f, FILE* out) {
  std::fputs("time", out);
  for (const std::string& name : f.names) std::fprintf(out, ",%s", name.c_str());
  std::fputc('\n', out);
  for (const encoders::FeatureFrame& frame : f.frames) {
    char time_text[32];  // shortest text that reads back as the same double
    *std::to_chars(time_text, time_text + sizeof time_text - 1, frame.time).ptr = '\0';
    std::fputs(time_text, out);
    for (float v : frame.values) std::fprintf(out, ",%.7g", v);
    std::fputc('\n', out);
  }
}

// Audio and video: a heat map, rows = the chosen features, columns = frames, x in seconds. Series:
// one line per value column against its real (irregular) times.
void write_plot(const Features& f, const std::string& kind, const Options& opt) {
  if (f.frames.empty()) throw std::runtime_error(opt.source + ": no feature frames to plot");
  const std::string title = std::filesystem::path(opt.source).filename().string();
  if (kind == "series") {
    plot::Figure figure(1200, 800);
    plot::Axes& axes = figure.axes();
    axes.set_title(title).set_x_label("time (s from the first row)").set_y_label(opt.normalize ? "z-score" : "value");
    const double t0 = f.frames.front().time;
    for (size_t k = 0; k < f.names.size(); ++k) {
      std::vector<double> x, y;
      for (const auto& frame : f.frames) x.push_back(frame.time - t0), y.push_back(frame.values[k]);
      axes.line(std::move(x), std::move(y), f.names[k]);
    }
    figure.save_png(opt.plot);
    return;
  }
  // Which rows: audio all features (static and deltas stacked); video the motion cells when there
  // are any, else flow or grey, so the picture shows what changes.
  std::vector<int> rows;
  std::string what = kind == "audio" ? (opt.kind == "mfcc" ? "MFCC" : "log-mel band") : "";
  if (kind == "video") {
    for (const char* prefix : {"motion_r", "flow_dx_r", "grey_r"}) {
      for (size_t k = 0; k < f.names.size(); ++k)
        if (f.names[k].rfind(prefix, 0) == 0) rows.push_back(static_cast<int>(k));
      if (!rows.empty()) {
        what = std::string(prefix).substr(0, std::string(prefix).size() - 2) + " per grid cell (row-major)";
        break;
      }
    }
  } else {
    for (size_t k = 0; k < f.names.size(); ++k) rows.push_back(static_cast<int>(k));
  }
  plot::HeatMap map;
  map.rows = static_cast<int>(rows.size());
  map.cols = static_cast<int>(f.frames.size());
  map.values.resize(static_cast<size_t>(map.rows) * map.cols);
  for (int r = 0; r < map.rows; ++r)
    for (int c = 0; c < map.cols; ++c) map.values[static_cast<size_t>(r) * map.cols + c] = f.frames[c].values[rows[r]];
  // Columns span first..last frame time plus one mean frame period (frames are taken as evenly spaced).
  const double t0 = f.frames.front().time, t1 = f.frames.back().time;
  const double period = map.cols > 1 ? (t1 - t0) / (map.cols - 1) : 0.01;
  map.x0 = t0 - period / 2, map.x1 = t1 + period / 2;
  map.y0 = 0, map.y1 = map.rows;
  map.colorbar_label = kind == "audio" ? (opt.kind == "mfcc" ? "coefficient" : "dB") : "value";
  plot::write_heatmap(opt.plot, std::move(map), {title, "time (s)", what, {}});
}

}  // namespace

Command add_features_command(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("features", "Print the timed feature vectors of an audio, video or CSV source");
  cmd->add_option("source", opt->source, "Audio file (.wav, .flac, ...), video file (.avi, .mp4, ...) or CSV series")
      ->required();
  cmd->add_option("--kind-of-source", opt->kind_of_source, "Override the kind read from the extension")
      ->check(CLI::IsMember({"audio", "video", "series"}));
  cmd->add_option("-o,--out", opt->out, "Write the CSV (time,name1,...) here instead of standard output");
  cmd->add_option("--plot", opt->plot, "Draw the features to this PNG (heat map over time, or series lines)");
  auto audio = "Audio";
  cmd->add_option("--kind", opt->kind, "Audio features")->check(CLI::IsMember({"logmel", "mfcc"}))->capture_default_str()->group(audio);
  cmd->add_option("--bands", opt->bands, "Mel bands")->capture_default_str()->group(audio);
  cmd->add_option("--mfcc", opt->mfcc, "MFCC coefficients kept (--kind mfcc)")->capture_default_str()->group(audio);
  cmd->add_option("--window", opt->window, "Analysis window, seconds")->capture_default_str()->group(audio);
  cmd->add_option("--hop", opt->hop, "Hop between frames, seconds")->capture_default_str()->group(audio);
  cmd->add_option("--deltas", opt->deltas, "0: none, 1: deltas, 2: deltas and delta-deltas")
      ->check(CLI::Range(0, 2))->capture_default_str()->group(audio);
  auto video = "Video";
  cmd->add_option("--grid", opt->grid, "Pooling grid, COLUMNSxROWS")->capture_default_str()->group(video);
  cmd->add_flag("--grey", opt->grey, "Grey level per cell (with none of --grey/--motion/--flow: grey and motion)")->group(video);
  cmd->add_flag("--motion", opt->motion, "Frame-difference motion per cell and over the frame")->group(video);
  cmd->add_flag("--flow", opt->flow, "Farneback optical flow per cell (pixels per second)")->group(video);
  auto series = "Series";
  cmd->add_option("--time-column", opt->time_column, "Time column, by name or number from 1 (default: the first)")->group(series);
  cmd->add_option("--columns", opt->columns, "Value columns, comma-separated names or numbers (default: all others)")->group(series);
  cmd->add_flag("--masks", opt->masks, "Add a 1/0 observed channel per column")->group(series);
  cmd->add_flag("--since", opt->since, "Add seconds since each column's last observation")->group(series);
  cmd->add_flag("--normalize", opt->normalize, "z-score each column with this file's own mean and std")->group(series);
  cmd->add_option("--on-time-reversal", opt->on_time_reversal, "A row whose time goes back: error, or drop it")
      ->check(CLI::IsMember({"error", "drop"}))->capture_default_str()->group(series);
  return [opt]() {
    if (!std::filesystem::is_regular_file(opt->source))
      throw std::runtime_error(opt->source + ": no such file");
    const std::string kind = source_kind(*opt);
    const Features f = kind == "audio" ? audio_features(*opt) : kind == "video" ? video_features(*opt) : series_features(*opt);
    if (!opt->out.empty()) {
      FILE* out = std::fopen(opt->out.c_str(), "w");
      if (!out) throw std::runtime_error(opt->out + ": cannot open for writing");
      write_csv(f, out);
      if (std::fclose(out) != 0) throw std::runtime_error(opt->out + ": write failed");
    }
    if (!opt->plot.empty()) write_plot(f, kind, *opt);
    if (opt->out.empty() && opt->plot.empty()) {
      write_csv(f, stdout);
    } else {
      std::printf("%s: %zu frames x %zu features%s%s\n", f.description.c_str(), f.frames.size(), f.names.size(),
                  opt->out.empty() ? "" : (", wrote " + opt->out).c_str(), opt->plot.empty() ? "" : (", drew " + opt->plot).c_str());
    }
    return 0;
  };
}

}  // namespace liquid::apps
