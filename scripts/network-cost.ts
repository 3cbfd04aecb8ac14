// What each network costs per 16 ms window: multiply-adds, and CPU µs per window in the wasm kernel
// (and, for the shipped shape, the plain-TypeScript reference), random weights, reads of 23 windows
// (what one 64 KiB read of 44.1 kHz stereo yields). Prints one JSON line; `npm run bench` runs it
// under each Node it measures, pinned to one core.
//
//   node dist/scripts/network-cost.js [--reference]
import { FEATURE_SIZE } from '../lib/pipeline/features.js';
import { NUM_CLASSES } from '../lib/model/card.js';
import { FastClassifier } from '../lib/model/fast-kernel.js';
import { type KernelCell, type NamedWeights } from '../lib/model/files.js';
import { WasmClassifier, macsPerWindow, packWeights } from '../lib/model/wasm-kernel.js';
import { makeRng } from '../lib/synth/random.js';
import { KEYS, TAPS, expandHarmonic } from '../lib/model/harmonic.js';

/** The shipped network, the one before it, and a wider LSTM of the kind the accuracy work may train. */
export const COSTED: {
  label: string; cell: KernelCell; embedUnits: number; hiddenUnits: number; harmonicChannels?: number;
}[] = [
  { label: 'Dense 128 → GRU 144 (shipped, melody-gru)', cell: 'gru', embedUnits: 128, hiddenUnits: 144 },
  { label: 'Dense 128 → LSTM 128 (the first shipped network)', cell: 'lstm', embedUnits: 128, hiddenUnits: 128 },
  { label: 'Dense 128 → LSTM 256 (a wider LSTM)', cell: 'lstm', embedUnits: 128, hiddenUnits: 256 },
  { label: 'Dense 256 → LSTM 384', cell: 'lstm', embedUnits: 256, hiddenUnits: 384 },
  // The harmonic networks of issue 19's size comparison (lib/model/harmonic.ts).
  ...([[4, 128, 128], [8, 160, 192], [8, 192, 256]] as const).map(([C, E, H]) => ({
    label: `Harmonic ${C} → Dense ${E} → LSTM ${H}`, cell: 'lstm' as const, embedUnits: E, hiddenUnits: H,
    harmonicChannels: C,
  })),
];

const WINDOWS = 3000, READ = 23;

function randomWeights(cell: KernelCell, E: number, H: number, C = 0): NamedWeights {
  const rng = makeRng(1);
  const G = (cell === 'gru' ? 3 : 4) * H;
  const m = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, data: new Float32Array(n).map(() => (rng() - 0.5) * 0.2) };
  };
  const shared = { channels: C, w: m([TAPS * C]).data, b: new Float32Array(C) };
  const harmonic: [string, { shape: number[]; data: Float32Array }][] = C ? [
    ['harmonic/kernel', { shape: [FEATURE_SIZE, KEYS * C], data: expandHarmonic(shared, FEATURE_SIZE) }],
    ['harmonic/bias', { shape: [KEYS * C], data: new Float32Array(KEYS * C) }],
  ] : [];
  return new Map([
    ...harmonic,
    ['embed/kernel', m([FEATURE_SIZE + KEYS * C, E])], ['embed/bias', m([E])],
    [`${cell}/kernel`, m([E, G])], [`${cell}/recurrent_kernel`, m([H, G])], [`${cell}/bias`, m([G])],
    ['note/kernel', m([H, NUM_CLASSES])], ['note/bias', m([NUM_CLASSES])],
    ['onset/kernel', m([H, 1])], ['onset/bias', m([1])],
  ]);
}

/** CPU µs per window, the best of three passes (the first warms the JIT). */
async function microsPerWindow(c: { run: WasmClassifier['run'] }, windows = WINDOWS): Promise<number> {
  const rng = makeRng(2);
  const x = new Float32Array(READ * FEATURE_SIZE).map(() => (rng() < 0.3 ? rng() : 0));
  const probs = new Float32Array(READ * NUM_CLASSES), onsets = new Float32Array(READ);
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = process.cpuUsage();
    for (let w = 0; w < windows; w += READ) await c.run(x, READ, probs, onsets);
    const u = process.cpuUsage(t0);
    best = Math.min(best, (u.user + u.system) / (Math.ceil(windows / READ) * READ));
  }
  return best;
}

const withReference = process.argv.includes('--reference');
const rows = [];
for (const n of COSTED) {
  const weights = randomWeights(n.cell, n.embedUnits, n.hiddenUnits, n.harmonicChannels);
  const shape = { network: n.cell, featureSize: FEATURE_SIZE, embedUnits: n.embedUnits, hiddenUnits: n.hiddenUnits,
    harmonicChannels: n.harmonicChannels };
  const wasm = new WasmClassifier(packWeights(weights, n.cell));
  rows.push({
    label: n.label, macs: macsPerWindow(shape, n.cell), relaxed: wasm.relaxed,
    wasmMicros: await microsPerWindow(wasm),
    tsMicros: withReference && n === COSTED[0] ? await microsPerWindow(new FastClassifier(weights, n.cell), 600) : null,
  });
}
process.stdout.write(JSON.stringify({ node: process.version, rows }) + '\n');
