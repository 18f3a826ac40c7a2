// WiringView: a wired model's graph (ncps's draw_graph layout: sensory, inter, command, motor
// columns, left to right) drawn live: neurons filled by their current activation, outlined by role;
// synapses green (excitatory) or red (inhibitory), thicker for larger |weight|. Clicking a neuron
// emits neuron_clicked so the neuron view plots it.
#pragma once

#include <QGraphicsView>
#include <vector>

namespace liquid::gui {

struct StreamInfo;

class WiringView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit WiringView(QWidget* parent = nullptr);
  // Draws the stream's wiring, or a note when the stream has none (null: nothing open).
  void set_stream(const StreamInfo* info);
  void set_activations(const std::vector<float>& values);  // h of the stream, neuron by neuron
  int neuron_count() const { return static_cast<int>(neurons_.size()); }
  QPointF neuron_position(int k) const;  // scene coordinates (tests click there)

 signals:
  void neuron_clicked(int neuron);

 protected:
  void mousePressEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  QGraphicsScene scene_;
  std::vector<QGraphicsEllipseItem*> neurons_;
};

}  // namespace liquid::gui
