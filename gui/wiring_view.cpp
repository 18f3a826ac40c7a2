// WiringView (wiring_view.h).
#include "gui/wiring_view.h"

#include <QGraphicsEllipseItem>
#include <QGraphicsSimpleTextItem>
#include <QMouseEvent>
#include <algorithm>
#include <cmath>

#include "gui/session.h"

namespace liquid::gui {

QColor role_colour(const std::string& role);  // neuron_view.cpp

namespace {
constexpr double kRadius = 11.0, kColumnGap = 140.0, kRowGap = 34.0;

QColor activation_colour(float v, float scale) {
  if (!std::isfinite(v)) return QColor(220, 220, 220);
  const int t = static_cast<int>(255.0f * std::min(1.0f, std::abs(v) / std::max(scale, 1e-6f)));
  return v >= 0 ? QColor(255, 255 - t, 255 - t) : QColor(255 - t, 255 - t, 255);
}
}  // namespace

WiringView::WiringView(QWidget* parent) : QGraphicsView(parent) {
  setScene(&scene_);
  setRenderHint(QPainter::Antialiasing);
  setBackgroundBrush(Qt::white);
}

QPointF WiringView::neuron_position(int k) const {
  return k >= 0 && k < neuron_count() ? neurons_[k]->rect().center() : QPointF();
}

void WiringView::set_stream(const StreamInfo* info) {
  scene_.clear();
  neurons_.clear();
  if (!info || !info->wiring) {
    auto* text = scene_.addSimpleText(info ? "This stream's model has no wiring to draw\n(dense CfC or a trace file)."
                                           : "Open a stream configuration to see the wiring.");
    text->setBrush(Qt::gray);
    scene_.setSceneRect(scene_.itemsBoundingRect().adjusted(-20, -20, 20, 20));
    return;
  }
  const lfm::Wiring& w = *info->wiring;
  // Columns: sensory, then each role present (inter, command, motor), neurons by id.
  std::vector<std::vector<int>> columns(4);
  for (int k = 0; k < w.units(); ++k) {
    switch (w.neuron_type(k)) {
      case lfm::NeuronType::kInter: columns[1].push_back(k); break;
      case lfm::NeuronType::kCommand: columns[2].push_back(k); break;
      case lfm::NeuronType::kMotor: columns[3].push_back(k); break;
    }
  }
  size_t tallest = static_cast<size_t>(w.input_dim());
  for (const auto& c : columns) tallest = std::max(tallest, c.size());
  auto place = [&](size_t index, size_t count, int column) {
    const double y = (index + 0.5 - count / 2.0) * kRowGap * std::max(1.0, double(tallest) / std::max<size_t>(count, 1) * 0.6);
    return QPointF(column * kColumnGap, y);
  };
  std::vector<QPointF> sensory(w.input_dim()), neuron(w.units());
  for (int i = 0; i < w.input_dim(); ++i) sensory[i] = place(i, w.input_dim(), 0);
  int column = 1;
  for (int c = 1; c < 4; ++c) {
    if (columns[c].empty()) continue;
    for (size_t i = 0; i < columns[c].size(); ++i) neuron[columns[c][i]] = place(i, columns[c].size(), column);
    ++column;
  }
  // Synapses first so the neurons sit on top.
  float max_w = 0.0f;
  const bool weighted = info->synapse_weight.rows() == w.units() && info->synapse_weight.cols() == w.units();
  if (weighted) max_w = info->synapse_weight.maxCoeff();
  auto edge = [&](QPointF a, QPointF b, int polarity, float weight) {
    QColor colour = polarity > 0 ? QColor("#2ca02c") : QColor("#d62728");
    colour.setAlpha(150);
    const double width = weighted && max_w > 0 ? 0.5 + 3.0 * weight / max_w : 1.0;
    scene_.addLine(QLineF(a, b), QPen(colour, width))->setZValue(0);
  };
  for (int s = 0; s < w.input_dim(); ++s)
    for (int d = 0; d < w.units(); ++d)
      if (w.sensory_adjacency()(s, d) != 0) edge(sensory[s], neuron[d], w.sensory_adjacency()(s, d), max_w * 0.3f);
  for (int s = 0; s < w.units(); ++s)
    for (int d = 0; d < w.units(); ++d)
      if (w.adjacency()(s, d) != 0 && s != d)
        edge(neuron[s], neuron[d], w.adjacency()(s, d), weighted ? info->synapse_weight(s, d) : 1.0f);
  QFont small = font();
  small.setPointSize(7);
  for (int i = 0; i < w.input_dim(); ++i) {
    auto* e = scene_.addEllipse(QRectF(sensory[i] - QPointF(kRadius, kRadius), QSizeF(2 * kRadius, 2 * kRadius)),
                                QPen(role_colour("sensory"), 2), QBrush(role_colour("sensory").lighter(150)));
    e->setZValue(1);
    e->setToolTip(QString("sensory %1").arg(i));
  }
  for (int k = 0; k < w.units(); ++k) {
    const std::string role(lfm::neuron_type_name(w.neuron_type(k)));
    auto* e = scene_.addEllipse(QRectF(neuron[k] - QPointF(kRadius, kRadius), QSizeF(2 * kRadius, 2 * kRadius)),
                                QPen(role_colour(role), 3), QBrush(Qt::white));
    e->setZValue(1);
    e->setData(0, k);
    e->setToolTip(QString("neuron %1 (%2): click to plot").arg(k).arg(QString::fromStdString(role)));
    e->setCursor(Qt::PointingHandCursor);
    auto* label = scene_.addSimpleText(QString::number(k), small);
    label->setPos(neuron[k] - QPointF(label->boundingRect().width() / 2, label->boundingRect().height() / 2));
    label->setZValue(2);
    neurons_.push_back(e);
  }
  // Column titles.
  const char* titles[] = {"sensory", "inter", "command", "motor"};
  column = 0;
  double top = 0;
  for (const auto& p : sensory) top = std::min(top, p.y());
  for (const auto& p : neuron) top = std::min(top, p.y());
  for (int c = 0; c < 4; ++c) {
    if (c > 0 && columns[c].empty()) continue;
    auto* t = scene_.addSimpleText(titles[c]);
    t->setBrush(role_colour(titles[c]).darker(120));
    t->setPos(column * kColumnGap - t->boundingRect().width() / 2, top - kRadius - 24);
    ++column;
  }
  scene_.setSceneRect(scene_.itemsBoundingRect().adjusted(-10, -10, 10, 10));
  fitInView(scene_.sceneRect(), Qt::KeepAspectRatio);
}

void WiringView::set_activations(const std::vector<float>& values) {
  float scale = 1e-6f;
  for (size_t k = 0; k < neurons_.size() && k < values.size(); ++k)
    if (std::isfinite(values[k])) scale = std::max(scale, std::abs(values[k]));
  for (size_t k = 0; k < neurons_.size(); ++k)
    neurons_[k]->setBrush(k < values.size() ? activation_colour(values[k], scale) : QColor(Qt::white));
}

void WiringView::mousePressEvent(QMouseEvent* event) {
  for (QGraphicsItem* item : items(event->pos())) {
    if (auto* e = dynamic_cast<QGraphicsEllipseItem*>(item); e && e->data(0).isValid()) {
      emit neuron_clicked(e->data(0).toInt());
      return;
    }
  }
  QGraphicsView::mousePressEvent(event);
}

void WiringView::resizeEvent(QResizeEvent* event) {
  QGraphicsView::resizeEvent(event);
  if (!scene_.items().isEmpty()) fitInView(scene_.sceneRect(), Qt::KeepAspectRatio);
}

}  // namespace liquid::gui
