// DecisionView: the decisions over time (one line per class probability or forecast value) and the
// current decision, large. Fed from the session's decision ring by the main window's timer.
#pragma once

#include <QWidget>
#include <string>
#include <vector>

#include "gui/history.h"

class QChart;
class QChartView;
class QLabel;
class QLineSeries;
class QValueAxis;

namespace liquid::gui {

class DecisionView : public QWidget {
  Q_OBJECT
 public:
  explicit DecisionView(QWidget* parent = nullptr);
  // Clears the history; `classes`: values are probabilities (y axis 0..1, argmax shown).
  void reset(const std::vector<std::string>& names, bool classes, const QString& placeholder = {});
  void add(double time, int argmax, const std::vector<float>& values);
  void redraw();  // at most once per timer tick, and only when something was added

  size_t count() const { return history_.size(); }
  QString current_text() const;  // what the big label says (tests)

 private:
  std::vector<std::string> names_;
  bool classes_ = true;
  bool dirty_ = false;
  int argmax_ = -1;
  History history_{4000};
  QLabel* current_ = nullptr;
  QLabel* detail_ = nullptr;
  QChart* chart_ = nullptr;
  QChartView* view_ = nullptr;
  QValueAxis* x_ = nullptr;
  QValueAxis* y_ = nullptr;
  std::vector<QLineSeries*> series_;
};

}  // namespace liquid::gui
