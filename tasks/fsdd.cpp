// FSDD recordings to lfm::SequenceDataset splits (see fsdd.h for the protocol and why).
#include "tasks/fsdd.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "sensors/audio_file.h"

namespace liquid::tasks {

namespace {

int parse_int(const std::string& text, const std::filesystem::path& file, const char* what) {
  int value = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0)
    throw std::invalid_argument(file.string() + ": the " + what + " '" + text +
                                "' is not a non-negative number; expected {digit}_{speaker}_{index}.wav");
  return value;
}

}  // namespace

FsddName parse_fsdd_name(const std::filesystem::path& file) {
  const std::string stem = file.stem().string();
  const auto first = stem.find('_'), last = stem.rfind('_');
  if (first == std::string::npos || first == last || last == first + 1)
    throw std::invalid_argument(file.string() +
                                ": not an FSDD recording name; expected {digit}_{speaker}_{index}.wav, e.g. "
                                "7_jackson_32.wav");
  FsddName name;
  name.digit = parse_int(stem.substr(0, first), file, "digit");
  if (name.digit > 9)
    throw std::invalid_argument(file.string() + ": digit " + std::to_string(name.digit) + " is not 0-9");
  name.speaker = stem.substr(first + 1, last - first - 1);
  name.index = parse_int(stem.substr(last + 1), file, "index");
  return name;
}

encoders::AudioFeatureConfig fsdd_feature_config() {
  encoders::AudioFeatureConfig c;
  c.sample_rate = 8000;
  c.window_samples = 200;  // 25 ms
  c.hop_samples = 80;      // 10 ms
  c.kind = encoders::AudioFeatureKind::kLogMel;
  c.n_mels = 40;
  return c;
}

namespace {

sensors::AudioBlock read_fsdd_audio(const std::filesystem::path& file, const encoders::AudioFeatureConfig& config) {
  sensors::AudioFileInfo info;
  sensors::AudioBlock block = sensors::read_audio_file(file, &info);
  if (info.sample_rate != config.sample_rate)
    throw std::runtime_error(file.string() + ": sample rate " + std::to_string(info.sample_rate) +
                             " Hz; the features expect " + std::to_string(config.sample_rate) + " Hz");
  return block;
}

FsddFeatures features_of(const sensors::AudioBlock& block, const encoders::AudioFeatureConfig& config) {
  const std::vector<encoders::FeatureFrame> frames = encoders::encode_audio(config, block);
  const encoders::AudioFeatureConfig resolved = encoders::resolve(config);
  FsddFeatures out;
  out.frames = static_cast<int>(frames.size());
  out.width = encoders::AudioFeatureEncoder(resolved).width();
  out.hop_seconds = static_cast<double>(resolved.hop_samples) / resolved.sample_rate;
  out.values.reserve(frames.size() * out.width);
  for (const encoders::FeatureFrame& f : frames) out.values.insert(out.values.end(), f.values.begin(), f.values.end());
  return out;
}

// SplitMix64 and a 64-bit FNV-1a hash of the file name: fixed across platforms and standard
// libraries (std::normal_distribution is not), so the augmented copies are too.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {  // Box-Muller
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

}  // namespace

FsddFeatures fsdd_features(const std::filesystem::path& file, const encoders::AudioFeatureConfig& config) {
  return features_of(read_fsdd_audio(file, config), config);
}

sensors::AudioBlock augment_fsdd(const sensors::AudioBlock& block, const FsddAugmentation& a, const std::string& name,
                                 int copy) {
  Rng rng{a.seed ^ fnv1a(name) ^ (0xD1B54A32D192ED03ull * static_cast<std::uint64_t>(copy + 1))};
  for (int i = 0; i < 4; ++i) rng.next();
  const int channels = std::max(block.channels, 1);
  const auto n = static_cast<std::int64_t>(block.samples.size()) / channels;
  // Mono (FSDD is mono; other channels are averaged in).
  std::vector<double> x(static_cast<size_t>(n), 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (int c = 0; c < channels; ++c) x[i] += block.samples[static_cast<size_t>(i * channels + c)] / channels;
  // Speed: y[j] = x(j * factor), linear interpolation.
  const double factor = 1.0 + rng.uniform(-a.speed, a.speed);
  const auto m = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor((n - 1) / factor)) + 1);
  std::vector<double> y(static_cast<size_t>(m), 0.0);
  for (std::int64_t j = 0; j < m && n > 0; ++j) {
    const double pos = j * factor;
    const auto i = static_cast<std::int64_t>(pos);
    const double frac = pos - i;
    y[j] = i + 1 < n ? x[i] * (1 - frac) + x[i + 1] * frac : x[std::min(i, n - 1)];
  }
  // Gain.
  const double gain = std::pow(10.0, rng.uniform(-a.gain_db, a.gain_db) / 20.0);
  double power = 0;
  for (double& v : y) v *= gain, power += v * v;
  const double rms = std::sqrt(power / static_cast<double>(y.size()));
  // Start: prepend up to shift_seconds of faint noise (60 dB under the signal), or cut as much.
  const auto max_shift = static_cast<std::int64_t>(a.shift_seconds * block.sample_rate);
  const auto shift = static_cast<std::int64_t>(std::llround(rng.uniform(-1.0, 1.0) * static_cast<double>(max_shift)));
  std::vector<double> z;
  if (shift >= 0) {
    z.reserve(static_cast<size_t>(shift) + y.size());
    for (std::int64_t i = 0; i < shift; ++i) z.push_back(rms * 1e-3 * rng.normal());
    z.insert(z.end(), y.begin(), y.end());
  } else {
    // Keep at least half of the recording.
    const auto cut = std::min<std::int64_t>(-shift, static_cast<std::int64_t>(y.size()) / 2);
    z.assign(y.begin() + cut, y.end());
  }
  // Noise.
  const bool noisy = rng.uniform() < a.noise_probability;
  const double snr_db = rng.uniform(a.snr_min_db, a.snr_max_db);
  if (noisy && rms > 0) {
    const double sigma = rms / std::pow(10.0, snr_db / 20.0);
    for (double& v : z) v += sigma * rng.normal();
  }
  sensors::AudioBlock out;
  out.sample_rate = block.sample_rate;
  out.channels = 1;
  out.samples.resize(z.size());
  for (size_t i = 0; i < z.size(); ++i) out.samples[i] = static_cast<float>(std::clamp(z[i], -1.0, 1.0));
  return out;
}

lfm::DatasetSplits load_fsdd(const std::filesystem::path& folder, const FsddOptions& options) {
  if (options.frames < 1) throw std::invalid_argument("load_fsdd: frames must be >= 1");
  if (!std::filesystem::is_directory(folder))
    throw std::runtime_error(folder.string() + ": not a folder of FSDD recordings");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".wav" || ext == ".flac")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // directory order is arbitrary; the splits must not be
  if (files.empty()) throw std::runtime_error(folder.string() + ": no .wav or .flac recordings");

  const int width = encoders::AudioFeatureEncoder(encoders::resolve(options.features)).width();
  const int steps = options.frames;
  lfm::SequenceDataset proto;
  proto.steps = steps;
  proto.input_size = width;
  proto.num_classes = 10;
  proto.input_names = encoders::AudioFeatureEncoder(encoders::resolve(options.features)).names();
  for (int d = 0; d < 10; ++d) proto.class_names.push_back(std::to_string(d));
  lfm::DatasetSplits splits;
  splits.train = proto.empty_like("fsdd/train");
  splits.test = proto.empty_like("fsdd/test");
  splits.validation = proto.empty_like("fsdd/validation");

  // Appends one recording's frames, padded or cut to `steps`, labelled on its last `label_frames`
  // real frames.
  auto append = [&](lfm::SequenceDataset& d, const FsddFeatures& f, int digit, int label_frames,
                    const std::filesystem::path& file) {
    if (f.frames == 0) throw std::runtime_error(file.string() + ": shorter than one analysis window");
    const int real = std::min(f.frames, steps);
    d.inputs.insert(d.inputs.end(), f.values.begin(), f.values.begin() + static_cast<size_t>(real) * width);
    d.inputs.resize(d.inputs.size() + static_cast<size_t>(steps - real) * width, 0.0F);
    for (int t = 0; t < steps; ++t) {
      const bool labelled = t < real && (label_frames <= 0 || t >= real - label_frames);
      d.timespans.push_back(static_cast<float>(f.hop_seconds));
      d.labels.push_back(labelled ? digit : -1);
      d.mask.push_back(labelled ? 1 : 0);
    }
  };
  // Real (not padded) frames of the training split's original recordings, for the normalisation.
  std::vector<double> sum(width, 0.0), sum_sq(width, 0.0);
  long long train_frames = 0;
  for (const auto& file : files) {
    const FsddName name = parse_fsdd_name(file);
    const sensors::AudioBlock audio = read_fsdd_audio(file, options.features);
    const FsddFeatures f = features_of(audio, options.features);
    const bool test = name.index < options.test_indices;
    const bool validation = !test && name.index < options.test_indices + options.validation_indices;
    if (test || validation) {
      append(test ? splits.test : splits.validation, f, name.digit, 1, file);
      continue;
    }
    append(splits.train, f, name.digit, options.label_frames, file);
    for (int c = 0; c < options.augmentation.copies; ++c)
      append(splits.train,
             features_of(augment_fsdd(audio, options.augmentation, file.filename().string(), c), options.features),
             name.digit, options.label_frames, file);
    for (int t = 0; t < std::min(f.frames, steps); ++t, ++train_frames)
      for (int k = 0; k < width; ++k) {
        const double v = f.values[static_cast<size_t>(t) * width + k];
        sum[k] += v, sum_sq[k] += v * v;
      }
  }
  if (options.normalize && train_frames > 0) {
    lfm::Normalization& n = splits.normalization;
    n.names = proto.input_names;
    for (int k = 0; k < width; ++k) {
      const double mean = sum[k] / train_frames;
      const double var = std::max(0.0, sum_sq[k] / train_frames - mean * mean);
      n.mean.push_back(static_cast<float>(mean));
      n.std.push_back(static_cast<float>(std::sqrt(var) > 1e-12 ? std::sqrt(var) : 1.0));
    }
    n.apply(splits.train);
    n.apply(splits.validation);
    n.apply(splits.test);
  }
  splits.check_shapes();
  return splits;
}

FsddOptions fsdd_task_options() {
  FsddOptions o;
  // Chosen on the validation split (index 5-9): samples/kws/README.md lists the runs.
  o.validation_indices = 5;
  o.label_frames = 0;
  o.augmentation.copies = 4;
  return o;
}

lfm::TrainTask register_fsdd_task() {
  lfm::TaskLoader loader;
  loader.name = "fsdd";
  loader.shape = {fsdd_feature_config().n_mels, 10, 0};
  loader.load = [](const std::filesystem::path& data, bool normalize) {
    FsddOptions options = fsdd_task_options();
    options.normalize = normalize;
    return load_fsdd(data, options);
  };
  return lfm::register_task(std::move(loader));
}

}  // namespace liquid::tasks
