"""Does a model's recurrent state know when a key is released? A research probe (issue 19, offsets):
runs a model's body over shards, measures how long the class head holds a key after the label's
release into silence, and fits a logistic read-out of the release from the state and its change.

    /usr/bin/python3 trainer/offset_probe.py MODEL_DIR SHARD_DIR [MAX_SHARDS]
"""
import glob
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nets import load_tfjs  # noqa: E402
from shards import read_shard  # noqa: E402

NEAR = 2  # windows either side of the release that count as finding it (±32 ms)


def body_states(net, shard_dir, max_shards):
    states, classes, probs = [], [], []
    with torch.no_grad():
        for path in sorted(glob.glob(os.path.join(shard_dir, '*.shard')))[:max_shards]:
            _, x, c, _, _ = read_shard(path)
            h, _ = net.body_output(torch.from_numpy(x.astype(np.float32)))
            states.append(h.numpy())
            classes.append(c.copy())
            probs.append(torch.softmax(net.heads['note'](h)[0], -1).numpy())
    return np.concatenate(states), np.concatenate(classes), np.concatenate(probs)


def main():
    torch.set_num_threads(1)
    net, _ = load_tfjs(sys.argv[1])
    net.eval()
    H, C, P = body_states(net, sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
    N, T, D = H.shape
    prev = np.concatenate([np.zeros((N, 1), np.uint8), C[:, :-1]], 1)
    released = (prev != 0) & (C == 0)  # a key's label gives way to silence
    print(f'{N} examples × {T} windows, {released.sum()} releases into silence')
    held = []
    for n, t in zip(*np.nonzero(released)):
        d = 0
        while t + d < T and P[n, t + d].argmax() == prev[n, t]:
            d += 1
        if t + d < T:
            held.append(d)
    print('class head holds the key past the release, windows p10 / p50 / p90:', np.percentile(held, [10, 50, 90]))
    before = np.concatenate([np.zeros((N, 1, D), np.float32), H[:, :-1]], 1)
    X = np.concatenate([H, H - before], -1).reshape(-1, 2 * D)
    y = released.reshape(-1).astype(np.float32)
    cut = int(0.8 * N)
    probe = torch.nn.Linear(2 * D, 1)
    opt = torch.optim.Adam(probe.parameters(), 1e-2)
    weight = torch.tensor(((1 - y.mean()) / y.mean()) ** 0.5)
    xt, yt = torch.from_numpy(X[:cut * T]), torch.from_numpy(y[:cut * T])
    for _ in range(300):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(probe(xt).squeeze(-1), yt, pos_weight=weight)
        loss.backward()
        opt.step()
    with torch.no_grad():
        s = torch.sigmoid(probe(torch.from_numpy(X[cut * T:]))).numpy().reshape(-1, T)
    truth = released[cut:]
    for thr in (0.3, 0.5, 0.7):
        peaks = (s >= thr) & (np.concatenate([np.zeros((s.shape[0], 1)), s[:, :-1]], 1) < thr)
        found = sum(peaks[n, max(0, t - NEAR):t + NEAR + 1].any() for n, t in zip(*np.nonzero(truth)))
        false = sum(not truth[n, max(0, t - NEAR):t + NEAR + 1].any() for n, t in zip(*np.nonzero(peaks)))
        print(f'threshold {thr}: {found} of {truth.sum()} releases found within ±{NEAR} windows; '
              f'{peaks.sum()} peaks, {false} false')


if __name__ == '__main__':
    main()
