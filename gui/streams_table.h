// StreamsTable: one row per stream with its source, rate, last gap, staleness and dropped counts,
// read from the counters the session's worker publishes (never from the engine itself).
#pragma once

#include <QTableWidget>

namespace liquid::gui {

class Session;

class StreamsTable : public QTableWidget {
  Q_OBJECT
 public:
  explicit StreamsTable(QWidget* parent = nullptr);
  void set_session(const Session* session);  // null: empty table
  void refresh();  // the numbers, from the session's published counters

 private:
  const Session* session_ = nullptr;
};

}  // namespace liquid::gui
