// liquid eval MODEL --data PATH [--task T] [--confusion PNG]: loss and the task's metrics of a trained
// model on one split (classification: accuracy and confusion matrix, also drawn to a PNG on request;
// binary: also F1 and ROC AUC of the positive class; regression: MSE and MAE), the inputs normalised
// with the statistics the model was trained with.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/commands.h"
#include "lfm/trainer.h"
#include "plot/charts.h"

namespace liquid::apps {

Command add_eval_command(CLI::App& app) {
  struct Options {
    std::string model, task, data, split = "test", confusion;
    int threads = 0;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a trained model on a dataset split");
  cmd->add_option("model", opt->model, "Model file (.safetensors) written by `liquid train`")
      ->required()
      ->check(CLI::ExistingFile);
  // Checked by lfm::task_from_name, which also knows the registered tasks (fsdd).
  cmd->add_option("--task", opt->task, "The task (default: the one the model was trained on)");
  cmd->add_option("--data", opt->data,
                  "Dataset: the occupancy or physionet2012 folder, or the person-activity, traffic or ozone file")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--split", opt->split, "Which split")
      ->check(CLI::IsMember({"test", "validation"}))
      ->capture_default_str();
  cmd->add_option("--threads", opt->threads, "Threads (0: one per core)")->capture_default_str();
  cmd->add_option("--confusion", opt->confusion, "Also draw the confusion matrix to this PNG (classification)");
  return [opt]() {
    const lfm::SafetensorsFile file = lfm::SafetensorsFile::read_file(opt->model);
    const lfm::Model model = lfm::Model::load(opt->model);
    std::string task = opt->task;
    if (task.empty()) {
      const auto it = file.metadata().find("liquid.task");
      if (it == file.metadata().end())
        throw std::runtime_error(opt->model + ": the file does not say its task; give --task");
      task = it->second;
    }
    const std::optional<lfm::Normalization> normalization = lfm::read_model_normalization(file);
    // Without stored statistics, refit them on the training split as training did.
    // The task's options the model was trained with (the weather task's window), if any.
    nlohmann::json task_options = nlohmann::json::object();
    if (const auto it = file.metadata().find("liquid.task_options"); it != file.metadata().end() && opt->task.empty())
      task_options = nlohmann::json::parse(it->second);
    lfm::DatasetSplits splits =
        lfm::load_task_data(lfm::task_from_name(task, "--task"), opt->data, !normalization, task_options);
    if (!normalization)
      std::fprintf(stderr, "liquid eval: %s carries no normalisation; using the training split's\n",
                   opt->model.c_str());
    lfm::SequenceDataset& data = opt->split == "test" ? splits.test : splits.validation;
    if (normalization) normalization->apply(data);
    if (data.size() == 0) throw std::runtime_error(task + " has no " + opt->split + " split");
    // The loss the model was trained with decides how its outputs read; older files say nothing,
    // and were cross-entropy classifiers.
    lfm::LossSpec loss;
    const auto loss_it = file.metadata().find("liquid.loss");
    const std::string loss_text = loss_it == file.metadata().end() ? "cross_entropy" : loss_it->second;
    for (lfm::LossKind k : {lfm::LossKind::kCrossEntropy, lfm::LossKind::kBinaryCrossEntropy, lfm::LossKind::kMse,
                            lfm::LossKind::kHuber})
      if (lfm::loss_name(k) == loss_text) loss.kind = k;
    const lfm::TaskShape shape{data.input_size, data.num_classes, data.output_size};
    if (model.input_size() != data.input_size || model.output_size() != loss.outputs(shape))
      throw std::runtime_error(opt->model + ": the model has " + std::to_string(model.input_size()) + " inputs and " +
                               std::to_string(model.output_size()) + " outputs; " + task + " with loss " + loss_text +
                               " needs " + std::to_string(data.input_size) + " and " +
                               std::to_string(loss.outputs(shape)));

    const lfm::EvalResult r = lfm::evaluate(model, data, loss, 0, opt->threads);
    std::printf("%s %s: %zu windows, %lld steps\n", task.c_str(), opt->split.c_str(), data.size(),
                static_cast<long long>(r.counted));
    // The file does not keep class weights or pos_weight: the loss here is unweighted, so it can
    // differ from the one training printed; the metrics do not depend on weights.
    std::printf("loss %.6f (%s%s)\n", r.loss, loss_text.c_str(), shape.regression() ? "" : ", unweighted");
    if (shape.regression()) {
      std::printf("mse %.6f\nmae %.6f\n", r.mse, r.mae);
      return 0;
    }
    std::printf("accuracy %.4f%%\n", 100.0 * r.accuracy);
    if (shape.binary()) std::printf("f1 %.4f (class %s)\nauc %.4f\n", r.f1, data.class_names[1].c_str(), r.auc);
    const int classes = data.num_classes;
    std::printf("confusion (rows: true class, columns: predicted)\n");
    for (int i = 0; i < classes; ++i) {
      std::printf("%24s", data.class_names[i].c_str());
      for (int j = 0; j < classes; ++j) std::printf(" %7lld", static_cast<long long>(r.confusion[i * classes + j]));
      std::printf("\n");
    }
    if (!opt->confusion.empty()) {
      std::vector<std::vector<std::int64_t>> counts(classes, std::vector<std::int64_t>(classes));
      for (int i = 0; i < classes; ++i)
        for (int j = 0; j < classes; ++j) counts[i][j] = r.confusion[i * classes + j];
      plot::write_confusion(opt->confusion, counts, data.class_names,
                            task + " " + opt->split + " (" + std::filesystem::path(opt->model).filename().string() + ")");
      std::printf("wrote %s\n", opt->confusion.c_str());
    }
    return 0;
  };
}

}  // namespace liquid::apps
