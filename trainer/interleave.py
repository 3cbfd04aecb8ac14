"""Interleave shard folders for one training run: train.py reads a folder's shards oldest first (by
mtime), so a fine-tune on two sources would otherwise see all of one before the other.

    python3 trainer/interleave.py OUT SRC:N [SRC:N ...]

Hard-links the first N shards (oldest first) of each SRC (a folder, or a glob of shard files) into
OUT and gives them mtimes that spread each source evenly through the run. The links share their
files' inodes, so the sources' own mtimes change with them; their order within a source is kept.
The recipes in models/*/README.md that name it were made with it.
"""
import glob
import os
import sys
import time


def main(argv):
    if len(argv) < 3 or any(':' not in a for a in argv[2:]):
        raise SystemExit(__doc__)
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    items = []
    for arg in argv[2:]:
        src, n = arg.rsplit(':', 1)
        if not n.isdigit():
            raise SystemExit(f'interleave.py: {arg}: the count after the last colon must be a whole number')
        pattern = src if '*' in src else os.path.join(src, '*.shard')
        files = sorted(glob.glob(pattern), key=lambda f: (os.path.getmtime(f), f))[:int(n)]  # ties: by name
        if not files:
            raise SystemExit(f'no shards in {src}')
        # Each source's shards at evenly spaced places in (0, 1): merged, the sources alternate.
        items += [((i + 0.5) / len(files), f) for i, f in enumerate(files)]
    items.sort()
    base = time.time() - len(items) - 10
    names = [os.path.basename(f) for _, f in items]
    if len(set(names)) < len(names):
        # make-shards names shards by seed and worker only: the same seed through two front ends collides.
        clash = sorted({x for x in names if names.count(x) > 1})[0]
        raise SystemExit(f"interleave.py: two sources hold a shard named {clash}; link one's shards under other names first")
    for k, (_, f) in enumerate(items):
        dst = os.path.join(out, os.path.basename(f))
        if not os.path.exists(dst):
            os.link(os.path.realpath(f), dst)
        os.utime(dst, (base + k, base + k))
    print(f'{len(items)} shards in {out}')


if __name__ == '__main__':
    main(sys.argv)
