// CsvSource: hands out the rows of an in-memory CsvSeries as timed samples.
#include "sensors/csv_source.h"

#include <utility>

namespace liquid::sensors {

CsvSource::CsvSource(CsvSeries series, std::string name, int stream)
    : series_(std::move(series)), name_(std::move(name)), stream_(stream) {}

CsvSource::CsvSource(const std::filesystem::path& path, const CsvOptions& options, int stream)
    : series_(read_csv_series(path, options)), name_(path.string()), stream_(stream) {}

bool CsvSource::next(TimedSample& out) {
  if (next_row_ >= series_.rows()) return false;
  const size_t r = next_row_++;
  const size_t w = series_.width();
  out.time = series_.times[r];
  out.stream = stream_;
  SeriesRow* row = std::get_if<SeriesRow>(&out.payload);
  if (!row) row = &out.payload.emplace<SeriesRow>();
  row->values.assign(series_.row(r), series_.row(r) + w);
  row->present.assign(series_.row_present(r), series_.row_present(r) + w);
  return true;
}

std::string CsvSource::describe() const {
  const bool parts = series_.time_format == TimeFormat::automatic;  // built from year, month, ... columns
  std::string d = "CSV series " + name_ + " (" + std::to_string(series_.rows()) + " rows; time '" +
                  series_.time_column + (parts ? "'" : "' as " + std::string(time_format_name(series_.time_format))) +
                  "; values";
  for (size_t c = 0; c < series_.width(); ++c) d += (c ? ", '" : " '") + series_.columns[c] + "'";
  if (series_.dropped_rows) d += "; " + std::to_string(series_.dropped_rows) + " rows dropped going back in time";
  return d + ")";
}

}  // namespace liquid::sensors
