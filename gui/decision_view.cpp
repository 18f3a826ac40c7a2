// DecisionView (decision_view.h).
#include "gui/decision_view.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QTimeZone>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QRegularExpression>
#include <QSplitter>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

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
  big_font_ = big;
  explained_font_ = big;
  explained_font_.setPointSize(std::max(9, big.pointSize() * 3 / 5));
  detail_ = new QLabel(this);
  detail_->setStyleSheet("color: #555;");
  top->addWidget(current_, 1);
  top->addWidget(detail_, 0, Qt::AlignBottom);
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
  auto* split = new QSplitter(Qt::Horizontal, this);
  view_ = new QChartView(chart_, split);
  view_->setRenderHint(QPainter::Antialiasing);
  auto* side = new QWidget(split);
  auto* side_layout = new QVBoxLayout(side);
  side_layout->setContentsMargins(0, 0, 0, 0);
  reasons_ = new QLabel(side);
  reasons_->setWordWrap(true);
  reasons_->setTextFormat(Qt::RichText);
  reasons_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  alerts_ = new QListWidget(side);
  side_layout->addWidget(reasons_);
  side_layout->addWidget(alerts_, 1);
  split->setSizes({520, 340});
  side->hide();
  layout->addWidget(split, 1);
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
  QFont legend_font = font();
  if (names_.size() > 6) legend_font.setPointSizeF(legend_font.pointSizeF() * 0.8);  // many heads' classes
  chart_->legend()->setFont(legend_font);
  current_->setTextFormat(Qt::PlainText);
  current_->setWordWrap(false);
  current_->setFont(big_font_);
  current_->setText(placeholder.isEmpty() ? "waiting for decisions" : placeholder);
  current_->setStyleSheet("color: #777;");
  detail_->clear();
  dirty_ = false;
  heads_.clear();
  rules_.clear();
  fingerprint_.clear();
  explained_ = explanation_dirty_ = false;
  reasons_->clear();
  alerts_->clear();
  reasons_->parentWidget()->hide();
}

namespace {

// The head values and rule states of an explanation, without parsing it: every "value":"..." and
// "on":true/false in order. Equal fingerprints mean nothing an alert would report has changed.
void fingerprint(const std::string& json, std::string& out) {
  out.clear();
  for (const char* key : {"\"value\":", "\"on\":"}) {
    const std::string k(key);
    for (size_t at = json.find(k); at != std::string::npos; at = json.find(k, at + k.size())) {
      const size_t end = json.find_first_of(",}", at + k.size());
      out.append(json, at + k.size(), end == std::string::npos ? std::string::npos : end - at - k.size());
      out += '|';
    }
  }
}

// A field as text whatever its JSON type (a value may be a string, a number, a boolean or null).
std::string text(const nlohmann::ordered_json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

// Stream times past 1e8 s are Unix times (a sensor log's dates): shown as UTC dates, else seconds.
static QString when(double time) {
  if (time > 1e8 && time < 1e11)
    return QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(time * 1000), QTimeZone::utc()).toString("yyyy-MM-dd hh:mm:ss");
  return QString("t = %1 s").arg(time, 0, 'f', 2);
}

void DecisionView::add_alert(double time, const QString& text, bool rule) {
  auto* item = new QListWidgetItem(QString("%1   %2").arg(when(time), text));
  if (rule) {
    item->setBackground(QColor("#fde2e1"));
    item->setForeground(QColor("#8a1c1c"));
    QFont f = item->font();
    f.setBold(true);
    item->setFont(f);
  }
  alerts_->insertItem(0, item);  // newest first
  while (alerts_->count() > 200) delete alerts_->takeItem(alerts_->count() - 1);
}

void DecisionView::add_explanation(double time, const std::string& json) {
  std::string print;
  fingerprint(json, print);
  const bool changed = json.find("\"changed\":true") != std::string::npos;
  if (explained_ && print == fingerprint_ && !changed) return;
  fingerprint_ = std::move(print);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  if (!explained_) {
    explained_ = true;
    reasons_->parentWidget()->show();
  }
  explanation_dirty_ = true;
  if (const auto heads = j.find("heads"); heads != j.end() && heads->is_object()) {
    for (const auto& [name, h] : heads->items()) {
      auto it = std::find_if(heads_.begin(), heads_.end(), [&](const HeadState& s) { return s.name == name; });
      if (it == heads_.end()) it = heads_.insert(heads_.end(), HeadState{name, "", "", "", -1.0});
      if (!h.is_object()) continue;
      const std::string value = text(h, "value");
      if (value != it->value && value != "none" && value != "unknown" && !value.empty())
        add_alert(time, QString("%1 = %2").arg(QString::fromStdString(name), QString::fromStdString(value)), false);
      it->value = value;
      it->stream = text(h, "stream");
      it->p = h.contains("p") && h["p"].is_number() ? h["p"].get<double>() : -1.0;
      it->reason.clear();
      if (const auto n = h.find("neurons"); n != h.end() && n->is_array())
        for (const auto& e : *n)
          if (e.is_object() && e.contains("n") && e["n"].is_number() && e.contains("c") && e["c"].is_number())
            it->reason += (it->reason.empty() ? "" : ", ") + std::string("n") + std::to_string(e["n"].get<int>()) + " " +
                          QString::number(e["c"].get<double>(), 'f', 2).toStdString();
    }
  }
  if (const auto rules = j.find("rules"); rules != j.end() && rules->is_object()) {
    for (const auto& [name, r] : rules->items()) {
      auto it = std::find_if(rules_.begin(), rules_.end(), [&](const RuleState& s) { return s.name == name; });
      if (it == rules_.end()) it = rules_.insert(rules_.end(), RuleState{name, "", false});
      if (!r.is_object()) continue;
      const bool on = r.contains("on") && r["on"].is_boolean() && r["on"].get<bool>();
      const bool changed = r.contains("changed") && r["changed"].is_boolean() && r["changed"].get<bool>();
      it->by = text(r, "by");
      if (changed || on != it->on)
        add_alert(time,
                  QString("%1 %2%3").arg(QString::fromStdString(name), on ? "ON" : "OFF",
                                         it->by.empty() ? QString() : " (by " + QString::fromStdString(it->by) + ")"),
                  true);
      it->on = on;
    }
  }
}

QString DecisionView::reasons_text() const { return reasons_->text().replace(QRegularExpression("<[^>]*>"), " ").simplified(); }
int DecisionView::alert_count() const { return alerts_->count(); }
QString DecisionView::alert(int row) const { return row >= 0 && row < alerts_->count() ? alerts_->item(row)->text() : QString(); }

QString DecisionView::head_for_stream(const std::string& stream) const {
  QStringList parts;
  for (const HeadState& h : heads_)
    if (h.stream == stream && !h.value.empty()) parts << QString("%1: %2").arg(QString::fromStdString(h.name), QString::fromStdString(h.value));
  return parts.join("  ");
}

void DecisionView::add(double time, int argmax, const std::vector<float>& values) {
  history_.add(time, values);
  argmax_ = argmax;
  dirty_ = true;
}

QString DecisionView::current_text() const { return current_->text().replace(QRegularExpression("<[^>]*>"), "").simplified(); }

void DecisionView::redraw() {
  if (explanation_dirty_) {
    explanation_dirty_ = false;
    QStringList big, lines;
    for (const HeadState& h : heads_) {
      const QString value = h.value.empty() ? "none" : QString::fromStdString(h.value).toHtmlEscaped();
      const bool quiet = value == "none" || value == "unknown";
      big << QString("<span style='color:%1'>%2</span> %3")
                 .arg(quiet ? "#999" : "#222", QString::fromStdString(h.name).toHtmlEscaped(), value);
      QString line = QString("<b>%1</b> = %2").arg(QString::fromStdString(h.name).toHtmlEscaped(), value);
      if (h.p >= 0) line += QString(" (p %1)").arg(h.p, 0, 'f', 2);
      if (!h.stream.empty()) line += " — " + QString::fromStdString(h.stream).toHtmlEscaped();
      if (!h.reason.empty()) line += ": " + QString::fromStdString(h.reason).toHtmlEscaped();
      lines << line;
    }
    for (const RuleState& r : rules_) {
      big << QString(r.on ? "<span style='color:#c0392b'>%1 ON</span>" : "%1 off").arg(QString::fromStdString(r.name));
      lines << QString("<b>%1</b> %2%3").arg(QString::fromStdString(r.name).toHtmlEscaped(), r.on ? "on" : "off",
                                             r.by.empty() ? QString() : " by " + QString::fromStdString(r.by).toHtmlEscaped());
    }
    current_->setTextFormat(Qt::RichText);
    current_->setWordWrap(true);
    current_->setFont(explained_font_);
    current_->setText(big.join(" · "));
    current_->setStyleSheet("color: #222;");
    reasons_->setText(lines.join("<br>"));
  }
  if (!dirty_ || history_.empty()) return;
  dirty_ = false;
  const auto& last = history_.values(history_.size() - 1);
  if (explained_) {
    detail_->setText(when(history_.time(history_.size() - 1)));
  } else if (classes_ && argmax_ >= 0 && argmax_ < static_cast<int>(names_.size())) {
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
