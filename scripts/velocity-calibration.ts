// Velocity calibration: plays single notes at known MIDI velocities (FluidR3's grand piano through
// fluidsynth at the gain training uses, and the project's synthesizer with random voices), runs
// them through the pipeline, and prints, per velocity, the attack level the note tracker measured
// (dBFS, mean of the notes) and the velocity it reported, then the least-squares fit of
// level = refDb + slope·log10(velocity/127) that lib/pipeline/decoder.ts' velocityOf inverts.
// Usage: node dist/scripts/velocity-calibration.js [MODEL_DIR]
import { resolveConfig } from '../lib/config.js';
import { MODEL_RATE } from '../lib/music.js';
import { loadEngine, transcribe } from '../lib/pipeline/transcriber.js';
import { renderFluid, fluidAvailable } from '../lib/synth/fluid.js';
import { randomVoice, renderPiano } from '../lib/synth/piano.js';
import { makeRng } from '../lib/synth/random.js';
import { levelOfVelocity, velocityOf } from '../lib/pipeline/decoder.js';

/** Mono s16le bytes. */
function s16(x: Float32Array): Uint8Array {
  const b = Buffer.alloc(2 * x.length);
  for (let i = 0; i < x.length; i++) b.writeInt16LE(Math.round(Math.max(-1, Math.min(1, x[i])) * 32767), 2 * i);
  return b;
}

const VELOCITIES = [20, 40, 60, 80, 100, 114, 127];
const PITCHES = [48, 55, 60, 64, 67, 72, 79, 84];

const modelDir = process.argv[2];
const cfg = resolveConfig({ sampleRate: MODEL_RATE, channels: 1, encoding: 's16le',
  ...(modelDir ? { modelDir } : {}) });
const engine = await loadEngine(cfg);

async function measure(source: string, render: (pitch: number, velocity: number, seed: number) => Float32Array) {
  const rows: [number, number][] = []; // [velocity played, level measured]
  for (const v of VELOCITIES) {
    const levels: number[] = [], reported: number[] = [];
    for (const [i, pitch] of PITCHES.entries()) {
      const audio = render(pitch, v, i);
      const notes = await transcribe(s16(audio), { ...cfg, engine });
      const n = notes.find((x) => x.pitch === pitch) ?? notes[0];
      if (!n) continue;
      reported.push(n.velocity);
      levels.push(levelOfVelocity(n.velocity));
    }
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    if (!levels.length) continue;
    rows.push([v, mean(levels)]);
    console.log(`${source}\tvelocity ${v}\tnotes ${levels.length}\tlevel ${mean(levels).toFixed(1)} dB\t` +
      `reported ${mean(reported).toFixed(0)}`);
  }
  return rows;
}

const score = (pitch: number, velocity: number) => [{ pitch, start: 0.2, end: 0.9, velocity }];
const all: [number, number][] = [];
if (fluidAvailable()) all.push(...await measure('FluidR3 grand', (p, v) => renderFluid(score(p, v), 0, MODEL_RATE)));
all.push(...await measure('own synth', (p, v, seed) => {
  const out = new Float32Array(MODEL_RATE * 1.4);
  const rng = makeRng(1000 + seed);
  renderPiano(score(p, v), randomVoice(rng), MODEL_RATE, out, rng);
  return out;
}));
// level = a + b·x with x = log10(v/127)
const xs = all.map(([v]) => Math.log10(v / 127)), ys = all.map(([, l]) => l);
const mx = xs.reduce((s, x) => s + x, 0) / xs.length, my = ys.reduce((s, y) => s + y, 0) / ys.length;
const b = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
const a = my - b * mx;
console.log(`fit: level = ${a.toFixed(1)} + ${b.toFixed(1)}·log10(velocity/127) dB`);
console.log(`check: velocityOf(level of 114) = ${velocityOf(a + b * Math.log10(114 / 127))}`);
