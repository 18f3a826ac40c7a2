#include "lfm/datasets/physionet.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <span>
#include <string_view>

#include "lfm/numpy_random.h"

namespace liquid::lfm {

namespace {

// latent_ode's PhysioNet.params, in its order.
constexpr std::array<std::string_view, 41> kParams = {
    "Age",      "Gender",   "Height",   "ICUType",  "Weight",    "Albumin",   "ALP",
    "ALT",      "AST",      "Bilirubin", "BUN",     "Cholesterol", "Creatinine", "DiasABP",
    "FiO2",     "GCS",      "Glucose",  "HCO3",     "HCT",       "HR",        "K",
    "Lactate",  "Mg",       "MAP",      "MechVent", "Na",        "NIDiasABP", "NIMAP",
    "NISysABP", "PaCO2",    "PaO2",     "pH",       "Platelets", "RespRate",  "SaO2",
    "SysABP",   "Temp",     "TroponinI", "TroponinT", "Urine",   "WBC"};
constexpr std::size_t kVars = kParams.size();
constexpr std::size_t kDescriptors = 5;  // Age .. Weight: -1 means unknown

struct Stay {
  std::int64_t id = 0;
  int label = -1;
  std::vector<std::int64_t> quanta;          // per time point: time / quantum
  std::vector<float> values;                 // (time points, kVars), averaged readings
  std::vector<unsigned char> observed;       // (time points, kVars)
  std::size_t points() const { return quanta.size(); }
};

std::size_t param_index(std::string_view name) {
  for (std::size_t i = 0; i < kVars; ++i)
    if (kParams[i] == name) return i;
  return kVars;
}

// "HH:MM" to minutes.
std::int64_t parse_minutes(std::string_view field, const std::filesystem::path& file, std::size_t line) {
  const auto colon = field.find(':');
  auto bad = [&]() {
    return DataFormatError(file, line, 1, "(Time) expected HH:MM, found '" + std::string(field) + "'");
  };
  if (colon == std::string_view::npos || colon == 0 || colon > 3 || field.size() != colon + 3) throw bad();
  std::int64_t hours = 0, minutes = 0;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (i == colon) continue;
    if (field[i] < '0' || field[i] > '9') throw bad();
    (i < colon ? hours : minutes) = (i < colon ? hours : minutes) * 10 + (field[i] - '0');
  }
  if (minutes > 59) throw bad();
  return hours * 60 + minutes;
}

Stay parse_stay(std::string_view text, const std::filesystem::path& file, double quantum) {
  Stay stay;
  stay.quanta.push_back(0);  // latent_ode's tt = [0.0]: the first time point always exists
  stay.values.assign(kVars, 0.0F);
  stay.observed.assign(kVars, 0);
  std::vector<int> readings(kVars, 0);  // readings averaged into the current time point
  bool header = true;
  std::int64_t previous_minutes = 0;
  detail::for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    const auto fields = detail::split_csv_line(line);
    if (header) {
      header = false;
      if (fields.size() != 3 || fields[0] != "Time" || fields[1] != "Parameter" || fields[2] != "Value")
        throw DataFormatError(file, line_number, 0, "expected the header Time,Parameter,Value");
      return;
    }
    if (fields.size() != 3) {
      throw DataFormatError(file, line_number, std::min<std::size_t>(fields.size(), 3) + 1,
                            "expected 3 fields (Time, Parameter, Value), found " +
                                std::to_string(fields.size()));
    }
    const std::int64_t minutes = parse_minutes(fields[0], file, line_number);
    if (minutes < previous_minutes) {
      throw DataFormatError(file, line_number, 1,
                            "(Time) " + std::string(fields[0]) + " goes back before the previous row's time");
    }
    previous_minutes = minutes;
    const double value = detail::parse_double(fields[2], file, line_number, 3, fields[1]);
    if (fields[1] == "RecordID") return;
    const std::size_t p = param_index(fields[1]);
    if (p == kVars) {
      throw DataFormatError(file, line_number, 2,
                            "(Parameter) unknown parameter '" + std::string(fields[1]) + "'");
    }
    // As latent_ode: hours as float(HH) + float(MM) / 60, Python's round (half to even; nearbyint
    // in the default rounding mode) of hours / quantum.
    const double hours = static_cast<double>(minutes / 60) + static_cast<double>(minutes % 60) / 60.0;
    const auto q = static_cast<std::int64_t>(std::nearbyint(hours / quantum));
    if (q != stay.quanta.back()) {
      stay.quanta.push_back(q);
      stay.values.resize(stay.values.size() + kVars, 0.0F);
      stay.observed.resize(stay.observed.size() + kVars, 0);
      std::fill(readings.begin(), readings.end(), 0);
    }
    if (p < kDescriptors && value == -1.0) return;  // "unknown" descriptor
    const std::size_t at = (stay.points() - 1) * kVars + p;
    const int n = readings[p]++;
    stay.values[at] = static_cast<float>((static_cast<double>(stay.values[at]) * n + value) / (n + 1));
    stay.observed[at] = 1;
  });
  if (header) throw DataFormatError(file, 0, 0, "the file is empty");
  return stay;
}

std::int64_t record_id(const std::filesystem::path& name, const std::filesystem::path& file) {
  const std::string stem = name.stem().string();
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(stem.data(), stem.data() + stem.size(), id);
  if (stem.empty() || ec != std::errc() || ptr != stem.data() + stem.size())
    throw DataFormatError(file, 0, 0, "expected a file name <RecordID>.txt");
  return id;
}

std::string gunzip(const std::filesystem::path& file) {
  gzFile in = gzopen(file.string().c_str(), "rb");
  if (in == nullptr) throw DataFormatError(file, 0, 0, "cannot open the file");
  std::string out;
  std::vector<char> buffer(1 << 20);
  while (true) {
    const int n = gzread(in, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(in, &code);
      gzclose(in);
      throw DataFormatError(file, 0, 0, "cannot decompress: " + message);
    }
    if (n == 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  gzclose(in);
  return out;
}

// Calls visit(member name, contents) for each regular file of a ustar/GNU tar image.
template <class Visit>
void for_each_tar_file(std::string_view tar, const std::filesystem::path& file, Visit&& visit) {
  constexpr std::size_t kBlock = 512;
  std::size_t pos = 0;
  while (pos + kBlock <= tar.size()) {
    const std::string_view h = tar.substr(pos, kBlock);
    if (h.find_first_not_of('\0') == std::string_view::npos) return;  // end-of-archive blocks
    auto text = [&](std::size_t at, std::size_t width) {
      const auto f = h.substr(at, width);
      return f.substr(0, f.find('\0'));
    };
    std::size_t size = 0;
    for (const char c : text(124, 12)) {
      if (c == ' ') continue;
      if (c < '0' || c > '7') throw DataFormatError(file, 0, 0, "damaged tar header at byte " + std::to_string(pos));
      size = size * 8 + static_cast<std::size_t>(c - '0');
    }
    pos += kBlock;
    if (pos + size > tar.size()) throw DataFormatError(file, 0, 0, "truncated archive");
    const char type = h[156];
    std::string name(text(0, 100));
    if (text(257, 5) == "ustar" && !text(345, 155).empty()) name = std::string(text(345, 155)) + "/" + name;
    if (type == '0' || type == '\0') visit(name, tar.substr(pos, size));
    pos += (size + kBlock - 1) / kBlock * kBlock;
  }
}

std::vector<Stay> read_stays(const std::filesystem::path& dir, const PhysioNetOptions& options) {
  std::vector<Stay> stays;
  const auto folder = dir / options.records;
  if (std::filesystem::is_directory(folder)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
      if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path());
    for (const auto& f : files) {
      stays.push_back(parse_stay(detail::read_text_file(f), f, options.quantization_hours));
      stays.back().id = record_id(f.filename(), f);
    }
  } else {
    const auto archive = dir / (options.records + ".tar.gz");
    const std::string tar = gunzip(archive);
    for_each_tar_file(tar, archive, [&](const std::string& name, std::string_view contents) {
      const std::filesystem::path member(name);
      if (member.extension() != ".txt") return;
      stays.push_back(parse_stay(contents, archive / member, options.quantization_hours));
      stays.back().id = record_id(member.filename(), archive / member);
    });
  }
  if (stays.empty()) throw DataFormatError(folder, 0, 0, "no <RecordID>.txt stays found (nor in the .tar.gz)");
  std::sort(stays.begin(), stays.end(), [](const Stay& a, const Stay& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < stays.size(); ++i)
    if (stays[i].id == stays[i - 1].id)
      throw DataFormatError(folder, 0, 0, "two stays with RecordID " + std::to_string(stays[i].id));
  return stays;
}

void read_outcomes(const std::filesystem::path& file, std::vector<Stay>& stays) {
  const std::string text = detail::read_text_file(file);
  std::map<std::int64_t, int> death;
  std::vector<std::string_view> header;
  std::size_t id_col = 0, death_col = 0;
  detail::for_each_line(text, [&](std::string_view line, std::size_t line_number) {
    const auto fields = detail::split_csv_line(line);
    if (header.empty()) {
      header = fields;
      auto find = [&](std::string_view name) {
        for (std::size_t i = 0; i < header.size(); ++i)
          if (header[i] == name) return i;
        throw DataFormatError(file, line_number, 0, "header has no column \"" + std::string(name) + "\"");
      };
      id_col = find("RecordID");
      death_col = find("In-hospital_death");
      return;
    }
    if (fields.size() != header.size()) {
      throw DataFormatError(file, line_number, std::min(fields.size(), header.size()) + 1,
                            "expected " + std::to_string(header.size()) + " fields, found " +
                                std::to_string(fields.size()));
    }
    const auto id = detail::parse_int64(fields[id_col], file, line_number, id_col + 1, "RecordID");
    const auto label = detail::parse_int64(fields[death_col], file, line_number, death_col + 1, "In-hospital_death");
    if (label != 0 && label != 1) {
      throw DataFormatError(file, line_number, death_col + 1,
                            "(In-hospital_death) expected 0 or 1, found " + std::to_string(label));
    }
    death[id] = static_cast<int>(label);
  });
  for (Stay& s : stays) {
    const auto it = death.find(s.id);
    if (it == death.end()) throw DataFormatError(file, 0, 0, "no outcome for RecordID " + std::to_string(s.id));
    s.label = it->second;
  }
}

// One stay as a padded window: carried-forward values and indicators, label at the last real step.
void append_stay(const Stay& s, std::span<const float> fill, float quantum, SequenceDataset& out) {
  const auto steps = static_cast<std::size_t>(out.steps);
  std::vector<float> last(fill.begin(), fill.end());
  for (std::size_t t = 0; t < steps; ++t) {
    const bool real = t < s.points();
    for (std::size_t v = 0; v < kVars; ++v)
      if (real && s.observed[t * kVars + v]) last[v] = s.values[t * kVars + v];
    out.inputs.insert(out.inputs.end(), last.begin(), last.end());
    for (std::size_t v = 0; v < kVars; ++v) out.inputs.push_back(real ? s.observed[t * kVars + v] : 0.0F);
    const bool gap = real && t > 0;
    out.timespans.push_back(gap ? static_cast<float>(s.quanta[t] - s.quanta[t - 1]) * quantum : quantum);
    const bool last_step = t + 1 == s.points();
    out.labels.push_back(last_step ? s.label : -1);
    out.mask.push_back(last_step ? 1 : 0);
  }
}

}  // namespace

DatasetSplits load_physionet(const std::filesystem::path& dir, const PhysioNetOptions& options) {
  if (!(options.quantization_hours > 0.0) || !(options.train_fraction > 0.0) || options.train_fraction >= 1.0 ||
      options.validation_fraction < 0.0 || options.validation_fraction >= 1.0) {
    throw std::invalid_argument(
        "load_physionet: the quantum must be positive, train_fraction in (0, 1) and "
        "validation_fraction in [0, 1)");
  }
  std::vector<Stay> stays = read_stays(dir, options);
  read_outcomes(dir / options.outcomes_file, stays);

  // sklearn ShuffleSplit: test = ceil((1 - train_size) n), train = floor(train_size n).
  const int n = static_cast<int>(stays.size());
  const auto order = NumpyRandomState(options.seed).permutation(n);
  const auto n_test = static_cast<std::size_t>(std::ceil((1.0 - options.train_fraction) * n));
  const auto n_train = std::min(static_cast<std::size_t>(std::floor(options.train_fraction * n)), order.size() - n_test);
  const auto n_validation = static_cast<std::size_t>(options.validation_fraction * static_cast<double>(n_train));
  if (n_train == 0) throw DataFormatError(dir, 0, 0, "too few stays (" + std::to_string(n) + ") to split");

  // Mean and population std of each variable over the training stays' observations.
  std::array<double, kVars> sum{}, sum_sq{};
  std::array<std::size_t, kVars> count{};
  for (std::size_t k = n_test + n_validation; k < n_test + n_train; ++k) {
    const Stay& s = stays[static_cast<std::size_t>(order[k])];
    for (std::size_t i = 0; i < s.values.size(); ++i)
      if (s.observed[i]) sum[i % kVars] += s.values[i], ++count[i % kVars];
  }
  std::array<float, kVars> fill{};
  for (std::size_t v = 0; v < kVars; ++v) fill[v] = count[v] ? static_cast<float>(sum[v] / static_cast<double>(count[v])) : 0.0F;
  for (std::size_t k = n_test + n_validation; k < n_test + n_train; ++k) {
    const Stay& s = stays[static_cast<std::size_t>(order[k])];
    for (std::size_t i = 0; i < s.values.size(); ++i) {
      if (!s.observed[i]) continue;
      const double d = s.values[i] - fill[i % kVars];
      sum_sq[i % kVars] += d * d;
    }
  }

  std::size_t longest = 0;
  for (const Stay& s : stays) longest = std::max(longest, s.points());
  SequenceDataset all;
  all.steps = static_cast<int>(longest);
  all.input_size = static_cast<int>(2 * kVars);
  all.num_classes = 2;
  for (const auto p : kParams) all.input_names.emplace_back(p);
  for (const auto p : kParams) all.input_names.push_back("observed_" + std::string(p));
  all.class_names = {"survived", "died"};
  DatasetSplits splits;
  splits.test = all.empty_like("physionet2012/test");
  splits.validation = all.empty_like("physionet2012/validation");
  splits.train = all.empty_like("physionet2012/train");
  const auto quantum = static_cast<float>(options.quantization_hours);
  for (std::size_t k = 0; k < n_test + n_train; ++k) {
    auto& to = k < n_test ? splits.test : k < n_test + n_validation ? splits.validation : splits.train;
    append_stay(stays[static_cast<std::size_t>(order[k])], fill, quantum, to);
  }

  if (options.normalize) {
    // Not fit_normalization: the mask marks one step per stay, and the statistics here are over the
    // observations themselves (carried-forward copies would weight long gaps).
    Normalization& norm = splits.normalization;
    norm.names = all.input_names;
    norm.mean.assign(2 * kVars, 0.0F);
    norm.std.assign(2 * kVars, 1.0F);
    for (std::size_t v = 0; v < kVars; ++v) {
      const double sd = count[v] ? std::sqrt(sum_sq[v] / static_cast<double>(count[v])) : 0.0;
      norm.mean[v] = fill[v];
      norm.std[v] = sd < 1e-12 ? 1.0F : static_cast<float>(sd);
    }
    norm.apply(splits.train);
    norm.apply(splits.validation);
    norm.apply(splits.test);
  }
  splits.check_shapes();
  return splits;
}

}  // namespace liquid::lfm
