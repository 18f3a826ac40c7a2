// SequenceDataset: the in-memory form every training dataset loader produces, whatever the file
// format, so the trainer needs one code path. Windows of equal length, stored flat and row-major in
// the (batch, steps, ...) order Model::forward takes, so a batch is a contiguous slice.
//
// Also here: per-feature normalisation (fitted on the training split only, then applied to every
// split, and kept so a model file can carry it) and the small CSV helpers the loaders share, whose
// errors name file, line and column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace liquid::lfm {

struct SequenceDataset {
  std::string name;  // "occupancy/train", ...
  int steps = 0;     // steps per window
  int input_size = 0;
  int num_classes = 0;                   // classification; 0 for regression
  int output_size = 0;                   // regression: values per step in `targets`
  std::vector<std::string> input_names;  // input_size names
  std::vector<std::string> class_names;  // num_classes names
  std::vector<float> inputs;             // (n, steps, input_size)
  std::vector<float> timespans;          // (n, steps): time since the previous reading, in the
                                         // loader's unit (see its options)
  std::vector<int> labels;               // (n, steps): class per step, -1 = none (classification)
  std::vector<float> targets;            // (n, steps, output_size) (regression)
  std::vector<unsigned char> mask;       // (n, steps): 1 where the step counts in loss and metric

  std::size_t size() const {
    return steps == 0 ? 0 : timespans.size() / static_cast<std::size_t>(steps);
  }
  // Throws std::logic_error unless every array has the size its shape comment says.
  void check_shapes() const;
  // Appends window `index` of `other` (same shape, names and classes).
  void append_window(const SequenceDataset& other, std::size_t index);
  // An empty dataset with this one's shape, names and classes.
  SequenceDataset empty_like(std::string new_name) const;
};

// Per input feature: x' = (x - mean) / std. Features a loader leaves as they are (one-hot codes,
// elapsed time) carry mean 0 and std 1, so applying is always the same loop.
struct Normalization {
  std::vector<std::string> names;  // the input names, to check against a dataset before applying
  std::vector<float> mean;
  std::vector<float> std;

  bool empty() const { return mean.empty(); }
  // Throws std::invalid_argument if the input count or names differ.
  void apply(SequenceDataset& dataset) const;
};

// Mean and population standard deviation (numpy's np.std, as the LTC experiments use) of each
// feature in `features` over every masked step of every window in `train`; other features get the
// identity. Windows that overlap count a row once per window it is in. A feature with std below
// 1e-12 gets std 1 so constant inputs stay finite.
Normalization fit_normalization(const SequenceDataset& train, std::span<const int> features);

struct DatasetSplits {
  SequenceDataset train, validation, test;  // validation may be empty (size() == 0)
  Normalization normalization;              // fitted on train, already applied to all three

  // Fits the normalisation of `features` on the training split only and applies it to all three.
  void normalize(std::span<const int> features);
  void check_shapes() const;
};

// A file that does not parse. line and column are 1-based (column = CSV field), 0 if unknown.
class DataFormatError : public std::runtime_error {
 public:
  DataFormatError(const std::filesystem::path& file, std::size_t line, std::size_t column,
                  const std::string& message);
  const std::filesystem::path& file() const { return file_; }
  std::size_t line() const { return line_; }
  std::size_t column() const { return column_; }

 private:
  std::filesystem::path file_;
  std::size_t line_;
  std::size_t column_;
};

namespace detail {

// Whole file as text; DataFormatError (line 0) if it cannot be opened.
std::string read_text_file(const std::filesystem::path& file);

// Calls visit(line, line_number) for every non-empty line of `text` (1-based numbers, as the
// error messages count them; "\r\n" endings tolerated by the field parsers).
template <class Visit>
void for_each_line(std::string_view text, Visit&& visit) {
  std::size_t line_number = 0, pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, (end == std::string_view::npos ? text.size() : end) - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    if (line.empty() || line == "\r") continue;
    visit(line, line_number);
  }
}

// One CSV line split on commas, with surrounding double quotes stripped from each field (the
// occupancy files quote their header, ids and dates). No embedded commas or escaped quotes: none
// of the datasets have them.
std::vector<std::string_view> split_csv_line(std::string_view line);

// The index of each wanted column in a CSV header row (split_csv_line's fields). A wanted name may
// list aliases separated by '|' ("adj close|adj_close"); names compare without case; a name that
// starts with '?' is optional (-1 when absent). A missing required column is a DataFormatError
// naming the file, the header's line, the column and every column expected.
std::vector<int> header_columns(const std::vector<std::string_view>& header, std::initializer_list<std::string_view> wanted,
                                const std::filesystem::path& file, std::size_t line);

// Field parsers: the whole field must be the number, else DataFormatError naming the column.
double parse_double(std::string_view field, const std::filesystem::path& file, std::size_t line,
                    std::size_t column, std::string_view column_name);
// The LTC scripts' split: windows shuffled with numpy's RandomState(seed).permutation, the first
// int(validation_fraction n) to validation, the next int(test_fraction n) to test, the rest to
// training, each in permutation order. Splits are named "<name>/train" etc.
DatasetSplits split_shuffled(const SequenceDataset& all, std::uint32_t seed, double validation_fraction,
                             double test_fraction, const std::string& name);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); the
// loaders' dates have no time zone, and only differences matter.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);

std::int64_t parse_int64(std::string_view field, const std::filesystem::path& file,
                         std::size_t line, std::size_t column, std::string_view column_name);

// One recording as rows: inputs (rows, input_size), timespans (rows), labels (rows).
struct LabelledSeries {
  std::vector<float> inputs;
  std::vector<float> timespans;
  std::vector<int> labels;
  std::size_t rows() const { return timespans.size(); }
};

// Appends to `out` the windows of `series` starting at 0, stride, 2 stride, ... while the start is
// below rows - steps: the range(0, rows - steps, stride) of the LTC and CfC scripts, which leaves
// out the last full window. Every step is masked in. Returns the number of windows added.
std::size_t cut_windows(const LabelledSeries& series, int stride, SequenceDataset& out);

}  // namespace detail
}  // namespace liquid::lfm
