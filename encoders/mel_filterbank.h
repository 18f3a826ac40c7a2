// The fixed tables of the audio encoder, built once in double precision from their definitions:
// analysis windows, the mel scale and triangular mel filterbank (as librosa.filters.mel), and the
// orthonormal DCT-II (as scipy.fft.dct(type=2, norm='ortho')). tests/data/audio/make_audio_reference.py
// implements the same definitions in numpy.
#pragma once

#include <vector>

namespace liquid::encoders {

enum class WindowKind { kHann, kHamming };
enum class MelScale { kSlaney, kHtk };

// Periodic window of length n (scipy.signal.get_window's default, librosa's too):
// w[i] = a - (1 - a) cos(2 pi i / n), a = 0.5 (Hann) or 0.54 (Hamming).
std::vector<float> make_window(WindowKind kind, int n);

// Slaney: linear below 1 kHz (200/3 Hz per mel), logarithmic above (librosa's default, htk=False).
// HTK: 2595 log10(1 + f / 700).
double hz_to_mel(double hz, MelScale scale);
double mel_to_hz(double mel, MelScale scale);

// A triangular filter over FFT bins [first, first + weights.size()).
struct MelBand {
  int first = 0;
  std::vector<float> weights;
  double low_hz = 0.0, centre_hz = 0.0, high_hz = 0.0;
};

// n_mels triangles with edges equally spaced in mel between fmin and fmax, over the n_fft / 2 + 1 bins of
// a real FFT at sample_rate. slaney_norm scales each triangle by 2 / (high - low) so it has unit area
// (librosa's norm='slaney'). A band that covers no bin is returned with no weights; the caller decides.
std::vector<MelBand> mel_filterbank(int sample_rate, int n_fft, int n_mels, double fmin, double fmax, MelScale scale,
                                    bool slaney_norm);

// Row-major n_out x n_in matrix of the orthonormal DCT-II: row k is s_k cos(pi k (2 i + 1) / (2 n_in)),
// s_0 = sqrt(1 / n_in), s_k = sqrt(2 / n_in).
std::vector<float> dct_ortho_matrix(int n_out, int n_in);

}  // namespace liquid::encoders
