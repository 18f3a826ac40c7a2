// liquid run MODEL --input FILE.csv: one output row per input row, each sample stepping the model
// across the real time since the previous one.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "lfm/model.h"
#include "sensors/csv_series.h"

namespace liquid::apps {

Command add_run_command(CLI::App& app) {
  struct Options {
    std::string model, input, output;
    double t0 = 0.0;
    bool state = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model over a CSV of time,feature... rows (irregular times allowed)");
  cmd->add_option("model", opt->model, "Model file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-i,--input", opt->input, "CSV rows: time in seconds, then one column per model input; header optional")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", opt->output, "Output CSV (default: standard output)");
  cmd->add_option("--t0", opt->t0, "Time of the initial (zero) state; the first row steps from here")->capture_default_str();
  cmd->add_flag("--state", opt->state, "Also write the hidden state after each row (h1..hN)");
  return [opt]() {
    const lfm::Model model = lfm::Model::load(opt->model);
    if (opt->state && model.config().backbone())
      throw std::runtime_error(opt->model + ": --state writes a cell's hidden state; a backbone model's state is its "
                               "units' caches (conv windows, KV caches, liquid h), not one vector");
    const sensors::CsvSeries series = sensors::read_csv_series(opt->input, model.input_size());
    for (size_t r = 0; r < series.rows(); ++r)
      for (size_t c = 0; c < series.width(); ++c)
        if (!series.present[r * series.width() + c])
          throw std::runtime_error(opt->input + ":" + std::to_string(series.lines[r]) + ": column " +
                                   std::to_string(c + 2) + " ('" + series.columns[c] +
                                   "') is missing; this model has no missing-value mask input");
    if (series.rows() && series.times[0] < opt->t0)
      throw std::runtime_error(opt->input + ":" + std::to_string(series.lines[0]) + ": time " +
                               std::to_string(series.times[0]) + " is before --t0 " + std::to_string(opt->t0));

    FILE* out = opt->output.empty() ? stdout : std::fopen(opt->output.c_str(), "w");
    if (!out) throw std::runtime_error(opt->output + ": cannot open for writing");
    std::fprintf(out, "time");
    for (int k = 0; k < model.output_size(); ++k) std::fprintf(out, ",y%d", k + 1);
    if (opt->state)
      for (int k = 0; k < model.state_size(); ++k) std::fprintf(out, ",h%d", k + 1);
    std::fprintf(out, "\n");

    // A backbone's full-attention cache is sized for the whole file.
    lfm::ModelState state = model.initial_state(std::max<int64_t>(1, static_cast<int64_t>(series.rows())));
    lfm::ModelWorkspace ws = model.make_workspace();
    std::vector<float> y(model.output_size());
    double t_prev = opt->t0;
    for (size_t r = 0; r < series.rows(); ++r) {
      model.step(series.row(r), series.times[r] - t_prev, state, y.data(), ws);
      t_prev = series.times[r];
      char time_text[32];  // shortest text that reads back as the same double
      *std::to_chars(time_text, time_text + sizeof time_text - 1, series.times[r]).ptr = '\0';
      std::fputs(time_text, out);
      for (float v : y) std::fprintf(out, ",%.9g", v);
      if (opt->state)
        for (float v : state.h) std::fprintf(out, ",%.9g", v);
      std::fprintf(out, "\n");
    }
    if (out != stdout) std::fclose(out);
    return 0;
  };
}

}  // namespace liquid::apps
