// A byte-level language-modelling task: predict every next byte of a text corpus from the bytes
// before it. The corpus is one file, or a folder whose regular files (symbolic links skipped) are
// read sorted by name and concatenated. The benchmark's corpus is Debian's licence collection,
// /usr/share/common-licenses (package base-files), shipped concatenated in samples/data/text/.
//
// Our protocol (no paper protocol to follow):
//  * inputs (256): the byte at step t as a one-hot, so a model's input projection is an embedding;
//    no normalisation (the splits carry none).
//  * labels: the byte at t+1, one of 256 classes named "0x00" .. "0xff". Every step of a window is
//    scored: the trainer's cross-entropy is then the mean per predicted byte in nats, and
//    bits per byte = loss / ln 2.
//  * splits: chronological by byte offset. The bytes are cut at 1 - validation - test and 1 - test
//    of their count (defaults 80 % / 10 % / 10 %: the last tenth is the test part, the tenth before
//    it validation); each period is windowed on its own bytes only (no context reaches back into an
//    earlier period, and no label crosses a cut).
//  * windows: `context` steps starting every `stride` bytes from the period's start (stride defaults
//    to context: each byte is predicted once). When bytes remain after the last full window, one more
//    window ends at the period's last label and scores only the steps no earlier window scored, so
//    with stride == context every byte of a period but its first is predicted exactly once.
//  * timespans: 1.
// Memory: a window holds context x 256 floats (1 MB per 1,000 bytes of corpus at stride == context).
// An unreadable, empty or too short file is DataFormatError naming the file.
#pragma once

#include <filesystem>
#include <string>

#include "lfm/dataset.h"

namespace liquid::lfm {

struct TextOptions {
  int context = 256;  // bytes per window, 1 .. 32,768
  int stride = 0;     // bytes between window starts; 0 = context
  double validation_fraction = 0.1;
  double test_fraction = 0.1;
};
inline constexpr int kTextInputs = 256;
inline constexpr int kTextClasses = 256;
inline constexpr int kTextMaxContext = 32768;

// Throws std::invalid_argument naming the option that is out of range.
void check_text_options(const TextOptions& options);

// The corpus's bytes: the file, or the folder's regular files sorted by name and concatenated.
// DataFormatError naming the path if it cannot be read or holds no byte.
std::string read_text_corpus(const std::filesystem::path& path);

// `path` is the corpus file or folder. Throws std::invalid_argument naming the option when options
// are out of range, DataFormatError naming the file when a period is too short for one window.
DatasetSplits load_text(const std::filesystem::path& path, const TextOptions& options = {});

}  // namespace liquid::lfm
