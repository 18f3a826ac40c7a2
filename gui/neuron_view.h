// NeuronView: every neuron of one stream's cell as a heat map (neurons x time, the latest records),
// and the neurons the user picks as lines with their history. Each row is labelled with the
// neuron's role (sensory/inter/command/motor) when the model has an NCP wiring.
// Every stream keeps its recent records, so another stream shows a past at once when chosen; the
// watched one keeps kWatchedRecords, the others kBackgroundRecords (10,000 streams x 4,000 records
// would be gigabytes).
#pragma once

#include <QWidget>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gui/history.h"

class QChart;
class QComboBox;
class QListWidget;
class QListWidgetItem;
class QValueAxis;

namespace liquid::gui {

struct StreamInfo;
class HeatMap;

class NeuronView : public QWidget {
  Q_OBJECT
 public:
  static constexpr size_t kWatchedRecords = 4000, kBackgroundRecords = 256;

  explicit NeuronView(QWidget* parent = nullptr);
  void reset(const std::vector<StreamInfo>& streams);
  void add(int stream, double time, std::span<const float> values);
  void redraw();

  int stream() const { return stream_; }
  void set_stream(int stream);
  // Adds neuron `k` of the current stream to the plotted lines (the wiring view's click).
  void select_neuron(int k);
  std::vector<int> selected() const { return {selected_.begin(), selected_.end()}; }
  size_t plotted_lines() const;
  const History* history(int stream) const;
  // The latest values of the current stream (the wiring view's colours); empty before any record.
  std::vector<float> latest() const;

 signals:
  void stream_changed(int stream);

 private:
  void fill_list();
  void on_item_changed(QListWidgetItem* item);

  std::vector<std::string> stream_names_;
  std::vector<std::vector<std::string>> values_, roles_;
  std::vector<History> histories_;
  int stream_ = -1;
  std::set<int> selected_;
  bool dirty_ = false;
  QComboBox* streams_ = nullptr;
  QListWidget* list_ = nullptr;
  HeatMap* heat_ = nullptr;
  QChart* chart_ = nullptr;
  QValueAxis* x_ = nullptr;
  QValueAxis* y_ = nullptr;
};

}  // namespace liquid::gui
