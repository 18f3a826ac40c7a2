// smart_home_report: the figures of the smart-home demo, from what `liquid stream
// samples/smart-home/config.json` decided (its JSON lines) against the truths it never saw: the
// room log's occupancy labels and the command track's spoken digits. Prints
//   occupancy  accuracy per room reading, beside two baselines: always the majority class, and a
//              light threshold fitted on the training file (datatraining.txt);
//   commands   clips whose digit was heard right, wrong, or not committed (below the threshold);
//   lights     every change with its reason;
// and draws the timeline (--png). With --min-occupancy / --min-commands it exits 1 when a figure is
// under its floor (the CI test). The decisions' format: pipeline/multi_head.h.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "pipeline/source_adapters.h"
#include "plot/figure.h"
#include "sensors/csv_series.h"

namespace {

struct Options {
  std::string decisions = "out/smart-home/decisions.jsonl";
  std::string room = "samples/data/series/occupancy/datatest.txt";
  std::string training = "samples/data/series/occupancy/datatraining.txt";
  std::string commands = "samples/smart-home/commands.csv";
  std::string png;
  std::string room_stream = "room", occupancy_head = "occupancy", command_head = "command", motion_head = "motion",
              rule = "lights";
  double min_occupancy = 0.0, min_commands = 0.0;
};

struct Room {
  std::vector<double> t;
  std::vector<float> light;
  std::vector<int> occupied;
};

Room read_room(const std::string& path) {
  liquid::sensors::CsvOptions o;
  o.time_column = liquid::sensors::CsvColumn("date");
  o.value_columns = {liquid::sensors::CsvColumn("Light"), liquid::sensors::CsvColumn("Occupancy")};
  const auto s = liquid::sensors::read_csv_series(path, o);
  Room r;
  r.t = s.times;
  for (size_t k = 0; k < s.rows(); ++k) {
    r.light.push_back(s.row(k)[0]);
    r.occupied.push_back(s.row(k)[1] > 0.5f ? 1 : 0);
  }
  return r;
}

// The light level that best separates the training file's labels (occupied above it).
float fit_light_threshold(const Room& train, double* train_accuracy) {
  std::vector<float> cuts = train.light;
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  float best = 0.0f;
  size_t best_ok = 0;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    const float cut = 0.5f * (cuts[k] + cuts[k + 1]);
    size_t ok = 0;
    for (size_t i = 0; i < train.light.size(); ++i) ok += (train.light[i] > cut) == (train.occupied[i] == 1);
    if (ok > best_ok) best_ok = ok, best = cut;
  }
  *train_accuracy = static_cast<double>(best_ok) / static_cast<double>(train.light.size());
  return best;
}

double hours(double t, double t0) { return (t - t0) / 3600.0; }

int run(const Options& opt) {
  const Room room = read_room(opt.room);
  std::map<double, size_t> reading;  // time -> row
  for (size_t k = 0; k < room.t.size(); ++k) reading[room.t[k]] = k;
  const auto clips = liquid::pipeline::read_clip_schedule(opt.commands);

  std::ifstream in(opt.decisions);
  if (!in) throw std::runtime_error(opt.decisions + ": cannot open (run liquid stream first)");
  size_t decided = 0, correct = 0, lines = 0;
  std::vector<double> occ_t, occ_p, label_t, label_y, light_t, light_y, motion_t, motion_y;
  struct Heard {
    double at, decided, p;
    std::string value, best;
  };
  std::vector<Heard> heard;
  std::vector<std::string> light_log;
  bool has_commands = false;
  std::string line;
  while (std::getline(in, line)) {
    ++lines;
    const auto d = nlohmann::json::parse(line);
    const double t = d.at("time").get<double>();
    const auto& e = d.at("explanation");
    const auto& heads = e.at("heads");
    if (e.at("trigger").is_string() && e.at("trigger").get<std::string>() == opt.room_stream) {
      const auto it = reading.find(t);
      if (it == reading.end()) throw std::runtime_error(opt.decisions + ":" + std::to_string(lines) + ": no room reading at t=" + std::to_string(t));
      const auto& h = heads.at(opt.occupancy_head);
      const std::string v = h.at("value").get<std::string>();
      ++decided;
      correct += (v == "occupied" || v == "1") == (room.occupied[it->second] == 1);
      occ_t.push_back(t);
      occ_p.push_back(d.at("values").value(opt.occupancy_head + ".occupied", d.at("values").value(opt.occupancy_head + ".1", 0.0)));
    }
    has_commands = has_commands || heads.contains(opt.command_head);
    if (const auto c = heads.value(opt.command_head, nlohmann::json::object()); c.value("heard", false))
      heard.push_back({c.at("at").get<double>(), t, c.at("p").get<double>(), c.at("value").get<std::string>(), c.at("best").get<std::string>()});
    if (heads.contains(opt.motion_head) && heads.at(opt.motion_head).contains("p")) {
      motion_t.push_back(t);
      motion_y.push_back(heads.at(opt.motion_head).at("p").get<double>());
    }
    if (!e.contains("rules") || !e.at("rules").contains(opt.rule)) continue;
    const auto& r = e.at("rules").at(opt.rule);
    const double on = r.at("on").get<bool>() ? 1.0 : 0.0;
    if (light_y.empty() || light_y.back() != on) {
      if (!light_y.empty()) light_t.push_back(t), light_y.push_back(light_y.back());  // a step, not a ramp
      light_t.push_back(t);
      light_y.push_back(on);
    }
    if (r.at("fired").get<bool>()) {
      char text[200];
      std::snprintf(text, sizeof text, "  %8.3f h  %-3s  by %s", hours(t, room.t.front()), on ? "on" : "off",
                    r.at("by").get<std::string>().c_str());
      light_log.push_back(text);
    }
  }
  if (decided == 0) throw std::runtime_error(opt.decisions + ": no decision was triggered by stream '" + opt.room_stream + "'");

  // Baselines on the same readings.
  size_t occupied = 0;
  for (int y : room.occupied) occupied += y;
  const size_t n = room.occupied.size();
  const double majority = static_cast<double>(std::max(occupied, n - occupied)) / static_cast<double>(n);
  double train_acc = 0.0;
  const float cut = fit_light_threshold(read_room(opt.training), &train_acc);
  size_t light_ok = 0;
  for (size_t k = 0; k < n; ++k) light_ok += (room.light[k] > cut) == (room.occupied[k] == 1);
  const double accuracy = static_cast<double>(correct) / static_cast<double>(decided);

  std::printf("occupancy, per room reading (%zu of %zu readings decided), against datatest.txt's labels:\n", decided, n);
  std::printf("  liquid (room CfC, streamed)        %6.2f %%  (%zu / %zu)\n", 100.0 * accuracy, correct, decided);
  std::printf("  always the majority class          %6.2f %%\n", 100.0 * majority);
  std::printf("  light > %5.1f lux (training fit)    %6.2f %%  (on the training file %.2f %%)\n", cut, 100.0 * light_ok / n, 100.0 * train_acc);
  std::printf("  LTC paper (windowed test)          %6.2f %%\n", 94.63);

  // Commands: clips in order, matched to the commits in order (a clip gives at most one commit).
  size_t right = 0, wrong = 0, unsure = 0, k = 0;
  if (has_commands) std::printf("commands (%zu spoken digits, FSDD test split):\n", clips.size());
  for (const auto& clip : clips) {
    if (!has_commands) break;
    while (k < heard.size() && heard[k].at < clip.time) ++k;
    if (k >= heard.size() || heard[k].at > clip.time + 5.0) {
      std::printf("  %8.3f h  said %s  not heard\n", hours(clip.time, room.t.front()), clip.label.c_str());
      ++unsure;
      continue;
    }
    const Heard& h = heard[k++];
    const bool ok = h.value == clip.label;
    right += ok;
    if (h.value == "none") ++unsure;
    else if (!ok) ++wrong;
    if (!ok)
      std::printf("  %8.3f h  said %s  heard %s (best %s, p %.2f)\n", hours(clip.time, room.t.front()), clip.label.c_str(),
                  h.value.c_str(), h.best.c_str(), h.p);
  }
  const double command_rate = static_cast<double>(right) / static_cast<double>(clips.size());
  double delay = 0.0;
  for (const auto& h : heard) delay = std::max(delay, h.decided - h.at);
  if (has_commands)
    std::printf("  heard right %zu / %zu (%.1f %%), wrong %zu, below the threshold %zu; committed at most %.2f s after the word\n",
              right, clips.size(), 100.0 * command_rate, wrong, unsure, delay);
  if (!light_y.empty()) std::printf("lights (%zu changes):\n", light_log.size());
  for (const auto& l : light_log) std::printf("%s\n", l.c_str());

  if (!opt.png.empty()) {
    const double t0 = room.t.front();
    liquid::plot::Figure fig(1400, 1000, 3, 1);
    fig.set_title("smart home: room sensors + spoken commands + camera, fused by liquid");
    auto& a = fig.axes(0);
    std::vector<double> x, y;
    for (size_t i = 0; i < occ_t.size(); ++i) x.push_back(hours(occ_t[i], t0)), y.push_back(occ_p[i]);
    std::vector<double> lx, ly;
    for (size_t i = 0; i < n; ++i) lx.push_back(hours(room.t[i], t0)), ly.push_back(room.occupied[i]);
    a.set_title("occupancy: " + std::to_string(static_cast<int>(std::round(1000 * accuracy)) / 10.0).substr(0, 4) +
                " % per reading (majority class " + std::to_string(majority * 100).substr(0, 4) + " %)");
    a.line(lx, ly, "label (occupied)").dashed = true;
    a.line(x, y, "P(occupied), room CfC");
    a.set_y_limits(-0.05, 1.1).set_x_label("hours from 2015-02-02 14:19 UTC");
    auto& b = fig.axes(1);
    std::vector<double> sx, sy;
    for (size_t i = 0; i < light_t.size(); ++i) sx.push_back(hours(light_t[i], t0)), sy.push_back(light_y[i]);
    b.set_title("lights (rule) and the commands heard (digit at the word's time)");
    if (!sx.empty()) b.line(sx, sy, "lights on");
    std::vector<double> cx, cy;
    std::vector<std::string> labels;
    for (const auto& h : heard) {
      cx.push_back(hours(h.at, t0));
      cy.push_back(h.value == "1" ? 1.05 : h.value == "0" ? -0.05 : 0.5);
      labels.push_back(h.value);
    }
    if (!cx.empty()) b.scatter(cx, cy, "command heard", labels);
    b.set_y_limits(-0.2, 1.25).set_x_label("hours");
    auto& c = fig.axes(2);
    if (!motion_t.empty()) {
      std::vector<double> mx, my;
      for (size_t i = 0; i < motion_t.size(); ++i) mx.push_back(motion_t[i] - motion_t.front()), my.push_back(motion_y[i]);
      c.line(mx, my, "motion neuron (LTC, 1 unit)");
      c.hline(0.5, "threshold");
      c.set_title("camera: motion level over its 40 s (vtest.avi at " + std::to_string(hours(motion_t.front(), t0)).substr(0, 5) + " h)");
      c.set_x_label("seconds").set_y_limits(-0.05, 1.1);
    }
    fig.save_png(opt.png);
    std::printf("timeline: %s\n", opt.png.c_str());
  }

  bool pass = true;
  if (accuracy < opt.min_occupancy) {
    std::printf("FAIL: occupancy accuracy %.4f under the floor %.4f\n", accuracy, opt.min_occupancy);
    pass = false;
  }
  if (command_rate < opt.min_commands) {
    std::printf("FAIL: commands heard right %.4f under the floor %.4f\n", command_rate, opt.min_commands);
    pass = false;
  }
  return pass ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Figures and timeline of the smart-home demo (samples/smart-home/README.md)"};
  app.add_option("--decisions", opt.decisions, "JSON lines written by liquid stream")->capture_default_str();
  app.add_option("--room", opt.room, "Room log with the Occupancy labels")->capture_default_str();
  app.add_option("--training", opt.training, "Training room log (fits the light-threshold baseline)")->capture_default_str();
  app.add_option("--commands", opt.commands, "Command schedule time,path,label (the truth)")->capture_default_str();
  app.add_option("--png", opt.png, "Write the timeline picture here");
  app.add_option("--min-occupancy", opt.min_occupancy, "Exit 1 if the occupancy accuracy (0..1) is lower")->capture_default_str();
  app.add_option("--min-commands", opt.min_commands, "Exit 1 if the share of commands heard right (0..1) is lower")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smart_home_report: %s\n", e.what());
    return 2;
  }
}
