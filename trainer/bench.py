#!/usr/bin/python3
"""Training speed, one thread: steps/s of forward + backward + Adam on random batches.

  /usr/bin/python3 trainer/bench.py SPEC.json... [--batch N] [--frames N]

Specs from `node dist/scripts/training-spec.js NETWORK NAME`, or any model directory's model.json.
"""
import os
import sys
import time

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nets import Net, read_spec  # noqa: E402

args = sys.argv[1:]
opt_value = {k: int(args[args.index(k) + 1]) for k in ('--batch', '--frames') if k in args}
specs = [x for i, x in enumerate(args) if not x.startswith('--') and (i == 0 or not args[i - 1].startswith('--'))]
batch, frames = opt_value.get('--batch', 16), opt_value.get('--frames', 128)
torch.set_num_threads(1)
for path in specs:
    net = Net(read_spec(path))
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    fs = net.feature_size
    x, c, o = torch.randn(batch, frames, fs), torch.randint(0, 89, (batch, frames)), torch.rand(batch, frames)
    if net.window:
        x, c, o = x.reshape(-1, fs), c.reshape(-1), o.reshape(-1)
    for i in range(23):
        if i == 3:
            t = time.time()
        logits, onset, _ = net(x)
        loss = F.cross_entropy(logits.reshape(-1, 89), c.reshape(-1)) + F.binary_cross_entropy_with_logits(onset, o)
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = sum(p.numel() for p in net.parameters())
    print(f'{net.arch} ({params} parameters): {20 / (time.time() - t):.2f} steps/s (batch {batch} × {frames} frames)')
