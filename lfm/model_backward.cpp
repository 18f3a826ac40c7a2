// Backpropagation through time over the sequence face: forward with tapes, then backward from the
// last step to the first, each cell adding its parameter gradients and handing dL/dstate back.
#include <algorithm>
#include <stdexcept>

#include "lfm/model.h"

namespace liquid::lfm {

Model Model::zeros_like() const {
  Model grads = *this;
  grads.for_each_parameter([](const ParamRef& p) {
    if (p.trainable) p.value->setZero();
  });
  return grads;
}

void Model::forward_backward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                             std::span<const float> d_output, Model& grads, std::span<float> output) const {
  const size_t expected = size_t(batch) * steps * output_size();
  if (d_output.size() != expected || (!output.empty() && output.size() != expected))
    throw std::invalid_argument("forward_backward: d_output or output do not match batch " + std::to_string(batch) +
                                " x steps " + std::to_string(steps) + " x outputs " + std::to_string(output_size()));
  forward_backward(input, timespans, batch, steps,
                   [&](std::span<const float> y, std::span<float> d_y) {
                     if (!output.empty()) std::copy(y.begin(), y.end(), output.begin());
                     std::copy(d_output.begin(), d_output.end(), d_y.begin());
                   },
                   grads);
}

void Model::forward_backward(std::span<const float> input, std::span<const float> timespans, int batch, int steps,
                             const LossGradient& loss_gradient, Model& grads) const {
  const int n_in = input_size(), n_out = output_size(), n_state = state_size();
  const size_t bt = size_t(batch) * steps;
  if (input.size() != bt * n_in || timespans.size() != bt)
    throw std::invalid_argument("forward_backward: input or timespans do not match batch " + std::to_string(batch) +
                                " x steps " + std::to_string(steps));
  std::vector<float> output(bt * n_out), d_output(bt * n_out);
  if (grads.cell_.index() != cell_.index() || grads.state_size() != n_state)
    throw std::invalid_argument("forward_backward: grads is not a model of this configuration (use zeros_like)");
  const auto* cfc = std::get_if<CfcCell>(&cell_);
  const auto* wired = std::get_if<WiredCfcCell>(&cell_);
  const auto* ltc = std::get_if<LtcCell>(&cell_);
  const int cell_out_size = cfc ? cfc->config().units : wired ? wired->output_size() : ltc->output_size();

  // Column b of step t is sample b's row t of the batch_first tensors.
  auto gather = [&](std::span<const float> src, int width, int t, Eigen::MatrixXf& dst) {
    dst.resize(width, batch);
    for (int b = 0; b < batch; ++b)
      dst.col(b) = Eigen::Map<const Eigen::VectorXf>(src.data() + (size_t(b) * steps + t) * width, width);
  };

  ModelWorkspace ws = make_workspace(batch);
  Eigen::MatrixXf h = Eigen::MatrixXf::Zero(n_state, batch);
  Eigen::MatrixXf c = Eigen::MatrixXf::Zero(config_.mixed_memory ? n_state : 0, batch);
  std::vector<CfcTape> cfc_tapes(cfc ? steps : 0);
  std::vector<WiredCfcTape> wired_tapes(wired ? steps : 0);
  std::vector<LtcTape> ltc_tapes(ltc ? bt : 0);
  std::vector<LstmTape> lstm_tapes(lstm_ ? steps : 0);
  std::vector<Eigen::MatrixXf> cell_outs(steps);
  Eigen::MatrixXf x, y(n_out, batch);

  for (int t = 0; t < steps; ++t) {
    gather(input, n_in, t, x);
    for (int b = 0; b < batch; ++b) ws.ts(b) = timespans[size_t(b) * steps + t];
    if (lstm_) lstm_->forward_taped(x, h, c, ws.lstm, lstm_tapes[t]);
    Eigen::MatrixXf& cell_out = cell_outs[t];
    cell_out.resize(cell_out_size, batch);
    if (cfc) {
      cfc->resize_tape(cfc_tapes[t], batch);
      cfc->forward_taped(x, h, ws.ts, ws.cfc, cfc_tapes[t]);
      cell_out = h;
    } else if (wired) {
      wired->resize_tape(wired_tapes[t], batch);
      wired->forward_taped(x, h, ws.ts, ws.wired, wired_tapes[t]);
      cell_out = h.bottomRows(cell_out_size);
    } else {
      for (int b = 0; b < batch; ++b) {
        LtcTape& tape = ltc_tapes[size_t(t) * batch + b];
        ltc->resize_tape(tape);
        ltc->forward_taped(x.col(b), h.col(b), ws.ts(b), cell_out.col(b), ws.ltc, tape);
      }
    }
    {
      if (config_.proj_size) {
        y.noalias() = fc_w_ * cell_out;
        y.colwise() += fc_b_.col(0);
      } else {
        y = cell_out;
      }
      for (int b = 0; b < batch; ++b)
        Eigen::Map<Eigen::VectorXf>(output.data() + (size_t(b) * steps + t) * n_out, n_out) = y.col(b);
    }
  }

  loss_gradient(output, d_output);

  // Backward: d_h carries dL/d(state after step t) from the later steps.
  Eigen::MatrixXf d_h = Eigen::MatrixXf::Zero(n_state, batch), d_c = Eigen::MatrixXf::Zero(c.rows(), batch);
  Eigen::MatrixXf d_y, d_cell_out, d_h_new(n_state, batch), d_h_prev(n_state, batch), d_x(n_in, batch);
  Eigen::MatrixXf d_h_lstm(n_state, batch), d_c_prev(c.rows(), batch), d_x_lstm(n_in, batch);
  Eigen::VectorXf d_v_prev(n_state), d_x_col(n_in);
  for (int t = steps - 1; t >= 0; --t) {
    gather(d_output, n_out, t, d_y);
    if (config_.proj_size) {
      // y = fc_w cell_out + fc_b
      grads.fc_w_.noalias() += d_y * cell_outs[t].transpose();
      grads.fc_b_.col(0) += d_y.rowwise().sum();
      d_cell_out.noalias() = fc_w_.transpose() * d_y;
    } else {
      d_cell_out = d_y;
    }
    if (cfc) {
      d_h_new = d_h + d_cell_out;
      cfc->backward(cfc_tapes[t], d_h_new, d_h_prev, d_x, std::get<CfcCell>(grads.cell_), ws.cfc);
    } else if (wired) {
      d_h_new = d_h;
      d_h_new.bottomRows(cell_out_size) += d_cell_out;
      wired->backward(wired_tapes[t], d_h_new, d_h_prev, d_x, std::get<WiredCfcCell>(grads.cell_), ws.wired);
    } else {
      for (int b = 0; b < batch; ++b) {
        ltc->backward(ltc_tapes[size_t(t) * batch + b], d_cell_out.col(b), d_h.col(b), d_v_prev, d_x_col,
                      std::get<LtcCell>(grads.cell_), ws.ltc);
        d_h_prev.col(b) = d_v_prev;
      }
    }
    if (lstm_) {
      // The cell read the LSTM's new h; the LSTM read the previous step's h and c.
      lstm_->backward(lstm_tapes[t], d_h_prev, d_c, d_h_lstm, d_c_prev, d_x_lstm, *grads.lstm_);
      d_h = d_h_lstm;
      d_c = d_c_prev;
    } else {
      d_h = d_h_prev;
    }
  }
}

}  // namespace liquid::lfm
