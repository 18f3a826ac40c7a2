// FSDD recordings to lfm::SequenceDataset splits (see fsdd.h for the protocol and why).
#include "tasks/fsdd.h"

#include <algorithm>
#include <charconv>
#include <cmath>
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

FsddFeatures fsdd_features(const std::filesystem::path& file, const encoders::AudioFeatureConfig& config) {
  sensors::AudioFileInfo info;
  const sensors::AudioBlock block = sensors::read_audio_file(file, &info);
  if (info.sample_rate != config.sample_rate)
    throw std::runtime_error(file.string() + ": sample rate " + std::to_string(info.sample_rate) +
                             " Hz; the features expect " + std::to_string(config.sample_rate) + " Hz");
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

  // Real (not padded) frames of the training split, for the normalisation.
  std::vector<double> sum(width, 0.0), sum_sq(width, 0.0);
  long long train_frames = 0;
  for (const auto& file : files) {
    const FsddName name = parse_fsdd_name(file);
    const FsddFeatures f = fsdd_features(file, options.features);
    if (f.frames == 0) throw std::runtime_error(file.string() + ": shorter than one analysis window");
    const bool test = name.index < options.test_indices;
    lfm::SequenceDataset& d = test ? splits.test : splits.train;
    const int real = std::min(f.frames, steps);
    d.inputs.insert(d.inputs.end(), f.values.begin(), f.values.begin() + static_cast<size_t>(real) * width);
    d.inputs.resize(d.inputs.size() + static_cast<size_t>(steps - real) * width, 0.0F);
    for (int t = 0; t < steps; ++t) {
      const bool last = t == real - 1;
      d.timespans.push_back(static_cast<float>(f.hop_seconds));
      d.labels.push_back(last ? name.digit : -1);
      d.mask.push_back(last ? 1 : 0);
    }
    if (!test)
      for (int t = 0; t < real; ++t, ++train_frames)
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
    n.apply(splits.test);
  }
  splits.check_shapes();
  return splits;
}

lfm::TrainTask register_fsdd_task() {
  lfm::TaskLoader loader;
  loader.name = "fsdd";
  loader.shape = {fsdd_feature_config().n_mels, 10, 0};
  loader.load = [](const std::filesystem::path& data, bool normalize) {
    FsddOptions options;
    options.normalize = normalize;
    return load_fsdd(data, options);
  };
  return lfm::register_task(std::move(loader));
}

}  // namespace liquid::tasks
