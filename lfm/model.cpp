#include "lfm/model.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <thread>
#include <set>
#include <stdexcept>

namespace liquid::lfm {

namespace {

constexpr const char* kConfigKey = "liquid.config";

Model::Cell make_cell(const ModelConfig& c) {
  if (c.backbone()) return backbone::BackboneNet(c.input_size, c.genome, c.backbone_outputs);
  if (c.cell == CellKind::kLtc) {
    return LtcCell(c.ltc, c.wiring->adjacency().cast<float>(), c.wiring->sensory_adjacency().cast<float>());
  }
  if (c.wired()) {
    return WiredCfcCell(c.input_size, c.wiring->layers(), c.wiring->adjacency().cast<float>(),
                        c.wiring->sensory_adjacency().cast<float>(), c.cfc.mode);
  }
  return CfcCell(c.cfc);
}

int cell_output_size(const ModelConfig& c) {
  if (c.backbone()) return c.backbone_outputs;
  return (c.cell == CellKind::kLtc || c.wired()) ? c.wiring->output_dim() : c.cfc.units;
}

// Sequences are independent, so a batch splits into one contiguous block of sequences per thread
// (up to `threads`; 0: one per core), each run as block(first, count), the last on this thread.
template <class Block>
void run_blocks(int batch, int threads, const Block& block) {
  const int n_threads = std::clamp(threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()), 1,
                                   std::max(batch, 1));
  std::vector<std::thread> workers;
  const int per_thread = batch / n_threads, extra = batch % n_threads;
  int first = 0;
  for (int k = 0; k < n_threads; ++k) {
    const int count = per_thread + (k < extra ? 1 : 0);
    if (k + 1 < n_threads)
      workers.emplace_back(block, first, count);
    else
      block(first, count);
    first += count;
  }
  for (auto& w : workers) w.join();
}

}  // namespace

std::vector<double> Model::save_state(const ModelState& state) const {
  std::vector<double> out(state.h.data(), state.h.data() + state.h.size());
  out.insert(out.end(), state.c.data(), state.c.data() + state.c.size());
  if (state.backbone) state.backbone->save(out);
  return out;
}

void Model::restore_state(std::span<const double> values, ModelState& state) const {
  const size_t cell = size_t(state.h.size() + state.c.size());
  if (values.size() < cell)
    throw std::invalid_argument("model state: " + std::to_string(values.size()) + " values, the cell needs " +
                                std::to_string(cell));
  for (Eigen::Index i = 0; i < state.h.size(); ++i) state.h[i] = float(values[size_t(i)]);
  for (Eigen::Index i = 0; i < state.c.size(); ++i) state.c[i] = float(values[size_t(state.h.size() + i)]);
  values = values.subspan(cell);
  if (state.backbone) state.backbone->restore(values);
  if (!values.empty())
    throw std::invalid_argument("model state: " + std::to_string(values.size()) + " values more than the model keeps");
}

int Model::output_row_in_state() const {
  if (config_.proj_size || config_.cell != CellKind::kCfc) return -1;
  return state_size() - output_size();
}

Model::Model(ModelConfig config, uint64_t init_seed) : config_(std::move(config)), cell_(make_cell(config_)) {
  if (config_.mixed_memory) lstm_.emplace(config_.input_size, config_.state_size());
  if (config_.proj_size) {
    fc_w_ = Eigen::MatrixXf::Zero(*config_.proj_size, cell_output_size(config_));
    fc_b_ = Eigen::MatrixXf::Zero(*config_.proj_size, 1);
  }
  std::visit([&](auto& cell) { cell.init_weights(init_seed); }, cell_);
  if (lstm_) lstm_->init_weights(init_seed + 1);
  if (config_.proj_size) {
    std::mt19937_64 rng(init_seed + 2);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const float bound = 1.0f / std::sqrt(static_cast<float>(fc_w_.cols()));  // torch Linear default
    for (Eigen::Index i = 0; i < fc_w_.size(); ++i) fc_w_.data()[i] = bound * dist(rng);
    for (Eigen::Index i = 0; i < fc_b_.size(); ++i) fc_b_.data()[i] = bound * dist(rng);
  }
}

void Model::for_each_parameter(const ParamVisitor& visit) {
  // ncps's name for the cell; a backbone has no ncps counterpart and keeps its own names.
  const std::string prefix = config_.backbone() ? "" : "rnn_cell.";
  std::visit([&](auto& cell) { cell.for_each_parameter(prefix, visit); }, cell_);
  if (lstm_) lstm_->for_each_parameter("lstm.", visit);
  if (config_.proj_size) {
    visit({"fc.weight", {fc_w_.rows(), fc_w_.cols()}, &fc_w_, true});
    visit({"fc.bias", {fc_b_.rows()}, &fc_b_, true});
  }
}

void Model::for_each_parameter(const ParamVisitor& visit) const {
  // Visitors of a const model only read; the non-const walk is the one list of parameters.
  const_cast<Model*>(this)->for_each_parameter(visit);
}

void Model::prepare() {
  std::visit([](auto& cell) { cell.prepare(); }, cell_);
}

void Model::apply_constraints() {
  if (auto* ltc = std::get_if<LtcCell>(&cell_)) ltc->apply_weight_constraints();
  prepare();
}

int64_t Model::parameter_count() const {
  int64_t n = 0;
  for_each_parameter([&](const ParamRef& p) {
    if (p.trainable) n += shape_numel(p.shape);
  });
  return n;
}

int64_t Model::active_parameter_count() const {
  if (!config_.backbone()) return parameter_count();
  const backbone::GenomeCounts counts = backbone::count(config_.genome, 1);
  return parameter_count() - (counts.parameters - counts.active_parameters);
}

int64_t Model::state_bytes(int64_t context) const {
  if (config_.backbone()) return backbone::count(config_.genome, context).state_bytes;
  return static_cast<int64_t>(sizeof(float)) * state_size() * (config_.mixed_memory ? 2 : 1);
}

void Model::load_tensors(const SafetensorsFile& tensors, const std::string& source, const std::string& prefix) {
  // A tensor under the prefix that is no parameter of this model means the file is for another
  // model (a CfC state given an LTC config): refuse rather than silently ignore weights.
  std::set<std::string> expected;
  for_each_parameter([&](const ParamRef& p) { expected.insert(prefix + p.name); });
  for (const std::string& name : tensors.names())
    if (name.rfind(prefix, 0) == 0 && !expected.count(name))
      throw FormatError(source + ": tensor '" + name + "' is not a parameter of this model (" + config_.describe() + ")" +
                        "; is the file for another model or configuration?");
  for_each_parameter([&](const ParamRef& p) {
    const std::string name = prefix + p.name;
    if (!tensors.contains(name))
      throw FormatError(source + ": tensor '" + name + "' is missing; expected shape " + shape_to_string(p.shape) +
                        " for this model (" + config_.describe() + ")");
    const std::vector<float> values = tensors.get(name, p.shape).to_float();
    const Eigen::Index rows = p.shape.empty() ? 1 : p.shape[0];
    *p.value = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        values.data(), rows, static_cast<Eigen::Index>(values.size()) / rows);
  });
  prepare();
}

Model Model::from_tensors(ModelConfig config, const SafetensorsFile& tensors, const std::string& source,
                          const std::string& prefix) {
  Model model(std::move(config));
  model.load_tensors(tensors, source, prefix);
  return model;
}

SafetensorsFile Model::to_tensors(DType dtype) const {
  SafetensorsFile file;
  for_each_parameter([&](const ParamRef& p) {
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = *p.value;
    file.add_tensor(p.name, p.shape, std::span<const float>(row_major.data(), row_major.size()), dtype);
  });
  file.set_metadata(kConfigKey, config_to_json(config_).dump());
  file.set_metadata("format", "pt");  // lets safetensors.torch.load_file read it as a state_dict
  return file;
}

void Model::save(const std::filesystem::path& path, DType dtype) const { to_tensors(dtype).write_file(path); }

void Model::export_ncps(const std::filesystem::path& state_path, const std::filesystem::path& config_path) const {
  to_tensors(DType::kF32).write_file(state_path);
  const std::filesystem::path tmp = config_path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << config_to_json(config_).dump(1) << "\n";
    if (!out) throw std::runtime_error(config_path.string() + ": cannot write the configuration");
  }
  std::filesystem::rename(tmp, config_path);
}

Model Model::load(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::read_file(path);
  const std::string source = path.string();
  const auto it = file.metadata().find(kConfigKey);
  if (it == file.metadata().end())
    throw FormatError(source + ": __metadata__ has no '" + kConfigKey +
                      "' (a model configuration); for an ncps state_dict use `liquid import --ncps`");
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source + ": __metadata__ '" + kConfigKey + "' is not valid JSON: " + e.what());
  }
  return from_tensors(config_from_json(json, source), file, source);
}

ModelState Model::initial_state(int64_t max_context) const {
  ModelState s;
  if (const auto* net = std::get_if<backbone::BackboneNet>(&cell_)) {
    s.backbone = net->new_state(max_context);
    return s;
  }
  s.h = Eigen::VectorXf::Zero(state_size());
  if (config_.mixed_memory) s.c = Eigen::VectorXf::Zero(state_size());
  return s;
}

ModelWorkspace Model::make_workspace(int capacity) const {
  ModelWorkspace ws;
  ws.capacity = capacity;
  std::visit(
      [&](const auto& cell) {
        using Cell = std::decay_t<decltype(cell)>;
        if constexpr (std::is_same_v<Cell, CfcCell>) cell.resize_workspace(ws.cfc, capacity);
        if constexpr (std::is_same_v<Cell, WiredCfcCell>) cell.resize_workspace(ws.wired, capacity);
        if constexpr (std::is_same_v<Cell, LtcCell>) cell.resize_workspace(ws.ltc);
        if constexpr (std::is_same_v<Cell, backbone::BackboneNet>) ws.net = cell.make_workspace();
      },
      cell_);
  if (lstm_) lstm_->resize_workspace(ws.lstm, capacity);
  ws.ts.resize(capacity);
  ws.x.resize(input_size(), capacity);
  ws.h.resize(state_size(), capacity);
  ws.c.resize(state_size(), config_.mixed_memory ? capacity : 0);
  ws.cell_out.resize(cell_output_size(config_), capacity);
  ws.y.resize(output_size(), capacity);
  return ws;
}

void Model::step_batch(const Eigen::Ref<const Eigen::MatrixXf>& x, Eigen::Ref<Eigen::MatrixXf> h,
                       Eigen::Ref<Eigen::MatrixXf> c, const Eigen::Ref<const Eigen::RowVectorXf>& ts,
                       Eigen::Ref<Eigen::MatrixXf> y, ModelWorkspace& ws) const {
  if (config_.backbone())
    throw std::logic_error("step_batch: a backbone model steps one stream at a time (Model::step); batched "
                           "streams need a CfC or LTC model");
  const Eigen::Index b = x.cols();
  if (lstm_) lstm_->forward(x, h, c, ws.lstm);
  // Without a projection the cell writes the outputs directly; with one it writes cell_out first.
  auto cell_out = config_.proj_size ? Eigen::Ref<Eigen::MatrixXf>(ws.cell_out.leftCols(b)) : y;
  if (const auto* cfc = std::get_if<CfcCell>(&cell_)) {
    cfc->forward(x, h, ts, ws.cfc);
    cell_out = h;
  } else if (const auto* wired = std::get_if<WiredCfcCell>(&cell_)) {
    wired->forward(x, h, ts, ws.wired);
    cell_out = h.bottomRows(wired->output_size());
  } else {
    const auto& ltc = std::get<LtcCell>(cell_);
    for (Eigen::Index col = 0; col < b; ++col) ltc.forward(x.col(col), h.col(col), ts(col), cell_out.col(col), ws.ltc);
  }
  if (config_.proj_size) {
    y.noalias() = fc_w_ * cell_out;
    y.colwise() += fc_b_.col(0);
  }
}

void Model::step(const float* x, double dt, ModelState& state, float* y, ModelWorkspace& ws) const {
  if (const auto* net = std::get_if<backbone::BackboneNet>(&cell_)) {
    if (!state.backbone) throw std::invalid_argument("step: the state was not made by this backbone model's initial_state()");
    net->step(x, static_cast<float>(dt), *state.backbone, y, ws.net);
    return;
  }
  ws.ts(0) = static_cast<float>(dt);
  Eigen::Map<const Eigen::MatrixXf> x_col(x, input_size(), 1);
  Eigen::Map<Eigen::MatrixXf> y_col(y, output_size(), 1);
  Eigen::Map<Eigen::MatrixXf> h_col(state.h.data(), state_size(), 1);
  Eigen::Map<Eigen::MatrixXf> c_col(state.c.data(), state.c.size(), state.c.size() ? 1 : 0);
  step_batch(x_col, h_col, c_col, ws.ts.leftCols(1), y_col, ws);
}

void Model::forward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                    std::span<float> output, std::span<float> final_h, std::span<float> final_c,
                    int threads) const {
  const int n_in = input_size(), n_out = output_size(), n_state = state_size();
  auto check = [&](std::span<const float> s, size_t expected, const char* what) {
    if (s.size() != expected)
      throw std::invalid_argument(std::string("forward: ") + what + " has " + std::to_string(s.size()) +
                                  " values, expected " + std::to_string(expected));
  };
  check(input, size_t(batch) * steps * n_in, "input (batch, steps, input_size)");
  check(timespans, size_t(batch) * steps, "timespans (batch, steps)");
  check(output, size_t(batch) * steps * n_out, "output (batch, steps, output_size)");
  if (!final_h.empty()) check(final_h, size_t(batch) * n_state, "final_h (batch, state_size)");
  if (!final_c.empty()) check(final_c, size_t(batch) * n_state, "final_c (batch, state_size)");

  if (config_.backbone()) return forward_backbone(input, timespans, batch, steps, output, threads);

  // Sequences are independent, so the batch splits into one contiguous block of samples per thread,
  // each running every step with its own workspace: no synchronisation between steps.
  auto run_block = [&](int first, int count) {
    ModelWorkspace ws = make_workspace(count);
    ws.h.setZero();
    ws.c.setZero();
    using Strided = Eigen::Map<const Eigen::MatrixXf, 0, Eigen::OuterStride<>>;
    using StridedOut = Eigen::Map<Eigen::MatrixXf, 0, Eigen::OuterStride<>>;
    const float* in0 = input.data() + size_t(first) * steps * n_in;
    float* out0 = output.data() + size_t(first) * steps * n_out;
    for (int t = 0; t < steps; ++t) {
      // Column b of step t is input[b, t, :]: consecutive columns are `steps * n_in` floats apart.
      Strided x_t(in0 + size_t(t) * n_in, n_in, count, Eigen::OuterStride<>(steps * n_in));
      StridedOut y_t(out0 + size_t(t) * n_out, n_out, count, Eigen::OuterStride<>(steps * n_out));
      for (int b = 0; b < count; ++b) ws.ts(b) = timespans[size_t(first + b) * steps + t];
      step_batch(x_t, ws.h, ws.c, ws.ts, y_t, ws);
    }
    if (!final_h.empty()) Eigen::Map<Eigen::MatrixXf>(final_h.data() + size_t(first) * n_state, n_state, count) = ws.h;
    if (!final_c.empty() && config_.mixed_memory)
      Eigen::Map<Eigen::MatrixXf>(final_c.data() + size_t(first) * n_state, n_state, count) = ws.c;
  };
  run_blocks(batch, threads, run_block);
}


void Model::forward_backbone(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                             std::span<float> output, int threads) const {
  const auto& net = std::get<backbone::BackboneNet>(cell_);
  // Contiguous blocks of whole sequences, one per thread, each with its own tape.
  auto run_block = [&](int first, int count) {
    if (count == 0) return;
    backbone::BackboneNet::Tape tape = net.new_tape();
    const size_t offset = size_t(first) * steps;
    net.forward(input.data() + offset * input_size(), timespans.data() + offset, count, steps,
                output.data() + offset * output_size(), tape);
  };
  run_blocks(batch, threads, run_block);
}

}  // namespace liquid::lfm
