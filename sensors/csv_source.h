// CsvSource: a CSV time series (csv_series.h) as a Source of SeriesRow samples, one per row, in
// file order, at the file's times. The file is read whole when the source is made (memory: see
// csv_series.h), so a parse error surfaces at construction, before any sample has gone out.
#pragma once

#include <filesystem>
#include <string>

#include "sensors/csv_series.h"
#include "sensors/source.h"

namespace liquid::sensors {

class CsvSource : public Source {
 public:
  // `name` is used by describe() (e.g. the file name); `stream` stamps every sample.
  CsvSource(CsvSeries series, std::string name, int stream = 0);
  // Reads `path` with `options`; throws CsvError on bad input.
  explicit CsvSource(const std::filesystem::path& path, const CsvOptions& options = {}, int stream = 0);

  // Fills out.time, out.stream and a SeriesRow (values NaN and present 0 where missing), reusing
  // the row's buffers when `out` already holds a SeriesRow, so steady reading does not allocate.
  bool next(TimedSample& out) override;
  std::string describe() const override;

  const CsvSeries& series() const { return series_; }
  // Starts again from the first row.
  void rewind() { next_row_ = 0; }

 private:
  CsvSeries series_;
  std::string name_;
  int stream_ = 0;
  size_t next_row_ = 0;
};

}  // namespace liquid::sensors
