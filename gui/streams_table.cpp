// StreamsTable (streams_table.h).
#include "gui/streams_table.h"

#include <QHeaderView>
#include <algorithm>
#include <cmath>

#include "gui/session.h"

namespace liquid::gui {

namespace {
enum Column { kName, kSource, kSamples, kRate, kGap, kStaleness, kDropped, kColumns };

QString seconds(double s) {
  if (!std::isfinite(s)) return "-";
  if (std::abs(s) < 1.0) return QString::number(s * 1000.0, 'f', 0) + " ms";
  if (std::abs(s) < 120.0) return QString::number(s, 'f', 1) + " s";
  return QString::number(s / 60.0, 'f', 1) + " min";
}
}  // namespace

StreamsTable::StreamsTable(QWidget* parent) : QTableWidget(0, kColumns, parent) {
  setHorizontalHeaderLabels({"stream", "source", "samples", "rate", "last gap", "staleness", "dropped"});
  // Fixed widths: ResizeToContents would re-measure every row on every update (costly with
  // thousands of streams). The source (a long "file -> model") takes what is left, elided.
  horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  horizontalHeader()->setSectionResizeMode(kSource, QHeaderView::Stretch);
  for (int c : {kSamples, kRate, kGap, kStaleness, kDropped}) setColumnWidth(c, 72);
  setColumnWidth(kName, 70);
  setTextElideMode(Qt::ElideMiddle);
  verticalHeader()->hide();
  setEditTriggers(QAbstractItemView::NoEditTriggers);
  setSelectionBehavior(QAbstractItemView::SelectRows);
  setAlternatingRowColors(true);
}

void StreamsTable::set_session(const Session* session) {
  session_ = session;
  setRowCount(0);
  if (!session_) return;
  setRowCount(static_cast<int>(session_->streams().size()));
  for (int r = 0; r < rowCount(); ++r) {
    const StreamInfo& info = session_->streams()[r];
    setItem(r, kName, new QTableWidgetItem(QString::fromStdString(info.name)));
    setItem(r, kSource, new QTableWidgetItem(QString::fromStdString(info.source)));
    for (int c = kSamples; c < kColumns; ++c) {
      auto* item = new QTableWidgetItem("-");
      item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      setItem(r, c, item);
    }
  }
}

void StreamsTable::refresh() {
  if (!session_) return;
  // Staleness is measured against the newest time any stream reached (the streams share a clock).
  double now = -INFINITY;
  for (int r = 0; r < rowCount(); ++r) {
    if (session_->live(r).samples.load(std::memory_order_acquire) > 0)
      now = std::max(now, session_->live(r).last_time.load(std::memory_order_relaxed));
  }
  for (int r = 0; r < rowCount(); ++r) {
    const StreamLive& live = session_->live(r);
    const uint64_t n = live.samples.load(std::memory_order_acquire);
    const double first = live.first_time.load(std::memory_order_relaxed);
    const double last = live.last_time.load(std::memory_order_relaxed);
    item(r, kSamples)->setText(QString::number(n));
    item(r, kRate)->setText(n > 1 && last > first ? QString::number((n - 1) / (last - first), 'g', 3) + " /s" : "-");
    item(r, kGap)->setText(n > 1 ? seconds(live.last_gap.load(std::memory_order_relaxed)) : "-");
    const double stale = n > 0 ? now - last : NAN;
    const double timeout = session_->streams()[r].timeout;
    item(r, kStaleness)->setText(n > 0 ? seconds(stale) : "no sample");
    const bool is_stale = n == 0 || (timeout > 0 && stale > timeout);
    item(r, kStaleness)->setForeground(is_stale ? QColor(200, 30, 30) : palette().text().color());
    item(r, kDropped)->setText(QString("%1 late").arg(live.dropped.load(std::memory_order_relaxed)));
  }
}

}  // namespace liquid::gui
