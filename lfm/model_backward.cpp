// Backpropagation through time over the sequence face: forward with tapes, then backward from the
// last step to the first, each cell adding its parameter gradients and handing dL/dstate back.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <thread>

#include "lfm/model.h"

namespace liquid::lfm {

Model Model::zeros_like() const {
  Model grads = *this;
  grads.for_each_parameter([](const ParamRef& p) {
    if (p.trainable) p.value->setZero();
  });
  return grads;
}

double Model::forward_backward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                               std::span<const float> d_output, Model& grads, std::span<float> output,
                               int threads, BpttWorkspace* workspace) const {
  const size_t expected = size_t(batch) * steps * output_size();
  if (d_output.size() != expected || (!output.empty() && output.size() != expected))
    throw std::invalid_argument("forward_backward: d_output or output do not match batch " + std::to_string(batch) +
                                " x steps " + std::to_string(steps) + " x outputs " + std::to_string(output_size()));
  return forward_backward(input, timespans, batch, steps,
                   [&](std::span<const float> y, std::span<float> d_y) {
                     if (!output.empty()) std::copy(y.begin(), y.end(), output.begin());
                     std::copy(d_output.begin(), d_output.end(), d_y.begin());
                   },
                   grads, threads, workspace);
}

// One shard of the batch: a contiguous block of sequences with its own tapes, state and gradient
// holder, so shards run on different threads without sharing anything but the (const) model.
struct BpttWorkspace::Shard {
  int first = 0, count = 0;
  ModelWorkspace ws;
  Eigen::MatrixXf h, c;
  std::vector<CfcTape> cfc_tapes;
  std::vector<WiredCfcTape> wired_tapes;
  std::vector<LtcTape> ltc_tapes;  // (step, column)
  std::vector<LstmTape> lstm_tapes;
  std::vector<Eigen::MatrixXf> cell_outs;
  backbone::BackboneNet::Tape net_tape;
  double aux = 0;  // the backbone's auxiliary loss on this shard, weighted by its share of the batch
  std::optional<Model> grads;
};

BpttWorkspace::BpttWorkspace() = default;
BpttWorkspace::~BpttWorkspace() = default;
BpttWorkspace::BpttWorkspace(BpttWorkspace&&) noexcept = default;
BpttWorkspace& BpttWorkspace::operator=(BpttWorkspace&&) noexcept = default;

namespace {

using BpttShard = BpttWorkspace::Shard;

// Runs `work(shard)` for every shard on up to `threads` threads; shard k always goes to thread
// k % threads, and nothing a shard computes depends on which thread ran it.
template <class Work>
void run_shards(std::vector<BpttShard>& shards, int threads, const Work& work) {
  const int n_threads = std::clamp(threads, 1, static_cast<int>(shards.size()));
  auto run_from = [&](int k0) {
    for (size_t k = k0; k < shards.size(); k += n_threads) work(shards[k]);
  };
  std::vector<std::thread> workers;
  for (int k = 1; k < n_threads; ++k) workers.emplace_back(run_from, k);
  run_from(0);
  for (auto& w : workers) w.join();
}

}  // namespace

double Model::forward_backward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                               const LossGradient& loss_gradient, Model& grads, int threads,
                               BpttWorkspace* workspace) const {
  const int n_in = input_size(), n_out = output_size(), n_state = state_size();
  const size_t bt = size_t(batch) * steps;
  if (input.size() != bt * n_in || timespans.size() != bt)
    throw std::invalid_argument("forward_backward: input or timespans do not match batch " + std::to_string(batch) +
                                " x steps " + std::to_string(steps));
  if (grads.cell_.index() != cell_.index() || grads.state_size() != n_state)
    throw std::invalid_argument("forward_backward: grads is not a model of this configuration (use zeros_like)");
  BpttWorkspace temporary;
  BpttWorkspace& work = workspace ? *workspace : temporary;
  std::vector<float>& output = work.output_;
  std::vector<float>& d_output = work.d_output_;
  output.resize(bt * n_out);
  d_output.resize(bt * n_out);
  const auto* cfc = std::get_if<CfcCell>(&cell_);
  const auto* wired = std::get_if<WiredCfcCell>(&cell_);
  const auto* ltc = std::get_if<LtcCell>(&cell_);
  const auto* net = std::get_if<backbone::BackboneNet>(&cell_);
  const int cell_out_size = cfc ? cfc->config().units : wired ? wired->output_size() : ltc ? ltc->output_size() : 0;
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());

  // The shards are fixed by the batch size alone, and their gradients are summed in shard order, so
  // the result is the same bytes on one thread or many.
  if (work.model_ != this) work.shards_.clear();  // tapes and gradient holders fit one model
  work.model_ = this;
  std::vector<BpttShard>& shards = work.shards_;
  shards.resize((batch + kBpttShardColumns - 1) / kBpttShardColumns);
  for (size_t k = 0; k < shards.size(); ++k) {
    shards[k].first = int(k) * kBpttShardColumns;
    shards[k].count = std::min(kBpttShardColumns, batch - shards[k].first);
  }

  // Column b of step t is sample (first + b)'s row t of the batch_first tensors.
  auto gather = [&](std::span<const float> src, int width, int t, const BpttShard& s, Eigen::MatrixXf& dst) {
    dst.resize(width, s.count);
    for (int b = 0; b < s.count; ++b)
      dst.col(b) = Eigen::Map<const Eigen::VectorXf>(src.data() + (size_t(s.first + b) * steps + t) * width, width);
  };

  run_shards(shards, threads, [&](BpttShard& s) {
    const int cols = s.count;
    if (net) {  // whole sequences at once: the shard's rows of the batch_first tensors are contiguous
      const size_t offset = size_t(s.first) * steps;
      s.aux = net->forward(input.data() + offset * n_in, timespans.data() + offset, cols, steps,
                           output.data() + offset * n_out, s.net_tape, static_cast<float>(cols) / batch);
      return;
    }
    // A workspace made for another model or a wider shard is remade; otherwise only zeroed.
    if (s.ws.capacity != cols) s.ws = make_workspace(cols);
    s.h.setZero(n_state, cols);
    s.c.setZero(config_.mixed_memory ? n_state : 0, cols);
    s.cfc_tapes.resize(cfc ? steps : 0);
    s.wired_tapes.resize(wired ? steps : 0);
    s.ltc_tapes.resize(ltc ? size_t(steps) * cols : 0);
    s.lstm_tapes.resize(lstm_ ? steps : 0);
    s.cell_outs.resize(steps);
    Eigen::MatrixXf x, y(n_out, cols);
    for (int t = 0; t < steps; ++t) {
      gather(input, n_in, t, s, x);
      for (int b = 0; b < cols; ++b) s.ws.ts(b) = timespans[size_t(s.first + b) * steps + t];
      if (lstm_) lstm_->forward_taped(x, s.h, s.c, s.ws.lstm, s.lstm_tapes[t]);
      Eigen::MatrixXf& cell_out = s.cell_outs[t];
      cell_out.resize(cell_out_size, cols);
      if (cfc) {
        cfc->resize_tape(s.cfc_tapes[t], cols);
        cfc->forward_taped(x, s.h, s.ws.ts, s.ws.cfc, s.cfc_tapes[t]);
        cell_out = s.h;
      } else if (wired) {
        wired->resize_tape(s.wired_tapes[t], cols);
        wired->forward_taped(x, s.h, s.ws.ts, s.ws.wired, s.wired_tapes[t]);
        cell_out = s.h.bottomRows(cell_out_size);
      } else {
        for (int b = 0; b < cols; ++b) {
          LtcTape& tape = s.ltc_tapes[size_t(t) * cols + b];
          ltc->resize_tape(tape);
          ltc->forward_taped(x.col(b), s.h.col(b), s.ws.ts(b), cell_out.col(b), s.ws.ltc, tape);
        }
      }
      if (config_.proj_size) {
        y.noalias() = fc_w_ * cell_out;
        y.colwise() += fc_b_.col(0);
      } else {
        y = cell_out;
      }
      for (int b = 0; b < cols; ++b)
        Eigen::Map<Eigen::VectorXf>(output.data() + (size_t(s.first + b) * steps + t) * n_out, n_out) = y.col(b);
    }
  });

  loss_gradient(output, d_output);

  run_shards(shards, threads, [&](BpttShard& s) {
    const int cols = s.count;
    if (s.grads)
      s.grads->for_each_parameter([](const ParamRef& p) {
        if (p.trainable) p.value->setZero();
      });
    else
      s.grads.emplace(zeros_like());
    Model& g = *s.grads;
    if (net) {
      const size_t offset = size_t(s.first) * steps;
      net->backward(s.net_tape, input.data() + offset * n_in, d_output.data() + offset * n_out,
                    std::get<backbone::BackboneNet>(g.cell_));
      return;
    }
    // d_h carries dL/d(state after step t) from the later steps.
    Eigen::MatrixXf d_h = Eigen::MatrixXf::Zero(n_state, cols), d_c = Eigen::MatrixXf::Zero(s.c.rows(), cols);
    Eigen::MatrixXf d_y, d_cell_out, d_h_new(n_state, cols), d_h_prev(n_state, cols), d_x(n_in, cols);
    Eigen::MatrixXf d_h_lstm(n_state, cols), d_c_prev(s.c.rows(), cols), d_x_lstm(n_in, cols);
    Eigen::VectorXf d_v_prev(n_state), d_x_col(n_in);
    for (int t = steps - 1; t >= 0; --t) {
      gather(d_output, n_out, t, s, d_y);
      if (config_.proj_size) {
        // y = fc_w cell_out + fc_b
        g.fc_w_.noalias() += d_y * s.cell_outs[t].transpose();
        g.fc_b_.col(0) += d_y.rowwise().sum();
        d_cell_out.noalias() = fc_w_.transpose() * d_y;
      } else {
        d_cell_out = d_y;
      }
      if (cfc) {
        d_h_new = d_h + d_cell_out;
        cfc->backward(s.cfc_tapes[t], d_h_new, d_h_prev, d_x, std::get<CfcCell>(g.cell_), s.ws.cfc);
      } else if (wired) {
        d_h_new = d_h;
        d_h_new.bottomRows(cell_out_size) += d_cell_out;
        wired->backward(s.wired_tapes[t], d_h_new, d_h_prev, d_x, std::get<WiredCfcCell>(g.cell_), s.ws.wired);
      } else {
        for (int b = 0; b < cols; ++b) {
          ltc->backward(s.ltc_tapes[size_t(t) * cols + b], d_cell_out.col(b), d_h.col(b), d_v_prev, d_x_col,
                        std::get<LtcCell>(g.cell_), s.ws.ltc);
          d_h_prev.col(b) = d_v_prev;
        }
      }
      if (lstm_) {
        // The cell read the LSTM's new h; the LSTM read the previous step's h and c.
        lstm_->backward(s.lstm_tapes[t], d_h_prev, d_c, d_h_lstm, d_c_prev, d_x_lstm, *g.lstm_);
        d_h = d_h_lstm;
        d_c = d_c_prev;
      } else {
        d_h = d_h_prev;
      }
    }
  });

  // Sum in shard order.
  double aux = 0;
  for (const BpttShard& s : shards) aux += s.aux;
  std::vector<Eigen::MatrixXf*> total;
  grads.for_each_parameter([&](const ParamRef& p) { total.push_back(p.trainable ? p.value : nullptr); });
  for (BpttShard& s : shards) {
    size_t i = 0;
    s.grads->for_each_parameter([&](const ParamRef& p) {
      if (total[i]) *total[i] += *p.value;
      ++i;
    });
  }
  return aux;
}

}  // namespace liquid::lfm
