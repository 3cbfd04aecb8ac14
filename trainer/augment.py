"""Augmentation in feature space, drawn afresh for every example of every batch: data variety the
generator cannot make fast enough (it writes ~20-70 examples a second; the trainer draws ~200).

For the 'spectrum' front end (lib/pipeline/features.ts): per frame, 3 log-frequency bins per
semitone for S semitones from A0, then S per-semitone rises, then one level feature; featureSize =
4S + 1. Values are dB below a running peak mapped onto 0..1 over 80 dB.

- shift: a key shift of ±1 or ±2 semitones — the spectrum and the rises move along the log axis, the
  labels with them (another string length; edges fill with silence). Only shifts that keep every
  labelled key on the piano.
- eq: a smooth random curve in dB over the log axis (a microphone, a room's boom, a brighter
  instrument), its maximum 0 dB so the running peak it sets stays put; rises and level unchanged.
"""
import numpy as np

BINS_PER_SEMITONE = 3
RANGE_DB = 80.0
NUM_KEYS = 88  # classes 1..88 are A0..C8; 0 is silence


def spectrum_layout(feature_size):
    semitones, rest = divmod(feature_size - 1, BINS_PER_SEMITONE + 1)
    if rest:
        raise SystemExit(f'augmentation needs the spectrum front end (4S + 1 features), not {feature_size}')
    return semitones


def shift_keys(x, classes, rng, p):
    """In place over a batch x [B, T, F], classes [B, T]."""
    semis = spectrum_layout(x.shape[-1])
    bins = semis * BINS_PER_SEMITONE
    for i in range(len(x)):
        if rng.random() >= p:
            continue
        keys = classes[i][classes[i] > 0]
        lo, hi = (keys.min(), keys.max()) if keys.size else (1, NUM_KEYS)
        fits = [s for s in (-2, -1, 1, 2) if lo + s >= 1 and hi + s <= NUM_KEYS]
        if not fits:
            continue
        s = int(rng.choice(fits))
        spec, rise = x[i, :, :bins], x[i, :, bins:bins + semis]
        b = s * BINS_PER_SEMITONE
        if s > 0:
            spec[:, b:] = spec[:, :-b].copy(); spec[:, :b] = 0
            rise[:, s:] = rise[:, :-s].copy(); rise[:, :s] = 0
        else:
            spec[:, :b] = spec[:, -b:].copy(); spec[:, b:] = 0
            rise[:, :s] = rise[:, -s:].copy(); rise[:, s:] = 0
        c = classes[i]
        c[c > 0] += s


def eq_curves(x, rng, p):
    semis = spectrum_layout(x.shape[-1])
    bins = semis * BINS_PER_SEMITONE
    axis = np.arange(bins) / bins  # 0..1 over the log-frequency range
    for i in range(len(x)):
        if rng.random() >= p:
            continue
        curve = rng.uniform(-6, 6) * (axis - 0.5)  # a tilt
        for _ in range(3):
            centre, width, gain = rng.random(), rng.uniform(0.04, 0.2), rng.uniform(-9, 9)
            curve += gain * np.exp(-0.5 * ((axis - centre) / width) ** 2)
        curve -= curve.max()
        spec = x[i, :, :bins]
        audible = spec > 0  # below the floor stays silence
        spec += np.where(audible, curve / RANGE_DB, 0).astype(spec.dtype)
        np.clip(spec, 0, 1, out=spec)
