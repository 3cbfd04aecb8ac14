#!/usr/bin/python3
"""melodyfilter's trainer: PyTorch on the CPU, fed shards that the TS data generator writes
(lib/train/shards.ts), exported to the tfjs layers format that the CLI loads (trainer/nets.py).

  /usr/bin/python3 trainer/train.py --spec SPEC.json --data DATA_DIR --run RUN_DIR --out MODEL_DIR …

SPEC.json says what to train: a model.json without weights, made from lib/model/networks.ts (the network,
its widths, the card) by `node dist/scripts/training-spec.js NETWORK NAME [--units N]`.

`melodyfilter train` starts the data workers and this script together; run it by hand to train on
shards made ahead (scripts/make-shards.ts). Python and PyTorch are needed only to train: Debian's
`apt-get install python3-torch python3-numpy` (PyTorch 1.13) is enough.

Why this shape: on one core a PyTorch step (16 sequences × 128 frames, forward, backward, Adam) is
about 20× faster than tfjs on wasm, so examples, not steps, are now the scarce side: a pool of
examples is refreshed from the shards as they appear, and each example is drawn a few times.
"""
import os

# One BLAS thread: the data workers and the machine's other users have the other cores. (Set before
# numpy and torch load OpenBLAS; Debian's python3-torch calls whatever libblas.so.3 points to, and the
# reference BLAS that is its default is ~10× slower than OpenBLAS: install libopenblas0-pthread.)
os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')
os.environ.setdefault('OMP_NUM_THREADS', '1')

import argparse  # noqa: E402
import glob
import json
import math
import sys
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nets import Net, export_tfjs, load_tfjs, read_spec, widen_weights  # noqa: E402
from shards import read_shard  # noqa: E402
from augment import eq_curves, shift_keys  # noqa: E402


def log(msg):
    print(f'{time.strftime("%H:%M:%S")} {msg}', flush=True)


class Pool:
    """Examples in memory (float16 features), refreshed from a shard directory by a thread: each new
    shard replaces the oldest examples. Draws are uniform over the pool. Once the pool is full, a
    shard is loaded only when the trainer has drawn `reuse` examples for each one loaded since, so
    data made ahead is spread over the run instead of being read in and overwritten unseen; when the
    generator falls behind, examples are simply drawn more often."""

    def __init__(self, data_dir, capacity, frames, feature_size, rng, reuse, front_end='spectrum'):
        self.data_dir, self.capacity, self.frames, self.fs = data_dir, capacity, frames, feature_size
        self.front_end = front_end
        self.feats = np.zeros((capacity, frames, feature_size), dtype=np.float16)
        self.classes = np.zeros((capacity, frames), dtype=np.int64)
        self.onsets = np.zeros((capacity, frames), dtype=np.float32)
        self.size, self.next, self.loaded_examples = 0, 0, 0
        self.drawn, self.drawn_at_full, self.loaded_at_full = 0, None, 0
        self.reuse = reuse
        self.seen = set()
        self.lock = threading.Lock()
        self.rng = rng
        self.stop = False

    def _unseen(self):
        files = []
        for f in glob.glob(os.path.join(self.data_dir, '*.shard')):
            if f in self.seen:
                continue
            try:
                files.append((os.path.getmtime(f), f))
            except OSError:  # deleted by its worker meanwhile
                pass
        return [f for _, f in sorted(files)]

    def _wanted(self):
        if self.size < self.capacity:
            return True
        if self.drawn_at_full is None:
            self.drawn_at_full, self.loaded_at_full = self.drawn, self.loaded_examples
        return self.drawn - self.drawn_at_full >= self.reuse * (self.loaded_examples - self.loaded_at_full)

    def scan(self):
        """Load shards not loaded yet, oldest first, as far as wanted. Returns examples added."""
        added = 0
        for f in self._unseen():
            if not self._wanted():
                break
            self.seen.add(f)
            try:
                header, x, c, o, _ = read_shard(f)
            except (OSError, ValueError) as err:  # deleted under us, or half written by a dead worker
                log(f'skipped shard {f}: {err}')
                continue
            check_front_end(f, header, self.front_end)
            if header['featureSize'] != self.fs or header['frames'] < self.frames:
                raise SystemExit(f'shard {f} has {header["frames"]} frames × {header["featureSize"]} features; '
                                 f'this run needs {self.frames} × {self.fs}')
            n = len(x)
            with self.lock:
                for i in range(n):
                    j = self.next
                    t = self.frames
                    self.feats[j], self.classes[j], self.onsets[j] = x[i, :t], c[i, :t], o[i, :t]
                    self.next = (j + 1) % self.capacity
                    self.size = min(self.capacity, self.size + 1)
            self.loaded_examples += n
            added += n
        return added

    def start(self):
        def loop():
            while not self.stop:
                self.scan()
                time.sleep(1)
        threading.Thread(target=loop, daemon=True).start()

    def batch(self, n):
        with self.lock:
            idx = self.rng.integers(0, self.size, n)
            self.drawn += n
            return self.feats[idx].astype(np.float32), self.classes[idx], self.onsets[idx]


def previous_labels(classes):
    """Each window's label in the window before it (silence before the first)."""
    return torch.cat([torch.zeros_like(classes[:, :1]), classes[:, :-1]], 1)


def release_weights(classes, weight, frames):
    """Per-frame weights of the class loss: `weight` for the `frames` windows from each release into
    silence (a key's label giving way to silence), 1 elsewhere. The network holds a released key
    while its room tail rings (issue 19: note ends 40-120 ms late); these frames teach it the damper."""
    prev = previous_labels(classes)
    released = ((prev != 0) & (classes == 0)).float()
    near = released.clone()
    for k in range(1, frames):
        near[:, k:] = torch.maximum(near[:, k:], released[:, :-k])
    return 1 + (weight - 1) * near


def offset_targets(classes, onsets):
    """The offset head's target, from the labels the shards already hold: 1 in the first window after
    a key's note ends (its label gives way to silence or another key, or the same key is struck again:
    an onset of 1 under an unchanged label), 0.5 in the windows either side (the onset target's
    softening: a release is a fall over a few windows, not an instant), 0 elsewhere."""
    prev = previous_labels(classes)
    ended = (prev != 0) & ((classes != prev) | (onsets >= 1))
    hit = ended.float()
    soft = torch.zeros_like(hit)
    soft[:, 1:] = torch.maximum(soft[:, 1:], hit[:, :-1])
    soft[:, :-1] = torch.maximum(soft[:, :-1], hit[:, 1:])
    return torch.maximum(hit, 0.5 * soft)


def losses(net, x, classes, onsets, release_weight=1.0, release_frames=0, offset_weight=1.0):
    """The TS trainer's loss: categorical cross-entropy of the class softmax plus binary cross-entropy
    of the onset sigmoid, each a mean over frames (the class loss weighted after releases when
    release_weight > 1: release_weights), plus offset_weight × the offset sigmoid's where the network
    has that head. Returns (loss, class loss, accuracy, offset loss or None)."""
    device = next(net.parameters()).device
    x, classes, onsets = x.to(device), classes.to(device), onsets.to(device)
    weights = None
    if release_weight != 1 and release_frames > 0 and classes.dim() == 2:
        weights = release_weights(classes, release_weight, release_frames).reshape(-1)
    offsets = offset_targets(classes, onsets) if net.has_offset and classes.dim() == 2 else None
    if net.window:
        x, classes, onsets = x.reshape(-1, x.shape[-1]), classes.reshape(-1), onsets.reshape(-1)
    logits, onset_logits, offset_logits, _ = net.outputs(x)
    logits = logits.reshape(-1, logits.shape[-1])
    if weights is None:
        ce = F.cross_entropy(logits, classes.reshape(-1))
    else:
        ce = (F.cross_entropy(logits, classes.reshape(-1), reduction='none') * weights).sum() / weights.sum()
    bce = F.binary_cross_entropy_with_logits(onset_logits.reshape(-1), onsets.reshape(-1))
    acc = (logits.argmax(-1) == classes.reshape(-1)).float().mean()
    if offsets is None:
        return ce + bce, ce, acc, None
    off = F.binary_cross_entropy_with_logits(offset_logits.reshape(-1), offsets.reshape(-1))
    return ce + bce + offset_weight * off, ce, acc, off


def validate(net, val, batch):
    if val is None:
        return None
    x, c, o = val
    net.eval()
    tot, acc, off, n = 0.0, 0.0, 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = torch.from_numpy(x[i:i + batch].astype(np.float32))
            loss, _, a, o_loss = losses(net, xb, torch.from_numpy(c[i:i + batch]), torch.from_numpy(o[i:i + batch]))
            k = len(xb)
            tot += loss.item() * k
            acc += a.item() * k
            off += (o_loss.item() if o_loss is not None else 0.0) * k
            n += k
    net.train()
    return {'loss': round(tot / n, 4), 'noteAccuracy': round(acc / n, 4), 'examples': n,
            **({'offsetLoss': round(off / n, 4)} if net.has_offset else {})}


def check_front_end(shard, header, front_end):
    """Shards of another front end have as many features, so only the header tells them apart: a
    network must never learn one window shape's features and be run on another's."""
    if header.get('frontEnd', 'spectrum') != front_end:
        raise SystemExit(f'shard {shard} holds {header.get("frontEnd")} features; this network hears {front_end} '
                         '(make-shards --front-end)')


def load_val(val_dir, frames, fs, front_end='spectrum'):
    if not val_dir:
        return None
    xs, cs, os_ = [], [], []
    for f in sorted(glob.glob(os.path.join(val_dir, '*.shard'))):
        header, x, c, o, _ = read_shard(f)
        check_front_end(f, header, front_end)
        xs.append(x[:, :frames])
        cs.append(c[:, :frames].astype(np.int64))
        os_.append(o[:, :frames])
    if not xs:
        raise SystemExit(f'no shards in validation directory {val_dir}')
    x = np.concatenate(xs)
    if x.shape[-1] != fs:
        raise SystemExit(f'validation shards have {x.shape[-1]} features; this network takes {fs}')
    return x, np.concatenate(cs), np.concatenate(os_)


def lr_factor(frac):
    """The TS trainer's schedule: full rate for 60% of the run, then 0.3×, then 0.1× after 85%."""
    return 1.0 if frac < 0.6 else 0.3 if frac < 0.85 else 0.1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--data', required=True, help='shard directory (may still be filling)')
    p.add_argument('--val', help='validation shard directory (held out: another seed)')
    p.add_argument('--run', required=True, help='run directory: checkpoint.pt, model/ (latest export)')
    p.add_argument('--out', help='model directory written at the end (default RUN/model)')
    p.add_argument('--spec', help='what to train: a model.json without weights (scripts/training-spec.ts); '
                   'a resumed run keeps its checkpoint\'s')
    p.add_argument('--batch', type=int, default=16, help='sequences per step')
    p.add_argument('--frames', type=int, default=128, help='frames per sequence (≤ the shards\')')
    p.add_argument('--lr', type=float, default=2e-3)
    p.add_argument('--clip', type=float, default=5.0, help='gradient norm limit (0: none)')
    p.add_argument('--seconds', type=float, default=3600, help='wall-clock budget of the whole run')
    p.add_argument('--steps', type=float, default=math.inf)
    p.add_argument('--pool', type=int, default=8192, help='examples kept in memory')
    p.add_argument('--min-pool', type=int, default=256, help='examples loaded before the first step')
    p.add_argument('--reuse', type=float, default=1.5,
                   help='once the pool is full, draws per example loaded before the next shard is read')
    p.add_argument('--checkpoint-seconds', type=float, default=300)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='cpu', help='torch device: cpu (default), or cuda where a GPU is at hand')
    p.add_argument('--init', help='start from this model directory\'s weights (same network)')
    p.add_argument('--widen', action='store_true',
                   help='--init may be a narrower network of the same layers: widened, computing the same '
                        'function (nets.widen_weights)')
    p.add_argument('--resume', action='store_true', help='continue RUN/checkpoint.pt')
    p.add_argument('--data-info', default='', help='how the shards were made (recorded in model.json)')
    p.add_argument('--log-every', type=int, default=100)
    p.add_argument('--augment-shift', type=float, default=0.0,
                   help='share of drawn examples shifted ±1-2 keys in feature space (trainer/augment.py)')
    p.add_argument('--augment-eq', type=float, default=0.0,
                   help='share of drawn examples given a random EQ curve in feature space')
    p.add_argument('--release-weight', type=float, default=1.0,
                   help='weight of the class loss on the windows just after a release into silence (1: none)')
    p.add_argument('--release-frames', type=int, default=4,
                   help='windows from a release that --release-weight covers (4: 64 ms)')
    p.add_argument('--offset-weight', type=float, default=1.0,
                   help='weight of the offset head\'s loss, where the spec has that head')
    a = p.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.run, exist_ok=True)
    ckpt_path = os.path.join(a.run, 'checkpoint.pt')
    ck = None
    if a.resume:
        # Nothing to resume is an error, not a fresh start: a fresh start would replace the model
        # the user meant to continue (issue 22).
        if not os.path.exists(ckpt_path):
            raise SystemExit(f'nothing to resume: no {ckpt_path}')
        ck = torch.load(ckpt_path, map_location='cpu')
        if 'spec' not in ck:
            raise SystemExit(f'{ckpt_path} is from a trainer before specs; it cannot be resumed by this one')
    if ck is None and not a.spec:
        raise SystemExit('--spec SPEC.json is needed to start a run (node dist/scripts/training-spec.js NETWORK NAME)')
    spec = ck['spec'] if ck is not None else read_spec(a.spec)
    if ck is not None and a.spec and read_spec(a.spec)['modelTopology'] != spec['modelTopology']:
        raise SystemExit(f'{ckpt_path} trains another network than {a.spec}: a resume keeps its network')
    data_description = a.data_info or a.data
    state = {'step': 0, 'seconds': 0.0, 'examples_drawn': 0}
    seen_before = set()
    net = Net(spec).to(a.device)
    fs = net.feature_size
    opt = torch.optim.Adam(net.parameters(), lr=a.lr)
    if ck is not None:
        net.load_state_dict(ck['net'])
        opt.load_state_dict(ck['opt'])
        state = ck['state']
        seen_before = set(state.get('seen', []))
        # The record of the run covers every stage: examples loaded before, and where each stage began.
        done = ck.get('info', {}).get('training', {})
        state['loaded_before'] = done.get('examplesLoaded', 0)
        first = {'fromStep': 0, 'data': done.get('data'), 'learningRate': done.get('learningRate')}
        state.setdefault('stages', [first])
        rng = np.random.default_rng(a.seed + state['step'])
        log(f'resuming {ckpt_path} at step {state["step"]}, {state["seconds"]:.0f} s')
    elif a.init:
        init, init_info = load_tfjs(a.init)
        # A spec that adds the offset head to the init's network: the init's weights, a new head.
        new_head = net.has_offset and not init.has_offset
        own = [w for w in net.manifest if not (new_head and w['name'].startswith('offset/'))]
        widened = init.manifest != own
        if not widened:
            net.load_weights(dict(init.weights()))
        elif a.widen:
            kinds = {layer['name']: layer['class_name'].lower()
                     for layer in net.spec['modelTopology']['config']['layers']}
            # Only a harmonic layer may be new: it feeds new inputs of the next layer, whose weights into old
            # units are zero, so the function is kept. Any other missing layer is another network.
            fresh = {n: w for n, w in net.weights() if n.startswith('harmonic/')}
            try:
                net.load_weights(widen_weights(dict(init.weights()), own, kinds, rng, fresh=fresh))
            except ValueError as e:
                raise SystemExit(f'--init {a.init} cannot be widened into the spec: {e}')
        else:
            raise SystemExit(f'--init {a.init} is another network (its weights differ from the spec\'s; '
                             '--widen takes a narrower one)')
        if new_head:
            # Releases are rare (~1 window in 20): start the head near that rate, not at 0.5, so
            # its first steps do not push large gradients into the trained body.
            torch.nn.init.constant_(net.heads['offset'].linear.bias, -3.0)
        net.to(a.device)
        # A fine-tune's record says what it started from, and keeps that model's decoder settings
        # (chosen on validation for it) until they are chosen again.
        done = init_info.get('training', {})
        state['init'] = {'model': init_info.get('name'), 'steps': done.get('steps'), 'stages': done.get('stages'),
                         **({'widened': True} if widened else {}), **({'offsetHeadAdded': True} if new_head else {})}
        if 'decoder' in init_info:
            net.card['decoder'] = init_info['decoder']
        log(f'initialised from {a.init}')
    # Known from the checkpoint alone: said before any shard is read or waited for.
    if state['step'] >= a.steps:
        raise SystemExit(f'nothing to train: the checkpoint is at step {state["step"]} and --steps is '
                         f'{a.steps:.0f}; give a larger --steps to go on')
    if state['seconds'] >= a.seconds:
        # --seconds is the whole run's budget, earlier stages included, not this stage's.
        raise SystemExit(f'nothing to train: the run has used {state["seconds"]:.0f} s and --seconds (the whole '
                         f'run\'s budget) is {a.seconds:.0f}; give a larger --seconds to go on')
    if 'stages' in state:
        state['stages'].append({'fromStep': state['step'], 'data': data_description, 'learningRate': a.lr})
    params = sum(p.numel() for p in net.parameters())
    log(f'training {net.card["name"]} ({net.arch}, {params} parameters) batch {a.batch}×{a.frames}, '
        f'lr {a.lr}, {a.seconds:.0f} s budget, {a.threads} thread(s), data {a.data}')

    pool = Pool(a.data, a.pool, a.frames, fs, rng, a.reuse, net.card.get('frontEnd', 'spectrum'))
    pool.seen |= seen_before  # a resumed run reads only shards it has not had
    pool.scan()
    while pool.size < min(a.min_pool, a.pool):
        if seen_before and not pool._unseen():
            # A resumed run whose data directory holds nothing new: read the old shards again
            # rather than wait for shards that may never come.
            log(f'no new shards in {a.data}: reading the ones read before again')
            pool.seen -= seen_before
            seen_before = set()
        elif not pool._unseen():
            log(f'waiting for shards in {a.data} ({pool.size} examples so far)')
            time.sleep(10)
        pool.scan()
    pool.start()
    val = load_val(a.val, a.frames, fs, net.card.get('frontEnd', 'spectrum'))

    def save(ema_loss, ema_acc, final=False):
        # Only finite numbers reach model.json and weights.bin: NaN is not JSON, and a model that
        # does not load is worse than the one it would replace.
        if not math.isfinite(ema_loss) or not all(torch.isfinite(p).all() for p in net.parameters()):
            raise SystemExit(f'loss or weights not finite at step {state["step"]}: nothing saved')
        v = validate(net, val, 64 if not net.window else 8)
        training = {
            'trainer': f'trainer/train.py (PyTorch {torch.__version__})', 'steps': state['step'],
            'seconds': round(state['seconds']), 'batchSize': a.batch, 'frames': a.frames, 'learningRate': a.lr,
            'schedule': '1× to 60% of the run, 0.3× to 85%, then 0.1×', 'gradientClip': a.clip,
            'loss': round(ema_loss, 4), 'noteAccuracy': round(ema_acc, 4), 'examplesDrawn': state['examples_drawn'],
            'examplesLoaded': pool.loaded_examples + state.get('loaded_before', 0), 'pool': a.pool, 'seed': a.seed,
            'data': data_description,
            **({'augment': {'shift': a.augment_shift, 'eq': a.augment_eq}} if a.augment_shift or a.augment_eq else {}),
            **({'releaseWeight': {'weight': a.release_weight, 'frames': a.release_frames}}
               if a.release_weight != 1 else {}),
            **({'offsetWeight': a.offset_weight} if net.has_offset else {}),
            **({'stages': state['stages']} if 'stages' in state else {}),
            **({'initialisedFrom': state['init']} if 'init' in state else {}),
            **({'validation': v} if v else {})}
        state['seen'] = sorted(pool.seen)
        tmp = ckpt_path + '.tmp'
        spec_now = dict(net.spec, userDefinedMetadata=net.card)
        torch.save({'net': net.state_dict(), 'opt': opt.state_dict(), 'state': state, 'spec': spec_now,
                    'info': {'training': training}}, tmp)
        os.replace(tmp, ckpt_path)
        export_tfjs(net, os.path.join(a.run, 'model'), training)
        if final and a.out:
            export_tfjs(net, a.out, training)
        scores = f': validation loss {v["loss"]} accuracy {v["noteAccuracy"]}' if v else ''
        if v and 'offsetLoss' in v:
            scores += f' offset loss {v["offsetLoss"]}'
        log(f'checkpoint at step {state["step"]}{scores}')

    started = time.time() - state['seconds']
    last_ckpt = last_log = time.time()
    steps_at_log = state['step']
    ema_loss = ema_acc = ema_off = float('nan')
    while state['step'] < a.steps and time.time() - started < a.seconds:
        frac = max((time.time() - started) / a.seconds, state['step'] / a.steps)
        for g in opt.param_groups:
            g['lr'] = a.lr * lr_factor(frac)
        x, c, o = pool.batch(a.batch)
        if a.augment_shift > 0:
            shift_keys(x, c, rng, a.augment_shift)
        if a.augment_eq > 0:
            eq_curves(x, rng, a.augment_eq)
        loss, ce, acc, off = losses(net, torch.from_numpy(x), torch.from_numpy(c), torch.from_numpy(o),
                                    a.release_weight, a.release_frames, a.offset_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(net.parameters(), a.clip)
        opt.step()
        state['step'] += 1
        state['examples_drawn'] += a.batch
        state['seconds'] = time.time() - started
        lv, av = loss.item(), acc.item()
        if not math.isfinite(lv):
            raise SystemExit(f'loss is {lv} at step {state["step"]}: training stopped, nothing saved')
        ema_loss = lv if math.isnan(ema_loss) else 0.98 * ema_loss + 0.02 * lv
        ema_acc = av if math.isnan(ema_acc) else 0.98 * ema_acc + 0.02 * av
        if off is not None:
            ov = off.item()
            ema_off = ov if math.isnan(ema_off) else 0.98 * ema_off + 0.02 * ov
        if state['step'] % a.log_every == 0:
            now = time.time()
            rate = (state['step'] - steps_at_log) / (now - last_log)
            reuse = state['examples_drawn'] / max(1, pool.loaded_examples)
            offset = f' offset {ema_off:.4f}' if off is not None else ''
            log(f'step {state["step"]} loss {ema_loss:.4f}{offset} acc {ema_acc:.4f} lr {a.lr * lr_factor(frac):.2e} '
                f'{rate:.2f} steps/s pool {pool.size} loaded {pool.loaded_examples} draws/example {reuse:.1f} '
                f'{state["seconds"]:.0f}s')
            last_log, steps_at_log = now, state['step']
        if time.time() - last_ckpt > a.checkpoint_seconds:
            save(ema_loss, ema_acc)
            last_ckpt = time.time()
    pool.stop = True
    save(ema_loss, ema_acc, final=True)
    log(f'done: {state["step"]} steps in {state["seconds"]:.0f} s; model in {a.out or os.path.join(a.run, "model")}')


if __name__ == '__main__':
    main()
