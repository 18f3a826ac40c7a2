// DecisionView: the decisions over time (one line per class probability or forecast value) and the
// current decision, large. Fed from the session's decision ring by the main window's timer.
// With a fusion that explains its decisions (MultiHeadFusion: named heads, rules, reasons) the big
// label shows every head's value and every rule's state, a panel gives each head's reason (its
// stream and the neurons that drove it), and a list keeps the alerts: rule changes (highlighted)
// and heads taking a new value.
#pragma once

#include <QFont>
#include <QWidget>
#include <string>
#include <vector>

#include "gui/history.h"

class QChart;
class QChartView;
class QLabel;
class QListWidget;
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
  // One decision's explanation (FusionModel::explanation(), JSON). Cheap when nothing changed: only
  // explanations whose head values or rules differ from the previous one are parsed in full.
  void add_explanation(double time, const std::string& json);
  void redraw();  // at most once per timer tick, and only when something was added

  size_t count() const { return history_.size(); }
  QString current_text() const;  // what the big label says (tests)
  QString reasons_text() const;  // the reasons panel, as plain text (tests)
  int alert_count() const;       // rows in the alert list
  QString alert(int row) const;
  // The value a head reading `stream` has now, e.g. "motion: on" (empty if none): the video overlay.
  QString head_for_stream(const std::string& stream) const;

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

  struct HeadState {
    std::string name, value, stream, reason;
    double p = -1.0;
  };
  struct RuleState {
    std::string name, by;
    bool on = false;
  };
  std::vector<HeadState> heads_;
  std::vector<RuleState> rules_;
  std::string fingerprint_;  // the last explanation's head values and rule states
  bool explained_ = false, explanation_dirty_ = false;
  QLabel* reasons_ = nullptr;
  QFont big_font_, explained_font_;
  QListWidget* alerts_ = nullptr;
  void add_alert(double time, const QString& text, bool rule);
};

}  // namespace liquid::gui
