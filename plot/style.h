// Colours and fonts shared by every liquid::plot drawing. The palette is Okabe-Ito, chosen because
// its colours stay distinguishable for the common forms of colour blindness and in greyscale
// print; the order puts the strongest contrasts first since most plots have two or three series.
#pragma once

#include <cstdint>
#include <opencv2/core.hpp>

namespace liquid::plot {

struct Color {
  std::uint8_t r = 0, g = 0, b = 0;
  // OpenCV images are BGR.
  cv::Scalar bgr() const { return cv::Scalar(b, g, r); }
  bool operator==(const Color&) const = default;
};

inline constexpr Color kBlue{0, 114, 178};
inline constexpr Color kVermillion{213, 94, 0};
inline constexpr Color kGreen{0, 158, 115};
inline constexpr Color kOrange{230, 159, 0};
inline constexpr Color kPurple{204, 121, 167};
inline constexpr Color kSkyBlue{86, 180, 233};
inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kYellow{240, 228, 66};

// The i-th colour of the palette (wraps around after eight).
inline Color palette(int i) {
  static constexpr Color colors[] = {kBlue, kVermillion, kGreen, kOrange, kPurple, kSkyBlue, kBlack, kYellow};
  return colors[((i % 8) + 8) % 8];
}

// Greys of the frame, grid and text.
inline constexpr Color kText{30, 30, 30};
inline constexpr Color kAxis{90, 90, 90};
inline constexpr Color kGrid{228, 228, 228};
inline constexpr Color kBackground{255, 255, 255};
inline constexpr Color kMissing{200, 200, 200};  // NaN cells of a heat map

// Font scales for cv::putText(FONT_HERSHEY_SIMPLEX) at the default 1200 x 800 figure; Figure
// multiplies them by its own scale so a bigger figure keeps the same proportions.
struct Fonts {
  double tick = 0.48;
  double label = 0.56;
  double title = 0.66;
  double legend = 0.5;
  double annotation = 0.44;
};

}  // namespace liquid::plot
