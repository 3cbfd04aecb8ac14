"""The networks melodyfilter trains, built in PyTorch from a spec, and their export to the tfjs layers
format.

The spec is a model.json without weights, made by lib/train/spec.ts from lib/model/networks.ts: its
topology lists the layers, its weights manifest the weights in the order weights.bin holds them, its
metadata the card. This module builds one PyTorch module per layer, keyed by the layer's class
(LAYERS below), and writes weights back under the manifest's names: a new network is a NETWORKS entry
in TypeScript, and only a new kind of layer needs code here. A model.json that has weights is a spec
too (`--init`, predict.py).

Conventions that must hold for the export to compute the same function:
- LSTM: PyTorch and tfjs both order the gates i, f, g (c), o and use a sigmoid recurrent activation
  (lib/model/networks.ts sets it; tfjs' default is hard sigmoid). PyTorch keeps two biases (b_ih, b_hh);
  tfjs one, their sum. PyTorch stores W as [4H, in], tfjs as [in, 4H].
- GRU: PyTorch's nn.GRU is the reset-after form, gates r, z, n; Keras orders z, r, h. The spec says
  reset_after and a [2, 3H] bias (input and recurrent biases), which the kernels run; tfjs and
  tfjs-node cannot load such a model.
"""
import copy
import json
import math
import os

import numpy as np
import torch
from torch import nn

HEADS = ('note', 'onset')  # every network's two outputs (lib/model/tfjs.ts buildModel)
OPTIONAL_HEADS = ('offset',)  # a third where the spec has it: a sigmoid at a key's release


def _np(t):
    return t.detach().cpu().numpy().astype(np.float32)


def _put(p, a):
    p.data.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))


def _swap_first_two_gates(m, h):
    """PyTorch's GRU gate blocks r, z, n <-> Keras' z, r, h: the same swap both ways."""
    return np.concatenate([m[h:2 * h], m[:h], m[2 * h:]], axis=0)


class Dense(nn.Module):
    def __init__(self, cfg, width):
        super().__init__()
        self.linear = nn.Linear(width, cfg['units'])
        self.activation = cfg.get('activation', 'linear')
        nn.init.xavier_normal_(self.linear.weight)  # Keras' glorot_normal, as lib/model/networks.ts asks
        nn.init.zeros_(self.linear.bias)
        self.width = cfg['units']

    def forward(self, x, state=None):
        y = self.linear(x)
        return (torch.relu(y) if self.activation == 'relu' else y), None

    def export(self):
        return {'kernel': _np(self.linear.weight).T, 'bias': _np(self.linear.bias)}

    def load(self, w):
        _put(self.linear.weight, w['kernel'].T)
        _put(self.linear.bias, w['bias'])


class Recurrent(nn.Module):
    """LSTM or GRU; `return_sequences` false answers at the last step (the write-up's window model)."""

    def __init__(self, cfg, width, kind):
        super().__init__()
        h = cfg['units']
        self.kind, self.h, self.sequences = kind, h, cfg.get('return_sequences', True)
        self.rnn = (nn.LSTM if kind == 'lstm' else nn.GRU)(width, h, batch_first=True)
        if kind == 'lstm':  # Keras' glorot_uniform and zero biases; the GRU keeps PyTorch's own
            for name, p in self.rnn.named_parameters():
                (nn.init.xavier_uniform_ if name.startswith('weight') else nn.init.zeros_)(p)
        if kind == 'lstm' and cfg.get('unit_forget_bias'):
            # Keras' unit_forget_bias: early training does not forget everything at once.
            self.rnn.bias_ih_l0.data[h:2 * h] = 1.0
        self.width = h

    def forward(self, x, state=None):
        out, state = self.rnn(x, state)
        return (out if self.sequences else out[:, -1]), state

    def export(self):
        r, h = self.rnn, self.h
        if self.kind == 'lstm':
            return {'kernel': _np(r.weight_ih_l0).T, 'recurrent_kernel': _np(r.weight_hh_l0).T,
                    'bias': _np(r.bias_ih_l0) + _np(r.bias_hh_l0)}

        def zrh(m):  # PyTorch's r, z, n blocks -> Keras' z, r, h
            return _swap_first_two_gates(m, h)
        return {'kernel': zrh(_np(r.weight_ih_l0)).T, 'recurrent_kernel': zrh(_np(r.weight_hh_l0)).T,
                'bias': np.stack([zrh(_np(r.bias_ih_l0)), zrh(_np(r.bias_hh_l0))])}

    def load(self, w):
        r, h = self.rnn, self.h
        if self.kind == 'lstm':
            _put(r.weight_ih_l0, w['kernel'].T)
            _put(r.weight_hh_l0, w['recurrent_kernel'].T)
            _put(r.bias_ih_l0, w['bias'])
            r.bias_hh_l0.data.zero_()
            return
        if w['bias'].ndim != 2:
            raise ValueError('a reset-before GRU (tfjs-trained) has no nn.GRU equivalent')

        def rzn(m):  # Keras' z, r, h -> PyTorch's r, z, n
            return _swap_first_two_gates(m, h)
        _put(r.weight_ih_l0, rzn(w['kernel'].T))
        _put(r.weight_hh_l0, rzn(w['recurrent_kernel'].T))
        _put(r.bias_ih_l0, rzn(w['bias'][0]))
        _put(r.bias_hh_l0, rzn(w['bias'][1]))


class Reshape(nn.Module):
    def __init__(self, cfg, width):
        super().__init__()
        self.target = list(cfg['target_shape'])
        self.width = self.target[-1]

    def forward(self, x, state=None):
        return x.reshape(x.shape[0], *self.target), None


class Concatenate(nn.Module):
    """Its inputs side by side on the last axis (the harmonic network joins the features and the
    harmonic layer's output)."""

    def __init__(self, cfg, widths):
        super().__init__()
        self.width = sum(widths)

    def forward(self, xs, state=None):
        return torch.cat(xs, dim=-1), None

    def export(self):
        return {}


class Harmonic(nn.Module):
    """lib/model/harmonic.ts' layer: for each key, channels of relu(b + w · the spectrum bins at the
    key's partials), w and b shared by every key. Trained as those shared weights; exported as the
    Dense kernel tfjs runs (zero off the taps). The geometry comes from the spec's card."""

    def __init__(self, cfg, width, geometry):
        super().__init__()
        g = geometry
        self.keys, per = g['keys'], g['binsPerKey']
        self.channels = cfg['units'] // self.keys
        if self.channels * self.keys != cfg['units']:
            raise ValueError(f'harmonic layer of {cfg["units"]} units is not {self.keys} keys x channels')
        self.spectrum_bins = g['spectrumBins']
        self.in_width = width
        taps = [(sh, sp) for sh in g['shifts'] for sp in g['spread']]
        self.taps = len(taps)
        bins = np.array([[per * p + g['firstBin'] + sh + sp for sh, sp in taps] for p in range(self.keys)])
        inside = (bins >= 0) & (bins < self.spectrum_bins)
        # Where load() reads the shared weights back: the first key with every tap inside (harmonic.ts).
        self.whole_key = int(np.argmax(inside.all(axis=1)))
        # Outside the spectrum: an extra zero input at index spectrum_bins.
        self.register_buffer('bins', torch.from_numpy(np.where(inside, bins, self.spectrum_bins)).long(),
                             persistent=False)
        self.bins_np, self.inside = bins, inside
        self.w = nn.Parameter(torch.empty(self.taps, self.channels))
        self.b = nn.Parameter(torch.zeros(self.channels))
        # Glorot over one key's taps and channels (the Dense's own scale would count every bin).
        nn.init.normal_(self.w, 0.0, math.sqrt(2.0 / (self.taps + self.channels)))
        self.width = self.keys * self.channels

    def forward(self, x, state=None):
        spec = x[..., :self.spectrum_bins]
        spec = torch.cat([spec, spec.new_zeros(*spec.shape[:-1], 1)], dim=-1)
        g = spec[..., self.bins]  # [..., keys, taps]
        y = torch.relu(g @ self.w + self.b)  # [..., keys, channels]
        return y.reshape(*y.shape[:-2], self.width), None

    def export(self):
        w = _np(self.w)
        kernel = np.zeros((self.in_width, self.width), dtype=np.float32)
        for p in range(self.keys):
            for t in range(self.taps):
                if self.inside[p, t]:
                    kernel[self.bins_np[p, t], p * self.channels:(p + 1) * self.channels] = w[t]
        return {'kernel': kernel, 'bias': np.tile(_np(self.b), self.keys)}

    def load(self, w):
        key = self.whole_key
        cols = slice(key * self.channels, (key + 1) * self.channels)
        _put(self.w, np.stack([w['kernel'][self.bins_np[key, t], cols] for t in range(self.taps)]))
        _put(self.b, w['bias'][:self.channels])
        exported = self.export()
        if not (np.array_equal(exported['kernel'], w['kernel']) and np.array_equal(exported['bias'], w['bias'])):
            raise ValueError('harmonic/kernel or /bias is not the shared taps of the card\'s geometry')


# One builder per layer class of the tfjs topology: (config, input width) -> module.
LAYERS = {
    'Dense': Dense,
    'LSTM': lambda cfg, width: Recurrent(cfg, width, 'lstm'),
    'GRU': lambda cfg, width: Recurrent(cfg, width, 'gru'),
    'Reshape': Reshape,
}


class Net(nn.Module):
    """The spec's layers from the input to the body, then the two heads on the body: class logits
    (softmax in the export) and onset logits (sigmoid). Layers are fed as the topology's inbound
    nodes say (a chain, or the harmonic network's join). Recurrent networks take [B, T, F] and carry
    state; window networks (a rank-2 input) take [N, F]."""

    def __init__(self, spec):
        super().__init__()
        self.spec = copy.deepcopy({k: v for k, v in spec.items() if k != 'userDefinedMetadata'})
        self.card = dict(spec['userDefinedMetadata'])
        self.arch = self.card.get('arch', 'lstm')
        layers = spec['modelTopology']['config']['layers']
        first = layers[0]['config']
        shape = first.get('batch_input_shape') or first.get('batchInputShape')
        self.window = len(shape) == 2
        self.feature_size = shape[-1]
        self.input_name = layers[0]['name']
        widths = {self.input_name: self.feature_size}
        self.body_name = self.input_name  # a spec without inbound nodes (older ones) is a chain from here
        self.body = nn.ModuleDict()
        self.heads = nn.ModuleDict()
        self.inputs = {}
        for layer in layers[1:]:
            kind, cfg, name = layer['class_name'], layer['config'], layer['name']
            nodes = layer.get('inbound_nodes') or []
            sources = [n[0] for n in nodes[0]] if nodes else [self.body_name]
            self.inputs[name] = sources
            in_widths = [widths[s] for s in sources]
            if kind == 'Concatenate':
                module = Concatenate(cfg, in_widths)
            elif kind == 'Dense' and name == 'harmonic':
                if 'harmonic' not in self.card:
                    raise ValueError('the spec has a harmonic layer but its card no harmonic geometry')
                module = Harmonic(cfg, in_widths[0], self.card['harmonic'])
            elif kind in LAYERS:
                module = LAYERS[kind](cfg, in_widths[0])
            else:
                raise ValueError(f'layer {name} is a {kind}, which trainer/nets.py cannot build (add it to LAYERS)')
            if name in HEADS or name in OPTIONAL_HEADS:
                self.heads[name] = module
            else:
                self.body[name] = module
                self.body_name = name
            widths[name] = module.width
        self.body_width = widths[self.body_name]
        for head in HEADS:
            if head not in self.heads:
                raise ValueError(f'the spec has no {head} layer')
        self.manifest = spec['weightsManifest'][0]['weights']

    def body_output(self, x, state=None):
        """The body's output, where the heads attach (trainer/offset_probe.py reads it), and the
        recurrent state after it."""
        state = dict(state or {})
        out = {self.input_name: x}
        for name, layer in self.body.items():
            sources = [out[s] for s in self.inputs[name]]
            h, s = layer(sources if isinstance(layer, Concatenate) else sources[0], state.get(name))
            out[name] = h
            if s is not None:
                state[name] = s
        return out[self.body_name], state

    @property
    def has_offset(self):
        return 'offset' in self.heads

    def forward(self, x, state=None):
        """Returns class logits, onset logits (squeezed) and the recurrent state (None for windows)."""
        logits, onset, _, state = self.outputs(x, state)
        return logits, onset, state

    def outputs(self, x, state=None):
        """Class logits, onset logits, offset logits (None without the head), recurrent state."""
        h, state = self.body_output(x, state)
        offset = self.heads['offset'](h)[0].squeeze(-1) if self.has_offset else None
        return (self.heads['note'](h)[0], self.heads['onset'](h)[0].squeeze(-1), offset,
                None if self.window else state)

    def _layer(self, name):
        return self.heads[name] if name in self.heads else self.body[name]

    def weights(self):
        """[(name, array)] in the manifest's order and shapes."""
        exported = {}
        out = []
        for w in self.manifest:
            layer, part = w['name'].split('/', 1)
            if layer not in exported:
                exported[layer] = self._layer(layer).export()
            a = np.ascontiguousarray(exported[layer][part], dtype=np.float32)
            if list(a.shape) != list(w['shape']):
                raise ValueError(f'{w["name"]}: the net has {list(a.shape)}, the spec says {w["shape"]}')
            out.append((w['name'], a))
        return out

    def load_weights(self, weights):
        """The inverse of weights(): {name: array} -> the modules' parameters."""
        by_layer = {}
        for name, a in weights.items():
            layer, part = name.split('/', 1)
            by_layer.setdefault(layer, {})[part] = a
        for layer, w in by_layer.items():
            self._layer(layer).load(w)


def read_spec(path):
    with open(path) as f:
        return json.load(f)


def export_tfjs(net, out_dir, training=None):
    """Write out_dir/model.json and out_dir/weights.bin (atomically: a reader never sees half): the
    spec's topology and manifest, its card unchanged, and the training record."""
    os.makedirs(out_dir, exist_ok=True)
    weights = net.weights()
    card = dict(net.card)
    if training is not None:
        card['training'] = training
    doc = dict(net.spec, generatedBy=f'melodyfilter trainer/nets.py (PyTorch {torch.__version__})',
               userDefinedMetadata=card)
    text = json.dumps(doc, indent=1, allow_nan=False) + '\n'  # NaN is not JSON: refuse, never write it
    tmp_bin, tmp_json = os.path.join(out_dir, 'weights.bin.tmp'), os.path.join(out_dir, 'model.json.tmp')
    with open(tmp_bin, 'wb') as f:
        for _, a in weights:
            f.write(a.astype('<f4').tobytes())
    with open(tmp_json, 'w') as f:
        f.write(text)
    os.replace(tmp_bin, os.path.join(out_dir, 'weights.bin'))
    os.replace(tmp_json, os.path.join(out_dir, 'model.json'))


def load_tfjs(model_dir):
    """A model directory -> (Net, card). Its model.json is the spec."""
    with open(os.path.join(model_dir, 'model.json')) as f:
        doc = json.load(f)
    manifest = doc['weightsManifest'][0]
    raw = np.fromfile(os.path.join(model_dir, manifest['paths'][0]), dtype='<f4')
    weights, p = {}, 0
    for w in manifest['weights']:
        n = int(np.prod(w['shape']))
        weights[w['name']] = raw[p:p + n].reshape(w['shape'])
        p += n
    net = Net(doc)
    net.load_weights(weights)
    return net, doc['userDefinedMetadata']


def _gate_blocks(kind):
    return {'lstm': 4, 'gru': 3}.get(kind, 1)


def widen_weights(small, manifest, kinds, rng, fresh=None):
    """Weights of a narrower network of the same layers -> weights of the manifest's wider one that
    compute the same function (Net2Net's idea, with zeros instead of copies): every old weight is
    kept; a new unit's incoming weights are drawn at the usual Glorot scale, and its outgoing weights
    (into old units, old gates and the heads) are zero, so it changes nothing until training gives it
    a use. Recurrent layers' gate blocks (LSTM i, f, c, o; GRU z, r, h) are widened block by block.

    A layer the narrower network lacks altogether (the harmonic layer) takes its weights from `fresh`
    (the new network's initialisation): what it feeds sees it through new inputs, whose weights
    into old units are zero, so the function is still the narrower network's.

    small: {name: array}; manifest: the wide spec's [{name, shape}]; kinds: {layer: 'lstm'|'gru'|...}.
    Returns {name: array} in the manifest's shapes. The LSTM's new forget-gate biases are 1 (Keras'
    unit_forget_bias), the other new biases 0."""
    out = {}
    for w in manifest:
        name, shape = w['name'], tuple(w['shape'])
        new_layer = not any(k.split('/', 1)[0] == name.split('/', 1)[0] for k in small)
        if new_layer and fresh is not None and name in fresh:  # fresh holds only layers that may be new
            out[name] = np.asarray(fresh[name], dtype=np.float32)
            continue
        if name not in small:
            raise ValueError(f'{name}: the narrower model has no such weight')
        old = np.asarray(small[name], dtype=np.float32)
        if old.ndim != len(shape) or any(o > n for o, n in zip(old.shape, shape)):
            raise ValueError(f'{name}: {list(old.shape)} does not fit in {list(shape)}')
        layer, part = name.split('/', 1)
        if layer == 'harmonic' and old.shape != shape:
            # Its columns are key-major (key p's channels at p·C …): widening them as a Dense would move
            # channels between keys.
            raise ValueError(f'{name}: a harmonic layer keeps its channels ({list(old.shape)} to {list(shape)})')
        gates = _gate_blocks(kinds.get(layer))
        # The last axis holds the outputs (gate blocks for a recurrent layer); Glorot scale for the new.
        fan_in, fan_out = (shape[0], shape[-1]) if len(shape) == 2 else (1, shape[-1])
        scale = math.sqrt(2.0 / (fan_in + fan_out / gates))
        new = np.zeros(shape, dtype=np.float32)
        old_out, new_out = old.shape[-1] // gates, shape[-1] // gates
        for g in range(gates):
            src = old[..., g * old_out:(g + 1) * old_out]
            dst = (Ellipsis, slice(g * new_out, g * new_out + old_out))
            if part == 'bias':
                if gates == 4 and g == 1:  # the LSTM's forget gate
                    new[..., g * new_out + old_out:(g + 1) * new_out] = 1.0
                new[..., g * new_out:g * new_out + old_out] = src
                continue
            if old.ndim == 2:
                block = new[:, g * new_out:(g + 1) * new_out]
                if new_out > old_out:  # new units' incoming weights (rows: every input)
                    block[:, old_out:] = rng.normal(0.0, scale, (shape[0], new_out - old_out))
                block[:old.shape[0], :old_out] = src  # old units keep theirs; new inputs into them stay 0
            else:
                new[dst] = src
        out[name] = new
    unused = set(small) - set(out)
    if unused:  # another network, not a narrower one: its weights would be dropped without a word
        raise ValueError(f'the spec has no {", ".join(sorted(unused))}')
    return out
