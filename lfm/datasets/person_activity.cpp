#include "lfm/datasets/person_activity.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <utility>


namespace liquid::lfm {

namespace {

constexpr std::array<std::string_view, 4> kTags = {"010-000-024-033", "010-000-030-096",
                                                   "020-000-033-111", "020-000-032-221"};

constexpr std::array<std::pair<std::string_view, int>, 11> kClassMap = {{
    {"lying", 0},
    {"lying down", 0},
    {"sitting", 1},
    {"sitting down", 1},
    {"standing up from lying", 2},
    {"standing up from sitting", 2},
    {"standing up from sitting on the ground", 2},
    {"walking", 3},
    {"falling", 4},
    {"on all fours", 5},
    {"sitting on the ground", 6},
}};

constexpr std::size_t kFields = 8;
// .NET ticks are 100 ns.
constexpr double kTicksPerSecond = 1e7;

SequenceDataset empty_person_activity(std::string name, const PersonActivityOptions& options) {
  SequenceDataset d;
  d.name = std::move(name);
  d.steps = options.steps;
  d.input_names = {"tag_ankle_left", "tag_ankle_right", "tag_chest", "tag_belt", "x", "y", "z"};
  if (options.elapsed_time_input) d.input_names.emplace_back("elapsed");
  d.input_size = static_cast<int>(d.input_names.size());
  d.num_classes = 7;
  d.class_names = {"lying",   "sitting",      "standing up",          "walking",
                   "falling", "on all fours", "sitting on the ground"};
  return d;
}

}  // namespace

PersonActivityOptions PersonActivityOptions::cfc() {
  PersonActivityOptions o;
  o.elapsed_time_input = true;
  o.validation_fraction = 0.0;
  o.test_fraction = 0.2;
  o.seed = 98841;
  return o;
}

DatasetSplits load_person_activity(const std::filesystem::path& file,
                                   const PersonActivityOptions& options) {
  if (options.steps <= 0 || options.stride <= 0 || options.validation_fraction < 0.0 ||
      options.test_fraction < 0.0 || options.validation_fraction + options.test_fraction >= 1.0 ||
      !(options.time_unit_seconds > 0.0)) {
    throw std::invalid_argument(
        "load_person_activity: steps, stride and time unit must be "
        "positive and the validation and test fractions sum below 1");
  }
  SequenceDataset all = empty_person_activity("person_activity/all", options);
  const std::string text = detail::read_text_file(file);
  const double ticks_per_unit = kTicksPerSecond * options.time_unit_seconds;
  const auto tolerance_ticks =
      static_cast<std::int64_t>(options.backward_tolerance_seconds * kTicksPerSecond);

  detail::LabelledSeries series;
  std::string current;  // sequence name of `series`
  std::int64_t previous_ticks = 0;
  std::size_t longest = 0;
  auto flush = [&]() {
    detail::cut_windows(series, options.stride, all);
    longest = std::max(longest, series.rows());
    series = {};
  };

  detail::for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    const auto fields = detail::split_csv_line(line);
    if (fields.size() != kFields) {
      throw DataFormatError(file, line_number, std::min(fields.size(), kFields),
                            "expected 8 fields (sequence, tag, ticks, date, x, y, z, activity), "
                            "found " +
                                std::to_string(fields.size()));
    }
    if (fields[0].empty()) {
      throw DataFormatError(file, line_number, 1, "(sequence) is empty");
    }
    if (fields[0] != current) {
      if (series.rows() > 0) flush();
      current = std::string(fields[0]);
    }
    std::size_t tag = kTags.size();
    for (std::size_t t = 0; t < kTags.size(); ++t) {
      if (fields[1] == kTags[t]) tag = t;
    }
    if (tag == kTags.size()) {
      throw DataFormatError(file, line_number, 2,
                            "(tag) unknown tag id '" + std::string(fields[1]) + "'");
    }
    const auto ticks = detail::parse_int64(fields[2], file, line_number, 3, "ticks");
    // Column 4, the date, repeats the ticks at millisecond resolution; it is not read.
    float elapsed = static_cast<float>(options.first_step_elapsed);
    if (series.rows() > 0) {
      const std::int64_t gap = ticks - previous_ticks;
      if (gap < -tolerance_ticks) {
        throw DataFormatError(file, line_number, 3,
                              "(ticks) time goes back " + std::to_string(-gap / 10000) +
                                  " ms within sequence " + current);
      }
      elapsed = gap < 0 ? 0.0F : static_cast<float>(static_cast<double>(gap) / ticks_per_unit);
    }
    // A row that steps back within the tolerance does not move the clock backwards either, so the
    // next gap is measured from the latest time seen.
    previous_ticks = series.rows() > 0 ? std::max(previous_ticks, ticks) : ticks;

    std::array<float, 3> xyz{};
    static constexpr std::array<std::string_view, 3> kAxis = {"x", "y", "z"};
    for (std::size_t a = 0; a < 3; ++a) {
      xyz[a] = static_cast<float>(
          detail::parse_double(fields[4 + a], file, line_number, 5 + a, kAxis[a]));
    }
    int label = -1;
    for (const auto& [activity, cls] : kClassMap) {
      if (fields[7] == activity) label = cls;
    }
    if (label < 0) {
      throw DataFormatError(file, line_number, 8,
                            "(activity) unknown activity '" + std::string(fields[7]) + "'");
    }
    for (std::size_t t = 0; t < kTags.size(); ++t) series.inputs.push_back(t == tag ? 1.0F : 0.0F);
    series.inputs.insert(series.inputs.end(), xyz.begin(), xyz.end());
    if (options.elapsed_time_input) series.inputs.push_back(elapsed);
    series.timespans.push_back(elapsed);
    series.labels.push_back(label);
  });
  if (series.rows() > 0) flush();
  if (all.size() == 0) {
    throw DataFormatError(file, 0, 0,
                          "no recording has more than " + std::to_string(options.steps) +
                              " rows (longest: " + std::to_string(longest) + ")");
  }

  DatasetSplits splits =
      detail::split_shuffled(all, options.seed, options.validation_fraction, options.test_fraction, "person_activity");

  if (options.normalize) {
    const std::array<int, 3> features = {4, 5, 6};
    splits.normalize(features);
  }
  splits.check_shapes();
  return splits;
}

}  // namespace liquid::lfm
