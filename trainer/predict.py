#!/usr/bin/python3
"""Runs a network on features, for the parity test (test/trainer.test.ts) and for debugging:

  /usr/bin/python3 trainer/predict.py (RUN/checkpoint.pt | MODEL_DIR) FEATURES.f32 FRAMES OUT.f32

FEATURES.f32: FRAMES × featureSize float32 (little-endian), one stream from its first frame.
OUT.f32: FRAMES × 89 class probabilities, then FRAMES onset probabilities, then (a network with the
offset head) FRAMES offset probabilities.
"""
import os
import sys

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nets import Net, load_tfjs  # noqa: E402


def load(path):
    if os.path.isdir(path):
        return load_tfjs(path)[0]
    ck = torch.load(path)
    net = Net(ck['spec'])
    net.load_state_dict(ck['net'])
    return net


def main():
    src, feats, frames, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(1)
    net = load(src).eval()
    x = torch.from_numpy(np.fromfile(feats, dtype='<f4').reshape(frames, -1))
    with torch.no_grad():
        logits, onset, offset, _ = net.outputs(x if net.window else x[None])
    probs = torch.softmax(logits.reshape(frames, -1).double(), -1).numpy()
    parts = [probs.reshape(-1)] + [torch.sigmoid(o.reshape(frames).double()).numpy()
                                   for o in (onset, offset) if o is not None]
    np.concatenate(parts).astype('<f4').tofile(out)


if __name__ == '__main__':
    main()
