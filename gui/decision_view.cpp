// DecisionView (decision_view.h).
#include "gui/decision_view.h"

#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace liquid::gui {

namespace {
// matplotlib's tab10, the colours the rest of liquid's plots use.
const QColor kPalette[] = {QColor("#1f77b4"), QColor("#ff7f0e"), QColor("#2ca02c"), QColor("#d62728"),
                           QColor("#9467bd"), QColor("#8c564b"), QColor("#e377c2"), QColor("#7f7f7f"),
                           QColor("#bcbd22"), QColor("#17becf")};
}  // namespace

DecisionView::DecisionView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  auto* top = new QHBoxLayout();
  current_ = new QLabel("-", this);
  QFont big = current_->font();
  big.setPointSize(big.pointSize() * 2 + 4);
  big.setBold(true);
  current_->setFont(big);
  detail_ = new QLabel(this);
  detail_->setStyleSheet("color: #555;");
  top->addWidget(current_);
  top->addWidget(detail_, 1, Qt::AlignBottom);
  layout->addLayout(top);
  chart_ = new QChart();
  chart_->legend()->setAlignment(Qt::AlignRight);
  chart_->setMargins(QMargins(2, 2, 2, 2));
  x_ = new QValueAxis(chart_);
  y_ = new QValueAxis(chart_);
  x_->setTitleText("time (s)");
  x_->setLabelFormat("%.6g");
  chart_->addAxis(x_, Qt::AlignBottom);
  chart_->addAxis(y_, Qt::AlignLeft);
  view_ = new QChartView(chart_, this);
  view_->setRenderHint(QPainter::Antialiasing);
  layout->addWidget(view_, 1);
}

void DecisionView::reset(const std::vector<std::string>& names, bool classes, const QString& placeholder) {
  names_ = names;
  classes_ = classes;
  history_.clear();
  argmax_ = -1;
  for (QLineSeries* s : series_) {
    chart_->removeSeries(s);
    delete s;
  }
  series_.clear();
  for (size_t k = 0; k < names_.size(); ++k) {
    auto* s = new QLineSeries(chart_);
    s->setName(QString::fromStdString(names_[k]));
    s->setPen(QPen(kPalette[k % 10], 2));
    chart_->addSeries(s);
    s->attachAxis(x_);
    s->attachAxis(y_);
    series_.push_back(s);
  }
  y_->setTitleText(classes ? "probability" : "value");
  y_->setRange(0, 1);
  x_->setRange(0, 1);
  chart_->legend()->setVisible(!names_.empty());
  current_->setText(placeholder.isEmpty() ? "waiting for decisions" : placeholder);
  current_->setStyleSheet("color: #777;");
  detail_->clear();
  dirty_ = false;
}

void DecisionView::add(double time, int argmax, const std::vector<float>& values) {
  history_.add(time, values);
  argmax_ = argmax;
  dirty_ = true;
}

QString DecisionView::current_text() const { return current_->text(); }

void DecisionView::redraw() {
  if (!dirty_ || history_.empty()) return;
  dirty_ = false;
  const auto& last = history_.values(history_.size() - 1);
  if (classes_ && argmax_ >= 0 && argmax_ < static_cast<int>(names_.size())) {
    current_->setText(QString::fromStdString(names_[argmax_]));
    current_->setStyleSheet(QString("color: %1;").arg(kPalette[argmax_ % 10].name()));
    detail_->setText(QString("p = %1 at t = %2 s").arg(last[argmax_], 0, 'f', 3).arg(history_.time(history_.size() - 1), 0, 'g', 6));
  } else {
    QStringList parts;
    for (size_t k = 0; k < names_.size() && k < last.size(); ++k)
      parts << QString("%1 %2").arg(QString::fromStdString(names_[k])).arg(last[k], 0, 'g', 3);
    current_->setText(parts.join("   "));
    current_->setStyleSheet("color: #222;");
    detail_->setText(QString("t = %1 s").arg(history_.time(history_.size() - 1), 0, 'g', 6));
  }
  float lo = classes_ ? 0.0f : INFINITY, hi = classes_ ? 1.0f : -INFINITY;
  for (size_t k = 0; k < series_.size(); ++k) {
    const std::vector<Point> points = decimate(history_, static_cast<int>(k), 400);
    QList<QPointF> list;
    list.reserve(static_cast<qsizetype>(points.size()));
    for (const Point& p : points) {
      list.append(QPointF(p.x, p.y));
      if (!classes_) lo = std::min(lo, static_cast<float>(p.y)), hi = std::max(hi, static_cast<float>(p.y));
    }
    series_[k]->replace(list);  // one change signal instead of one per point
  }
  const double t0 = history_.time(0), t1 = history_.time(history_.size() - 1);
  x_->setRange(t0, t1 > t0 ? t1 : t0 + 1.0);
  if (!classes_ && std::isfinite(lo)) {
    const float pad = std::max(1e-3f, (hi - lo) * 0.05f);
    y_->setRange(lo - pad, hi + pad);
  }
}

}  // namespace liquid::gui
