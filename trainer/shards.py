"""Reads the shards that lib/train/shards.ts writes (see the format there)."""
import json
import numpy as np

MAGIC = b'MFSHARD1'


def read_shard(path):
    """-> (header, features float16 [N, T, F], classes uint8 [N, T], onsets float32 [N, T], kinds uint8 [N])."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise ValueError(f'{path}: not a melodyfilter shard')
    n = int.from_bytes(data[8:12], 'little')
    header = json.loads(data[12:12 + n].decode('utf8'))
    c, t, fs = header['count'], header['frames'], header['featureSize']
    p = 12 + n
    feats = np.frombuffer(data, dtype='<f2', count=c * t * fs, offset=p).reshape(c, t, fs)
    p += c * t * fs * 2
    classes = np.frombuffer(data, dtype=np.uint8, count=c * t, offset=p).reshape(c, t)
    p += c * t
    onsets = np.frombuffer(data, dtype=np.uint8, count=c * t, offset=p).reshape(c, t).astype(np.float32) / 2
    p += c * t
    kinds = np.frombuffer(data, dtype=np.uint8, count=c, offset=p)
    return header, feats, classes, onsets, kinds
