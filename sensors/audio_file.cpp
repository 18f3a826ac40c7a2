// libsndfile does the decoding; this file adds what it leaves out: an in-memory reader (virtual IO),
// a check of the WAV chunk layout (libsndfile silently stops at a data length that is too short),
// and messages that name the file.
#include "sensors/audio_file.h"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <system_error>

namespace liquid::sensors {

namespace {

// Reads up to n bytes at offset into dst, returning how many it read.
using ReadAt = std::function<size_t(int64_t offset, unsigned char* dst, size_t n)>;

uint32_t le32(const unsigned char* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

bool printable_id(const unsigned char* p) {
  return std::all_of(p, p + 4, [](unsigned char c) { return c >= 0x20 && c <= 0x7e; });
}

bool all_zero_from(const ReadAt& read_at, int64_t pos, int64_t size) {
  unsigned char buf[4096];
  while (pos < size) {
    const size_t n = read_at(pos, buf, size_t(std::min<int64_t>(sizeof buf, size - pos)));
    if (n == 0) return false;
    if (std::any_of(buf, buf + n, [](unsigned char c) { return c != 0; })) return false;
    pos += int64_t(n);
  }
  return true;
}

// True when the bytes from pos to the end are a sequence of RIFF chunks (the last may run past the
// end of the file: a truncated LIST hides no audio), zero padding, or fewer than 8 stray bytes.
bool chunks_follow(const ReadAt& read_at, int64_t pos, int64_t size) {
  while (pos + 8 <= size) {
    unsigned char c[8];
    if (read_at(pos, c, 8) != 8) return false;
    if (!printable_id(c)) return all_zero_from(read_at, pos, size);
    const uint32_t len = le32(c + 4);
    pos += 8 + int64_t(len) + (len & 1);
  }
  return true;
}

// Walks a RIFF/WAVE file's chunks up to 'data' and compares its declared length with the file.
// Returns a note for a data chunk that runs past the end; throws when the declared length is
// shorter than the audio that follows it. Anything else (RF64, RIFX, a broken chunk before 'data')
// is left to libsndfile, which has already accepted the file.
std::string check_wav_layout(const ReadAt& read_at, int64_t size, const std::string& name) {
  unsigned char h[12];
  if (size < 12 || read_at(0, h, 12) != 12) return {};
  if (std::memcmp(h, "RIFF", 4) != 0 || std::memcmp(h + 8, "WAVE", 4) != 0) return {};
  int64_t pos = 12;
  int block_align = 0;
  while (pos + 8 <= size) {
    unsigned char c[8];
    if (read_at(pos, c, 8) != 8 || !printable_id(c)) return {};
    const uint32_t len = le32(c + 4);
    if (std::memcmp(c, "fmt ", 4) == 0 && len >= 14) {
      unsigned char b[2];
      if (read_at(pos + 8 + 12, b, 2) == 2) block_align = b[0] | b[1] << 8;
    }
    if (std::memcmp(c, "data", 4) != 0) {
      pos += 8 + int64_t(len) + (len & 1);
      continue;
    }
    const int64_t start = pos + 8;
    const int64_t present = size - start;
    if (int64_t(len) > present) {
      std::string note = "the data chunk declares " + std::to_string(len) + " bytes but the file holds " +
                         std::to_string(present) + " (truncated, or a placeholder length); reading what is there";
      if (block_align > 0 && present % block_align != 0)
        note += ", less a partial frame of " + std::to_string(present % block_align) + " bytes";
      return note;
    }
    const int64_t end = start + len;
    if (chunks_follow(read_at, end + (len & 1), size) || ((len & 1) && chunks_follow(read_at, end, size))) {
      if (block_align > 0 && len % block_align != 0)
        return "the data chunk length " + std::to_string(len) + " is not a whole number of " +
               std::to_string(block_align) + "-byte frames; the last " + std::to_string(len % block_align) +
               " bytes are ignored";
      return {};
    }
    throw SourceError(name + ": WAV header declares a data chunk of " + std::to_string(len) + " bytes at offset " +
                      std::to_string(start) + ", but the " + std::to_string(size - end) +
                      " bytes after it are not RIFF chunks; the declared length is probably wrong and the "
                      "audio after it would be lost");
  }
  return {};
}

// For formats other than WAV: the lines of libsndfile's header log where it found the header at odds
// with the file ("SSND : 8008 (should be 3981)" for a truncated AIFF) and read what is there anyway.
std::string libsndfile_warnings(SNDFILE* file) {
  std::string log(8192, '\0');
  sf_command(file, SFC_GET_LOG_INFO, log.data(), int(log.size()));
  log.resize(std::strlen(log.c_str()));
  std::string found;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start);
    start = end + 1;
    const size_t text = line.find_first_not_of(" *");
    if (text == std::string::npos || (line.find("should be") == std::string::npos && line.rfind("***", 0) != 0)) continue;
    found += (found.empty() ? "" : "; ") + line.substr(text);
  }
  return found.empty() ? "" : "libsndfile read what is there and noticed: " + found;
}

std::string format_name(int format) {
  SF_FORMAT_INFO major{};
  major.format = format & SF_FORMAT_TYPEMASK;
  std::string name = sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.extension
                         ? major.extension
                         : "?";
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: return name + " PCM_S8";
    case SF_FORMAT_PCM_U8: return name + " PCM_U8";
    case SF_FORMAT_PCM_16: return name + " PCM_16";
    case SF_FORMAT_PCM_24: return name + " PCM_24";
    case SF_FORMAT_PCM_32: return name + " PCM_32";
    case SF_FORMAT_FLOAT: return name + " FLOAT";
    case SF_FORMAT_DOUBLE: return name + " DOUBLE";
    default: break;
  }
  SF_FORMAT_INFO sub{};
  sub.format = format & SF_FORMAT_SUBMASK;
  return name + " " + (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 ? sub.name : "?");
}

// libsndfile's virtual IO over a byte span.
struct Memory {
  std::span<const unsigned char> bytes;
  sf_count_t pos = 0;
};
sf_count_t vio_length(void* user) { return sf_count_t(static_cast<Memory*>(user)->bytes.size()); }
sf_count_t vio_seek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<Memory*>(user);
  const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : sf_count_t(m->bytes.size());
  if (offset < -base || offset > sf_count_t(m->bytes.size()) - base) return -1;
  m->pos = base + offset;
  return m->pos;
}
sf_count_t vio_read(void* dst, sf_count_t count, void* user) {
  auto* m = static_cast<Memory*>(user);
  const sf_count_t n = std::clamp<sf_count_t>(sf_count_t(m->bytes.size()) - m->pos, 0, std::max<sf_count_t>(count, 0));
  if (n > 0) std::memcpy(dst, m->bytes.data() + m->pos, size_t(n));
  m->pos += n;
  return n;
}
sf_count_t vio_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t vio_tell(void* user) { return static_cast<Memory*>(user)->pos; }

}  // namespace

struct AudioFileSource::Impl {
  SNDFILE* file = nullptr;
  Memory memory;
  SF_VIRTUAL_IO vio{vio_length, vio_seek, vio_read, vio_write, vio_tell};
  ~Impl() {
    if (file) sf_close(file);
  }
};

AudioFileSource::AudioFileSource(const std::filesystem::path& path, Options options)
    : name_(path.string()), options_(options), impl_(std::make_unique<Impl>()) {
  open(&path);
}

AudioFileSource::AudioFileSource(std::span<const unsigned char> bytes, std::string name, Options options)
    : name_(std::move(name)), options_(options), impl_(std::make_unique<Impl>()) {
  impl_->memory.bytes = bytes;
  open(nullptr);
}

AudioFileSource::~AudioFileSource() = default;

void AudioFileSource::open(const std::filesystem::path* path) {
  if (options_.block_frames < 1 || options_.block_frames > (1 << 24))
    throw SourceError(name_ + ": block_frames is " + std::to_string(options_.block_frames) +
                      "; expected 1 to 16777216");
  int64_t size = 0;
  ReadAt read_at;
  std::ifstream stream;
  if (path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec))
      throw SourceError(name_ + ": cannot open: " +
                        (std::filesystem::exists(*path, ec) ? "not a regular file" : "no such file"));
    size = int64_t(std::filesystem::file_size(*path, ec));
    stream.open(*path, std::ios::binary);
    read_at = [&stream](int64_t offset, unsigned char* dst, size_t n) {
      stream.clear();
      stream.seekg(offset);
      stream.read(reinterpret_cast<char*>(dst), std::streamsize(n));
      return size_t(stream.gcount());
    };
  } else {
    size = int64_t(impl_->memory.bytes.size());
    read_at = [bytes = impl_->memory.bytes](int64_t offset, unsigned char* dst, size_t n) {
      const size_t count = offset >= int64_t(bytes.size()) ? 0 : std::min(n, bytes.size() - size_t(offset));
      if (count > 0) std::memcpy(dst, bytes.data() + offset, count);
      return count;
    };
  }
  if (size == 0) throw SourceError(name_ + ": file is empty (0 bytes); expected an audio file");

  SF_INFO sf{};
  impl_->file = path ? sf_open(path->c_str(), SFM_READ, &sf) : sf_open_virtual(&impl_->vio, SFM_READ, &sf, &impl_->memory);
  if (!impl_->file)
    throw SourceError(name_ + ": not a readable audio file (libsndfile: " + sf_strerror(nullptr) + ")");
  if (sf.channels < 1 || sf.samplerate < 1)
    throw SourceError(name_ + ": header gives " + std::to_string(sf.channels) + " channels at " +
                      std::to_string(sf.samplerate) + " Hz; expected at least 1 channel and 1 Hz");
  info_.sample_rate = sf.samplerate;
  info_.channels = sf.channels;
  info_.frames = sf.frames;
  info_.format = format_name(sf.format);
  const int major = sf.format & SF_FORMAT_TYPEMASK;
  if (major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX)
    info_.note = check_wav_layout(read_at, size, name_);
  else
    info_.note = libsndfile_warnings(impl_->file);
}

bool AudioFileSource::next(TimedSample& out) {
  AudioBlock* block = std::get_if<AudioBlock>(&out.payload);
  if (!block) block = &out.payload.emplace<AudioBlock>();
  block->sample_rate = info_.sample_rate;
  block->channels = info_.channels;
  block->samples.resize(size_t(options_.block_frames) * size_t(info_.channels));
  const sf_count_t n = sf_readf_float(impl_->file, block->samples.data(), options_.block_frames);
  if (n <= 0) {
    block->samples.clear();
    if (sf_error(impl_->file) != SF_ERR_NO_ERROR)
      throw SourceError(name_ + ": read failed at frame " + std::to_string(position_) + ": " + sf_strerror(impl_->file));
    if (position_ < info_.frames)
      throw SourceError(name_ + ": the audio ends at frame " + std::to_string(position_) + " but the header declares " +
                        std::to_string(info_.frames) + " frames");
    return false;
  }
  block->samples.resize(size_t(n) * size_t(info_.channels));
  for (size_t i = 0; i < block->samples.size(); ++i) {
    if (!std::isfinite(block->samples[i]))
      throw SourceError(name_ + ": frame " + std::to_string(position_ + int64_t(i) / info_.channels) + ", channel " +
                        std::to_string(i % size_t(info_.channels)) + ": sample is " +
                        (std::isnan(block->samples[i]) ? "NaN" : "infinite") + "; expected a finite value");
  }
  out.time = double(position_) / info_.sample_rate;
  out.stream = options_.stream;
  position_ += n;
  return true;
}

std::string AudioFileSource::describe() const {
  std::string s = "audio file " + name_ + " (" + std::to_string(info_.sample_rate) + " Hz, " +
                  std::to_string(info_.channels) + " ch, " + std::to_string(info_.frames) + " frames, " +
                  info_.format + ")";
  if (!info_.note.empty()) s += "; note: " + info_.note;
  return s;
}

namespace {
AudioBlock read_all(AudioFileSource& source, AudioFileInfo* info) {
  AudioBlock all;
  all.sample_rate = source.info().sample_rate;
  all.channels = source.info().channels;
  // Grown block by block rather than sized from the header: a compressed file's frame count can lie.
  TimedSample sample;
  while (source.next(sample)) {
    const auto& s = std::get<AudioBlock>(sample.payload).samples;
    all.samples.insert(all.samples.end(), s.begin(), s.end());
  }
  if (info) *info = source.info();
  return all;
}
}  // namespace

AudioBlock read_audio_file(const std::filesystem::path& path, AudioFileInfo* info) {
  AudioFileSource source(path, {.block_frames = 65536});
  return read_all(source, info);
}

AudioBlock read_audio_memory(std::span<const unsigned char> bytes, const std::string& name, AudioFileInfo* info) {
  AudioFileSource source(bytes, name, {.block_frames = 65536});
  return read_all(source, info);
}

}  // namespace liquid::sensors
