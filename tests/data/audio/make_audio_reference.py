#!/usr/bin/env python3
"""Reference features of an FSDD recording, computed in float64 numpy from the definitions, for
tests/encoders/audio_features_test.cpp. librosa and scipy are not available here, so the mel filterbank
(librosa.filters.mel), the orthonormal DCT-II (scipy.fft.dct(norm='ortho')) and the deltas
(librosa.feature.delta = scipy.signal.savgol_filter(mode='interp')) are written out below. The framing is
the encoder's: no centre padding, frame k = samples [k hop, k hop + win), periodic window, zero padding
to n_fft at the end, time = (k hop + win / 2) / sr.

Run from this folder:  /usr/bin/python3 make_audio_reference.py
Writes reference_<name>.csv: a header `time,<feature names>` and one row per frame.
"""
import wave

import numpy as np

SOURCE = "0_george_0.wav"

CASES = {
    # name: encoder config (the C++ test repeats these numbers)
    "logmel_slaney": dict(win=200, hop=80, n_fft=256, window="hann", n_mels=32, fmin=0.0, fmax=4000.0,
                          htk=False, norm=True, kind="logmel", n_mfcc=0, delta_order=0),
    "mfcc_deltas": dict(win=200, hop=80, n_fft=256, window="hann", n_mels=32, fmin=0.0, fmax=4000.0,
                        htk=False, norm=True, kind="mfcc", n_mfcc=13, delta_order=2, delta_width=9),
    "logmel_htk": dict(win=240, hop=100, n_fft=512, window="hamming", n_mels=24, fmin=100.0, fmax=3800.0,
                       htk=True, norm=False, kind="logmel", n_mfcc=0, delta_order=1, delta_width=5),
}
AMIN = 1e-10


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        sr = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return sr, pcm.astype(np.float64) / 32768.0


def window(kind, n):
    a = 0.5 if kind == "hann" else 0.54
    return a - (1 - a) * np.cos(2 * np.pi * np.arange(n) / n)  # periodic: divide by n, not n - 1


def hz_to_mel(f, htk):
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-300) / min_log_hz) / logstep, f / f_sp)


def mel_to_hz(m, htk):
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    fb = np.zeros((n_mels, len(freqs)))
    for m in range(n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        fb[m] = np.maximum(0.0, np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)))
        if norm:
            fb[m] *= 2.0 / (hi - lo)
    return fb


def dct_ortho(n_out, n_in):
    k, i = np.arange(n_out)[:, None], np.arange(n_in)[None, :]
    d = np.cos(np.pi * k * (2 * i + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    d[0] *= np.sqrt(0.5)
    full = np.cos(np.pi * np.arange(n_in)[:, None] * (2 * i + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    full[0] *= np.sqrt(0.5)
    assert np.allclose(full @ full.T, np.eye(n_in))  # orthonormal, as norm='ortho'
    return d


def savgol_interp(x, width, order):
    """order-th derivative along axis 0 of a degree-`order` least-squares polynomial over `width`
    frames; the first/last width//2 frames use the fit of the first/last window (mode='interp')."""
    n, half = x.shape[0], width // 2
    out = np.zeros_like(x)
    if n < width:  # the C++ encoder's documented fallback: one fit over all frames
        width, half = n, None
    if width <= order:
        return out
    for t in range(n):
        if half is None:
            start = 0
        else:
            start = min(max(t - half, 0), n - width)
        xs = np.arange(width) - (t - start)
        coef = np.polyfit(xs, x[start:start + width], order)  # highest power first
        out[t] = coef[0] * np.prod(np.arange(1, order + 1))  # order-th derivative at xs == 0
    return out


def features(y, sr, c):
    n_frames = 1 + (len(y) - c["win"]) // c["hop"]
    w = window(c["window"], c["win"])
    frames = np.stack([y[k * c["hop"]:k * c["hop"] + c["win"]] * w for k in range(n_frames)])
    power = np.abs(np.fft.rfft(frames, n=c["n_fft"], axis=1)) ** 2
    mel = power @ mel_filters(sr, c["n_fft"], c["n_mels"], c["fmin"], c["fmax"], c["htk"], c["norm"]).T
    feats = 10.0 * np.log10(np.maximum(mel, AMIN))
    prefix = "mel"
    if c["kind"] == "mfcc":
        feats = feats @ dct_ortho(c["n_mfcc"], c["n_mels"]).T
        prefix = "mfcc"
    names = [f"{prefix}_{i}" for i in range(feats.shape[1])]
    blocks = [feats]
    for order in range(1, c["delta_order"] + 1):
        blocks.append(savgol_interp(feats, c["delta_width"], order))
        names += [("d_" if order == 1 else "dd_") + f"{prefix}_{i}" for i in range(feats.shape[1])]
    times = (np.arange(n_frames) * c["hop"] + c["win"] / 2) / sr
    return times, np.hstack(blocks), names


def main():
    sr, y = read_wav(SOURCE)
    for name, c in CASES.items():
        times, values, names = features(y, sr, c)
        with open(f"reference_{name}.csv", "w") as f:
            f.write("# " + SOURCE + ": " + ", ".join(f"{k}={v}" for k, v in c.items()) + "\n")
            f.write("time," + ",".join(names) + "\n")
            for t, row in zip(times, values):
                f.write(f"{t:.9g}," + ",".join(f"{v:.9g}" for v in row) + "\n")
        print(f"reference_{name}.csv: {len(times)} frames x {values.shape[1]} values")


if __name__ == "__main__":
    main()
