// NeuronView (neuron_view.h) and its heat map.
#include "gui/neuron_view.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPainter>
#include <QSplitter>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "gui/session.h"

namespace liquid::gui {

QColor role_colour(const std::string& role) {  // as lfm/wiring_dot.cpp (ncps's draw_graph)
  if (role == "inter") return QColor("#1f77b4");
  if (role == "command") return QColor("#9467bd");
  if (role == "motor") return QColor("#ff7f0e");
  if (role == "sensory") return QColor("#bcbd22");
  return QColor("#7f7f7f");
}

// Blue (negative) - white - red (positive), scaled by the largest |value| on screen.
class HeatMap : public QWidget {
 public:
  explicit HeatMap(QWidget* parent) : QWidget(parent) { setMinimumHeight(80); }
  const History* history = nullptr;
  const std::vector<std::string>* roles = nullptr;
  int rows = 0;

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    if (!history || history->empty() || rows == 0) {
      p.setPen(Qt::gray);
      p.drawText(rect(), Qt::AlignCenter, "no neuron traces yet");
      return;
    }
    constexpr int kLabel = 46;
    const int columns = std::min<int>(static_cast<int>(history->size()), std::max(1, width() - kLabel));
    const size_t first = history->size() - columns;
    float scale = 1e-6f;
    for (size_t i = first; i < history->size(); ++i)
      for (int k = 0; k < rows; ++k)
        if (std::isfinite(history->value(i, k))) scale = std::max(scale, std::abs(history->value(i, k)));
    QImage image(columns, rows, QImage::Format_RGB32);
    for (int k = 0; k < rows; ++k) {
      for (int c = 0; c < columns; ++c) {
        const float v = history->value(first + c, k);
        if (!std::isfinite(v)) {
          image.setPixel(c, k, qRgb(220, 220, 220));
          continue;
        }
        const int t = static_cast<int>(255.0f * std::min(1.0f, std::abs(v) / scale));
        image.setPixel(c, k, v >= 0 ? qRgb(255, 255 - t, 255 - t) : qRgb(255 - t, 255 - t, 255));
      }
    }
    const QRect area(kLabel, 0, width() - kLabel, height() - 14);
    p.drawImage(area, image);
    const double row_h = double(area.height()) / rows;
    QFont f = font();
    f.setPointSizeF(std::clamp(row_h * 0.55, 5.0, 9.0));
    p.setFont(f);
    for (int k = 0; k < rows; ++k) {
      const QRectF r(0, k * row_h, kLabel - 4, row_h);
      const std::string role = roles && k < int(roles->size()) ? (*roles)[k] : "";
      p.fillRect(QRectF(kLabel - 4, r.top(), 4, row_h), role_colour(role));
      if (row_h >= 6) {
        p.setPen(Qt::black);
        p.drawText(r.adjusted(0, 0, -3, 0), Qt::AlignRight | Qt::AlignVCenter, QString::number(k));
      }
    }
    p.setPen(Qt::darkGray);
    f.setPointSizeF(8);
    p.setFont(f);
    p.drawText(QRect(kLabel, height() - 14, width() - kLabel, 14), Qt::AlignLeft,
               QString("t = %1 s").arg(history->time(first), 0, 'g', 6));
    p.drawText(QRect(kLabel, height() - 14, width() - kLabel, 14), Qt::AlignRight,
               QString("%1 s   |max| %2").arg(history->time(history->size() - 1), 0, 'g', 6).arg(scale, 0, 'g', 3));
  }
};

NeuronView::NeuronView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* top = new QHBoxLayout();
  top->addWidget(new QLabel("Neurons of", this));
  streams_ = new QComboBox(this);
  top->addWidget(streams_, 1);
  layout->addLayout(top);
  auto* split = new QSplitter(Qt::Horizontal, this);
  list_ = new QListWidget(split);
  list_->setToolTip("Tick neurons to plot them as lines");
  auto* right = new QSplitter(Qt::Vertical, split);
  heat_ = new HeatMap(right);
  chart_ = new QChart();
  chart_->setMargins(QMargins(2, 2, 2, 2));
  chart_->legend()->setAlignment(Qt::AlignRight);
  x_ = new QValueAxis(chart_);
  y_ = new QValueAxis(chart_);
  x_->setLabelFormat("%.6g");
  chart_->addAxis(x_, Qt::AlignBottom);
  chart_->addAxis(y_, Qt::AlignLeft);
  auto* view = new QChartView(chart_, right);
  view->setRenderHint(QPainter::Antialiasing);
  right->setSizes({260, 220});
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({120, 500});
  layout->addWidget(split, 1);
  connect(streams_, &QComboBox::currentIndexChanged, this, [this](int i) { set_stream(i); });
  connect(list_, &QListWidget::itemChanged, this, &NeuronView::on_item_changed);
}

void NeuronView::reset(const std::vector<StreamInfo>& streams) {
  stream_names_.clear(), values_.clear(), roles_.clear();
  histories_.assign(streams.size(), History(kBackgroundRecords));
  for (const StreamInfo& s : streams) {
    stream_names_.push_back(s.name);
    values_.push_back(s.values);
    roles_.push_back(s.roles);
  }
  stream_ = -1;
  const QSignalBlocker block(streams_);
  streams_->clear();
  for (const auto& n : stream_names_) streams_->addItem(QString::fromStdString(n));
  set_stream(streams.empty() ? -1 : 0);
}

void NeuronView::set_stream(int stream) {
  if (stream == stream_ || stream >= static_cast<int>(histories_.size())) return;
  if (stream_ >= 0) histories_[stream_].set_capacity(kBackgroundRecords);
  stream_ = stream;
  if (stream_ >= 0) histories_[stream_].set_capacity(kWatchedRecords);
  selected_.clear();
  if (stream_ >= 0) {
    const QSignalBlocker block(streams_);
    streams_->setCurrentIndex(stream_);
    // Start with the outputs (motor neurons, or the first two) plotted, so the lines are not empty.
    for (int k = 0; k < static_cast<int>(roles_[stream_].size()); ++k)
      if (roles_[stream_][k] == "motor") selected_.insert(k);
    for (int k = 0; selected_.empty() && k < std::min<int>(2, values_[stream_].size()); ++k) selected_.insert(k);
  }
  fill_list();
  dirty_ = true;
  redraw();
  emit stream_changed(stream_);
}

void NeuronView::fill_list() {
  const QSignalBlocker block(list_);
  list_->clear();
  if (stream_ < 0) return;
  for (int k = 0; k < static_cast<int>(values_[stream_].size()); ++k) {
    const std::string& role = k < int(roles_[stream_].size()) ? roles_[stream_][k] : "";
    auto* item = new QListWidgetItem(QString::fromStdString(values_[stream_][k]) +
                                     (role.empty() ? "" : "  " + QString::fromStdString(role)), list_);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(selected_.count(k) ? Qt::Checked : Qt::Unchecked);
    item->setForeground(role_colour(role));
    item->setData(Qt::UserRole, k);
  }
}

void NeuronView::on_item_changed(QListWidgetItem* item) {
  const int k = item->data(Qt::UserRole).toInt();
  if (item->checkState() == Qt::Checked) selected_.insert(k);
  else selected_.erase(k);
  dirty_ = true;
  redraw();
}

void NeuronView::select_neuron(int k) {
  if (stream_ < 0 || k < 0 || k >= static_cast<int>(values_[stream_].size())) return;
  selected_.insert(k);
  if (QListWidgetItem* item = list_->item(k)) {
    const QSignalBlocker block(list_);
    item->setCheckState(Qt::Checked);
    list_->setCurrentItem(item);
  }
  dirty_ = true;
  redraw();
}

void NeuronView::add(int stream, double time, std::span<const float> values) {
  if (stream < 0 || stream >= static_cast<int>(histories_.size())) return;
  histories_[stream].add(time, values);
  if (stream == stream_) dirty_ = true;
}

const History* NeuronView::history(int stream) const {
  return stream >= 0 && stream < static_cast<int>(histories_.size()) ? &histories_[stream] : nullptr;
}

std::vector<float> NeuronView::latest() const {
  const History* h = history(stream_);
  if (!h || h->empty()) return {};
  const auto last = h->values(h->size() - 1);
  return {last.begin(), last.end()};
}

size_t NeuronView::plotted_lines() const { return chart_->series().size(); }

void NeuronView::redraw() {
  if (!dirty_) return;
  dirty_ = false;
  const History* h = history(stream_);
  heat_->history = h;
  heat_->roles = stream_ >= 0 ? &roles_[stream_] : nullptr;
  heat_->rows = stream_ >= 0 ? static_cast<int>(values_[stream_].size()) : 0;
  heat_->update();
  // Lines: rebuild the series set only when the selection changed, else just replace the points.
  const auto series = chart_->series();
  bool same = static_cast<size_t>(series.size()) == selected_.size();
  if (same) {
    int i = 0;
    for (int k : selected_) same = same && series[i++]->property("neuron").toInt() == k;
  }
  if (!same) {
    chart_->removeAllSeries();
    int colour = 0;
    for (int k : selected_) {
      auto* s = new QLineSeries(chart_);
      s->setProperty("neuron", k);
      const std::string& role = k < int(roles_[stream_].size()) ? roles_[stream_][k] : "";
      s->setName(QString::fromStdString(values_[stream_][k]) + (role.empty() ? "" : " (" + QString::fromStdString(role) + ")"));
      static const QColor kLines[] = {QColor("#1f77b4"), QColor("#ff7f0e"), QColor("#2ca02c"), QColor("#d62728"),
                                      QColor("#9467bd"), QColor("#8c564b"), QColor("#e377c2"), QColor("#17becf")};
      s->setPen(QPen(kLines[colour++ % 8], 1.5));
      chart_->addSeries(s);
      s->attachAxis(x_);
      s->attachAxis(y_);
    }
  }
  if (!h || h->empty()) return;
  double lo = INFINITY, hi = -INFINITY;
  for (QAbstractSeries* s : chart_->series()) {
    const int k = s->property("neuron").toInt();
    QList<QPointF> list;
    for (const Point& p : decimate(*h, k, 300)) {
      list.append(QPointF(p.x, p.y));
      lo = std::min(lo, p.y), hi = std::max(hi, p.y);
    }
    static_cast<QLineSeries*>(s)->replace(list);
  }
  const double t0 = h->time(0), t1 = h->time(h->size() - 1);
  x_->setRange(t0, t1 > t0 ? t1 : t0 + 1.0);
  if (std::isfinite(lo)) {
    const double pad = std::max(1e-3, (hi - lo) * 0.05);
    y_->setRange(lo - pad, hi + pad);
  }
}

}  // namespace liquid::gui
