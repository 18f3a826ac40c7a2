// liquid train CONFIG.json: fits a model to a dataset as the configuration says (lfm/trainer.h),
// writing the best model, a checkpoint each epoch and the learning curve to --out.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "apps/commands.h"
#include "lfm/trainer.h"
#include "plot/charts.h"

namespace liquid::apps {

namespace {

std::string clock_text(double seconds) {
  if (!std::isfinite(seconds)) return "?";
  const long s = std::lround(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

std::string percent(double fraction) {
  if (std::isnan(fraction)) return "n/a";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", 100.0 * fraction);
  return text;
}

// The metrics that apply (the others are NaN): "acc 93.10%  f1 0.42110  auc 0.81230" or
// "mse 0.10000  mae 0.20000"; empty if none does.
std::string metrics_text(const std::string& prefix, double accuracy, double f1, double auc, double mse, double mae) {
  std::string text;
  char part[64];
  auto add = [&](const char* name, double v, bool as_percent) {
    if (std::isnan(v)) return;
    if (as_percent)
      std::snprintf(part, sizeof part, "%s%s %s", prefix.c_str(), name, percent(v).c_str());
    else
      std::snprintf(part, sizeof part, "%s%s %.5f", prefix.c_str(), name, v);
    text += (text.empty() ? "" : "  ") + std::string(part);
  };
  add("acc", accuracy, true);
  add("f1", f1, false);
  add("auc", auc, false);
  add("mse", mse, false);
  add("mae", mae, false);
  return text;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  struct Options {
    std::string config, out;
    bool resume = false;
    int epochs = 0, max_train = 0, threads = 0;
    std::optional<std::uint64_t> seed;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a dataset from a JSON configuration");
  cmd->add_option("config", opt->config, "Training configuration (.json); see samples/train/")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", opt->out, "Output folder (default: out/<config name>)");
  cmd->add_flag("--resume", opt->resume, "Continue from OUT/checkpoint.safetensors");
  cmd->add_option("--epochs", opt->epochs, "Override the configuration's epoch count")->check(CLI::PositiveNumber);
  cmd->add_option("--max-train-sequences", opt->max_train, "Use only the first N training windows (quick looks)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opt->seed, "Override the configuration's seed (for runs over several seeds)");
  cmd->add_option("--threads", opt->threads, "Threads (default: one per core; any count gives the same model)")
      ->check(CLI::NonNegativeNumber);
  return [opt]() {
    lfm::TrainConfig config = lfm::load_train_config(opt->config);
    if (opt->seed) config.seed = *opt->seed;
    if (opt->epochs) config.epochs = opt->epochs;
    if (opt->max_train) config.max_train_sequences = opt->max_train;
    lfm::TrainOptions options;
    options.out_dir = opt->out.empty() ? std::filesystem::path("out") / config.name : std::filesystem::path(opt->out);
    options.resume = opt->resume;
    options.threads = opt->threads;

    // A terminal gets one progress line redrawn in place; a log gets only the per-epoch lines.
    const bool tty = isatty(fileno(stderr));
    auto last_draw = std::chrono::steady_clock::time_point{};
    if (tty)
      options.on_batch = [&last_draw](const lfm::BatchProgress& p) {
        const auto now = std::chrono::steady_clock::now();
        if (p.batch != p.batches && now - last_draw < std::chrono::milliseconds(100)) return;
        last_draw = now;
        std::fprintf(stderr, "\r\033[Kepoch %d/%d  batch %d/%d  loss %.4f  %.0f seq/s  ETA %s", p.epoch, p.epochs,
                     p.batch, p.batches, p.running_loss, p.sequences_per_second, clock_text(p.eta_seconds).c_str());
        std::fflush(stderr);
      };
    const int epochs = config.epochs;
    const std::filesystem::path out_dir = options.out_dir;
    options.on_epoch = [tty, epochs, out_dir](const lfm::EpochRecord& r) {
      if (tty) std::fputs("\r\033[K", stderr), std::fflush(stderr);
      const std::string metrics = metrics_text("val_", r.val_accuracy, r.val_f1, r.val_auc, r.val_mse, r.val_mae);
      std::printf("epoch %d/%d  train_loss %.5f  val_loss %.5f  %s  lr %.3g  %.1f s%s\n", r.epoch, epochs, r.train_loss,
                  r.val_loss, metrics.empty() ? "(no validation split)" : metrics.c_str(), r.lr, r.seconds,
                  r.best ? "  *" : "");
      std::fflush(stdout);
      // The curve as a picture, redrawn every epoch so a long run can be watched.
      plot::write_training_curve(out_dir / "curve.csv", out_dir / "curve.png");
    };

    std::printf("training %s on %s -> %s\n", config.name.c_str(), config.data.string().c_str(),
                options.out_dir.string().c_str());
    std::fflush(stdout);  // before any error on stderr
    const lfm::TrainResult result = lfm::train(config, options);
    if (result.stopped_early)
      std::printf("stopped early: no validation %s improvement for %d epochs\n",
                  lfm::metric_name(config.metric).c_str(), config.patience);
    auto summary = [](const lfm::EvalResult& r) {
      return "loss " + std::to_string(r.loss) + " " + metrics_text("", r.accuracy, r.f1, r.auc, r.mse, r.mae);
    };
    const std::string validation =
        result.validation.counted > 0 ? "validation " + summary(result.validation) : "no validation split";
    std::printf("best epoch %d: %s; test %s (%lld steps)\n", result.best_epoch, validation.c_str(),
                summary(result.test).c_str(), static_cast<long long>(result.test.counted));
    std::printf("wall time %.1f s; wrote %s\n", result.seconds,
                (options.out_dir / "model.safetensors").string().c_str());
    return 0;
  };
}

}  // namespace liquid::apps
