#!/usr/bin/python3
"""Training speed, one thread: steps/s of forward + backward + Adam on random batches.

  /usr/bin/python3 trainer/bench.py [BATCH] [FRAMES]
"""
import os
import sys
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nets import ARCH_UNITS, Net  # noqa: E402

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 16
frames = int(sys.argv[2]) if len(sys.argv) > 2 else 128
torch.set_num_threads(1)
for arch in ('lstm', 'gru', 'mlp'):
    net = Net(arch, 393, *ARCH_UNITS[arch])
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    x, c, o = torch.randn(batch, frames, 393), torch.randint(0, 89, (batch, frames)), torch.rand(batch, frames)
    if arch == 'mlp':
        x, c, o = x.reshape(-1, 393), c.reshape(-1), o.reshape(-1)
    for i in range(23):
        if i == 3:
            t = time.time()
        logits, onset, _ = net(x)
        loss = F.cross_entropy(logits.reshape(-1, 89), c.reshape(-1)) + F.binary_cross_entropy_with_logits(onset, o)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f'{arch} {ARCH_UNITS[arch]}: {20 / (time.time() - t):.2f} steps/s (batch {batch} × {frames} frames)')
