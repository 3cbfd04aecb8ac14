"""The networks melodyfilter runs, in PyTorch, and their export to the tfjs layers format.

The exported files (model.json + weights.bin) are what lib/kernel.ts (the fast kernel), tfjs and
tfjs-node load: the same layer names, weight names, shapes and gate orders as lib/model.ts builds.

Conventions that must hold for the export to compute the same function:
- LSTM: PyTorch and tfjs both order the gates i, f, g (c), o and use a sigmoid recurrent activation
  (lib/model.ts sets it; tfjs' default is hard sigmoid). PyTorch keeps two biases (b_ih, b_hh); tfjs
  one, their sum. PyTorch stores W as [4H, in], tfjs as [in, 4H].
- GRU: PyTorch's nn.GRU is the reset-after form, gates r, z, n; tfjs orders z, r, h and its GRUCell
  refuses reset_after. The export writes Keras' reset-after layout (bias [2, 3H]: input and
  recurrent biases) which the fast kernel runs; tfjs and tfjs-node cannot load such a model.
"""
import json
import os

import numpy as np
import torch
from torch import nn

NUM_CLASSES = 89
FEATURE_SIZE = 393  # lib/features.ts FEATURE_SIZE (spectrum front end)
RAW_SAMPLES = 1024  # lib/features.ts RAW_SAMPLES (raw front end)
ARCHS = ('lstm', 'gru', 'mlp', 'raw-lstm')
# Layer widths per architecture (lib/train/train.ts ARCH_UNITS): (embedUnits, lstmUnits).
ARCH_UNITS = {'lstm': (128, 128), 'gru': (128, 144), 'mlp': (320, 160), 'raw-lstm': (8, 128)}


def front_end_of(arch):
    return 'raw' if arch == 'raw-lstm' else 'spectrum'


def is_window_model(arch):
    """Models that label each window alone (no state from window to window)."""
    return arch in ('mlp', 'raw-lstm')


class Net(nn.Module):
    """Dense(relu) → LSTM or GRU → softmax over 89 classes + onset sigmoid; or the window models:
    an MLP, and the write-up's LSTM over a window's raw samples (its last step answers)."""

    def __init__(self, arch, feature_size, embed_units, lstm_units):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f'arch must be one of {", ".join(ARCHS)}, got {arch}')
        self.arch, self.feature_size = arch, feature_size
        self.embed_units, self.lstm_units = embed_units, lstm_units
        if arch == 'raw-lstm':
            self.rnn = nn.LSTM(embed_units, lstm_units, batch_first=True)
        else:
            self.embed = nn.Linear(feature_size, embed_units)
            if arch == 'lstm':
                self.rnn = nn.LSTM(embed_units, lstm_units, batch_first=True)
            elif arch == 'gru':
                self.rnn = nn.GRU(embed_units, lstm_units, batch_first=True)
            else:
                self.hidden = nn.Linear(embed_units, lstm_units)
        self.note = nn.Linear(lstm_units, NUM_CLASSES)
        self.onset = nn.Linear(lstm_units, 1)
        self._init()

    def _init(self):
        # Glorot for the dense layers as in Keras; the forget gate's bias at 1 (Keras'
        # unit_forget_bias) so early training does not forget everything at once.
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_normal_(m.weight)
                nn.init.zeros_(m.bias)
        if isinstance(getattr(self, 'rnn', None), nn.LSTM):
            h = self.lstm_units
            for name, p in self.rnn.named_parameters():
                if name.startswith('weight'):
                    nn.init.xavier_uniform_(p)
                else:
                    nn.init.zeros_(p)
            if self.arch == 'lstm':
                self.rnn.bias_ih_l0.data[h:2 * h] = 1.0

    def forward(self, x, state=None):
        """Recurrent: x [B, T, F] → logits [B, T, 89], onset logits [B, T], state.
        Window models: x [N, F] → [N, 89], [N]."""
        if self.arch == 'raw-lstm':
            steps = x.reshape(x.shape[0], self.feature_size // self.embed_units, self.embed_units)
            out, _ = self.rnn(steps)
            h = out[:, -1]
        elif self.arch == 'mlp':
            h = torch.relu(self.hidden(torch.relu(self.embed(x))))
        else:
            h, state = self.rnn(torch.relu(self.embed(x)), state)
        return self.note(h), self.onset(h).squeeze(-1), state


# ---------------------------------------------------------------- export to the tfjs layers format

def _swap_first_two_gates(m, h):
    """PyTorch's GRU gate blocks r, z, n ↔ Keras' z, r, h: the same swap both ways."""
    return np.concatenate([m[h:2 * h], m[:h], m[2 * h:]], axis=0)


def _np(t):
    return t.detach().cpu().numpy().astype(np.float32)


def tfjs_weights(net):
    """[(name, array)] in the order and layout lib/model.ts' model has them."""
    out = []
    if net.arch != 'raw-lstm':
        out += [('embed/kernel', _np(net.embed.weight).T), ('embed/bias', _np(net.embed.bias))]
    if net.arch in ('lstm', 'raw-lstm'):
        r = net.rnn
        out += [('lstm/kernel', _np(r.weight_ih_l0).T), ('lstm/recurrent_kernel', _np(r.weight_hh_l0).T),
                ('lstm/bias', _np(r.bias_ih_l0) + _np(r.bias_hh_l0))]
    elif net.arch == 'gru':
        r, h = net.rnn, net.lstm_units

        def zrh(m):  # PyTorch's r, z, n blocks → Keras' z, r, h
            return _swap_first_two_gates(m, h)
        out += [('gru/kernel', zrh(_np(r.weight_ih_l0)).T), ('gru/recurrent_kernel', zrh(_np(r.weight_hh_l0)).T),
                ('gru/bias', np.stack([zrh(_np(r.bias_ih_l0)), zrh(_np(r.bias_hh_l0))]))]
    else:
        out += [('hidden/kernel', _np(net.hidden.weight).T), ('hidden/bias', _np(net.hidden.bias))]
    out += [('note/kernel', _np(net.note.weight).T), ('note/bias', _np(net.note.bias)),
            ('onset/kernel', _np(net.onset.weight).T), ('onset/bias', _np(net.onset.bias))]
    return [(n, np.ascontiguousarray(a, dtype=np.float32)) for n, a in out]


def load_tfjs_weights(net, weights):
    """The inverse of tfjs_weights: {name: array} from a model directory → net's parameters."""
    def put(p, a):
        p.data.copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
    if net.arch != 'raw-lstm':
        put(net.embed.weight, weights['embed/kernel'].T)
        put(net.embed.bias, weights['embed/bias'])
    if net.arch in ('lstm', 'raw-lstm'):
        r = net.rnn
        put(r.weight_ih_l0, weights['lstm/kernel'].T)
        put(r.weight_hh_l0, weights['lstm/recurrent_kernel'].T)
        put(r.bias_ih_l0, weights['lstm/bias'])
        r.bias_hh_l0.data.zero_()
    elif net.arch == 'gru':
        r, h = net.rnn, net.lstm_units

        def rzn(m):  # Keras' z, r, h → PyTorch's r, z, n
            return _swap_first_two_gates(m, h)
        b = weights['gru/bias']
        if b.ndim != 2:
            raise ValueError('a reset-before GRU (tfjs-trained) has no nn.GRU equivalent')
        put(r.weight_ih_l0, rzn(weights['gru/kernel'].T))
        put(r.weight_hh_l0, rzn(weights['gru/recurrent_kernel'].T))
        put(r.bias_ih_l0, rzn(b[0]))
        put(r.bias_hh_l0, rzn(b[1]))
    else:
        put(net.hidden.weight, weights['hidden/kernel'].T)
        put(net.hidden.bias, weights['hidden/bias'])
    put(net.note.weight, weights['note/kernel'].T)
    put(net.note.bias, weights['note/bias'])
    put(net.onset.weight, weights['onset/kernel'].T)
    put(net.onset.bias, weights['onset/bias'])


_GLOROT_NORMAL = {'class_name': 'VarianceScaling', 'config': {'scale': 1, 'mode': 'fan_avg', 'distribution': 'normal', 'seed': None}}
_GLOROT_UNIFORM = {'class_name': 'VarianceScaling', 'config': {'scale': 1, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': None}}


def _dense(name, units, activation, inbound):
    return {'name': name, 'class_name': 'Dense', 'config': {
        'units': units, 'activation': activation, 'use_bias': True, 'kernel_initializer': _GLOROT_NORMAL,
        'bias_initializer': {'class_name': 'Zeros', 'config': {}}, 'kernel_regularizer': None, 'bias_regularizer': None,
        'activity_regularizer': None, 'kernel_constraint': None, 'bias_constraint': None, 'name': name, 'trainable': True},
        'inbound_nodes': [[[inbound, 0, 0, {}]]]}


def _recurrent(kind, units, inbound, return_sequences, forget_bias):
    cfg = {'name': kind, 'trainable': True, 'units': units, 'activation': 'tanh', 'recurrent_activation': 'sigmoid',
           'use_bias': True, 'kernel_initializer': _GLOROT_UNIFORM, 'recurrent_initializer': _GLOROT_UNIFORM,
           'bias_initializer': {'class_name': 'Zeros', 'config': {}}}
    if kind == 'lstm':
        cfg['unit_forget_bias'] = forget_bias
    cfg.update({'kernel_regularizer': None, 'recurrent_regularizer': None, 'bias_regularizer': None,
                'activity_regularizer': None, 'kernel_constraint': None, 'recurrent_constraint': None,
                'bias_constraint': None, 'dropout': 0, 'recurrent_dropout': 0, 'implementation': None})
    if kind == 'gru':
        cfg['reset_after'] = True
    cfg.update({'return_sequences': return_sequences, 'return_state': False, 'go_backwards': False,
                'stateful': False, 'unroll': False})
    return {'name': kind, 'class_name': kind.upper(), 'config': cfg, 'inbound_nodes': [[[inbound, 0, 0, {}]]]}


def topology(net):
    """The Keras/tfjs model topology lib/model.ts' buildModel makes for this network."""
    window = is_window_model(net.arch)
    shape = [None, net.feature_size] if window else [None, None, net.feature_size]
    layers = [{'name': 'input1', 'class_name': 'InputLayer', 'config': {
        'batch_input_shape': shape, 'dtype': 'float32', 'sparse': False, 'name': 'input1'}, 'inbound_nodes': []}]
    if net.arch == 'raw-lstm':
        layers.append({'name': 'steps', 'class_name': 'Reshape', 'config': {
            'target_shape': [net.feature_size // net.embed_units, net.embed_units], 'name': 'steps', 'trainable': True},
            'inbound_nodes': [[['input1', 0, 0, {}]]]})
        layers.append(_recurrent('lstm', net.lstm_units, 'steps', False, None))
        body = 'lstm'
    else:
        layers.append(_dense('embed', net.embed_units, 'relu', 'input1'))
        if net.arch == 'mlp':
            layers.append(_dense('hidden', net.lstm_units, 'relu', 'embed'))
            body = 'hidden'
        else:
            layers.append(_recurrent(net.arch, net.lstm_units, 'embed', True, True))
            body = net.arch
    layers += [_dense('note', NUM_CLASSES, 'softmax', body), _dense('onset', 1, 'sigmoid', body)]
    return {'class_name': 'Model', 'config': {
        'name': 'melodyfilter', 'layers': layers, 'input_layers': [['input1', 0, 0]],
        'output_layers': [['note', 0, 0], ['onset', 0, 0]]},
        'keras_version': 'tfjs-layers 4.22.0', 'backend': 'tensor_flow.js'}


def export_tfjs(net, out_dir, info):
    """Write out_dir/model.json and out_dir/weights.bin (atomically: a reader never sees half)."""
    os.makedirs(out_dir, exist_ok=True)
    old = os.path.join(out_dir, 'model.json')
    if 'decoder' not in info and os.path.exists(old):
        # Decoder settings chosen on the validation set (scripts/set-decoder.ts) outlive retraining
        # until chosen again.
        with open(old) as f:
            prev = json.load(f).get('userDefinedMetadata', {}).get('decoder')
        if prev:
            info = dict(info, decoder=prev)
    weights = tfjs_weights(net)
    manifest = [{'name': n, 'shape': list(a.shape), 'dtype': 'float32'} for n, a in weights]
    doc = {'format': 'layers-model', 'generatedBy': f'melodyfilter trainer/nets.py (PyTorch {torch.__version__})',
           'convertedBy': None, 'modelTopology': topology(net),
           'weightsManifest': [{'paths': ['weights.bin'], 'weights': manifest}], 'userDefinedMetadata': info}
    tmp_bin, tmp_json = os.path.join(out_dir, 'weights.bin.tmp'), os.path.join(out_dir, 'model.json.tmp')
    with open(tmp_bin, 'wb') as f:
        for _, a in weights:
            f.write(a.astype('<f4').tobytes())
    with open(tmp_json, 'w') as f:
        f.write(json.dumps(doc, indent=1) + '\n')
    os.replace(tmp_bin, os.path.join(out_dir, 'weights.bin'))
    os.replace(tmp_json, os.path.join(out_dir, 'model.json'))


def load_tfjs(model_dir):
    """A model directory (ours, written by export_tfjs or by the old tfjs trainer) → (Net, info)."""
    with open(os.path.join(model_dir, 'model.json')) as f:
        doc = json.load(f)
    info = doc['userDefinedMetadata']
    manifest = doc['weightsManifest'][0]
    raw = np.fromfile(os.path.join(model_dir, manifest['paths'][0]), dtype='<f4')
    weights, p = {}, 0
    for w in manifest['weights']:
        n = int(np.prod(w['shape']))
        weights[w['name']] = raw[p:p + n].reshape(w['shape'])
        p += n
    arch = info.get('arch', 'lstm')
    if arch == 'raw-lstm':
        embed, units = weights['lstm/kernel'].shape[0], weights['lstm/recurrent_kernel'].shape[0]
    elif arch == 'mlp':
        embed, units = weights['embed/kernel'].shape[1], weights['hidden/kernel'].shape[1]
    else:
        embed, units = weights['embed/kernel'].shape[1], weights[f'{arch}/recurrent_kernel'].shape[0]
    net = Net(arch, info['featureSize'], embed, units)
    load_tfjs_weights(net, weights)
    return net, info
