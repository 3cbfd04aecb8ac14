// Reliability through the CLI: chunking, determinism, errors, odd audio, pipes and signals, the
// last note. Every run spawns bin/melodyfilter (built into dist/ by `npm test`'s pretest).
//
// Notes come from the hand-set tone model (test/fixtures/tone-model.ts), which hears sine tones whatever
// state the trained model is in, so the comparisons below compare real notes, not empty outputs. No test
// here runs the shipped model (the usage errors stop before any model loads).
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseMidi } from 'midi-file';
import { makeRng } from '../lib/synth/random.js';
import {
  BIN, encodePcm, feed, jsonLines, runCli, toneModelWorkspace, sine, spawnCli, tones, wavFile,
  type CliRun, type RunOptions, type RunResult,
} from './helpers.js';

/** What a test callback receives. */
type Test = Parameters<Parameters<typeof t.test>[0]>[0];

/** Runs at once: start-up and waiting on pipes dominate these short runs, and overlap well. */
const CONCURRENCY = 3;
/** No single run here needs more than a few seconds, even on two busy cores. */
const RUN_TIMEOUT_MS = 60_000;
const TRY_HELP = "Try 'melodyfilter --help' for more information.";
const MIB = 1 << 20;

const { dir, model: TONE_MODEL } = await toneModelWorkspace(t, 'melodyfilter-reliability-');
const M = ['-m', TONE_MODEL];

/** Two seconds of four tones with gaps: C4, G4, E4, C5. */
const MELODY: [number, number, number][] = [[261.63, 0.05, 0.45], [392, 0.55, 0.95],
  [329.63, 1.05, 1.45], [523.25, 1.55, 1.95]];
const MELODY_SECONDS = 2;
/** For one-byte writes: 0.3 s with one A4. */
const SHORT: [number, number, number][] = [[440, 0.02, 0.25]];
const SHORT_SECONDS = 0.3;

/** Input formats, each with the flags that describe it (a WAV needs none). */
const INPUTS = [
  { name: 'raw s16le stereo 44.1 kHz', flags: [] as string[], rate: 44100,
    encode: (x: Float32Array) => encodePcm(x, 2, 's16le') },
  { name: 'raw s24le mono 48 kHz', flags: ['-r', '48000', '-c', '1', '-e', 's24le'], rate: 48000,
    encode: (x: Float32Array) => encodePcm(x, 1, 's24le') },
  { name: 'f32 WAV mono 22.05 kHz', flags: [] as string[], rate: 22050,
    encode: (x: Float32Array) => wavFile(x, 22050, 1, { bits: 32, formatTag: 3 }) },
];
const S16 = INPUTS[0];
const melodyS16 = S16.encode(tones(MELODY, MELODY_SECONDS, S16.rate));
/** The melody, s16le stereo at 44.1 kHz, in one piece with default flags: what several tests compare with. */
let melodyRun: Promise<RunResult> | null = null;
const melodyReference = () => (melodyRun ??= run(M, melodyS16));

/** Run `jobs` at most `n` at a time. */
async function pool<T>(n: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (next < jobs.length) { const i = next++; results[i] = await jobs[i](); }
  }));
  return results;
}

const run = (args: string[], input: Buffer | null, opts: RunOptions = {}) =>
  runCli(args, input, { timeoutMs: RUN_TIMEOUT_MS, ...opts });

/** Resolves when the child has written `pattern` on stdout or stderr (or has exited). */
function written(child: CliRun['child'], pattern: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const look = (d: Buffer) => { text += d; if (pattern.test(text)) resolve(); };
    child.stderr.on('data', look);
    child.stdout.on('data', look);
    child.on('close', () => resolve());
  });
}

/** -v's first line: the model has loaded and the signal handlers are in place. */
const LOADED = /^melodyfilter: backend /m;

/** The lines -v adds on stderr. */
const VERBOSE_LINE = /^melodyfilter: (backend |stdin: )/;

/** Like `run`, but feeding stdin only once the model has loaded, so that the CLI waits on the pipe
 *  and reads each write on its own rather than whatever piled up during start-up. Uses -v to know
 *  when; its lines are left out of stderr. */
async function runWhenLoaded(args: string[], input: Buffer, opts: RunOptions): Promise<RunResult> {
  const { child, result } = spawnCli([...args, '-v'], { timeoutMs: RUN_TIMEOUT_MS });
  await written(child, LOADED);
  await feed(child.stdin, input, opts);
  const r = await result;
  return { ...r, stderr: r.stderr.split('\n').filter((l) => l && !VERBOSE_LINE.test(l)).map((l) => l + '\n').join('') };
}

/** Random write sizes, mostly small, up to 8 KiB: chunk boundaries land anywhere in a frame or header. */
function randomSizes(seed: number): () => number {
  const rng = makeRng(seed);
  return () => 1 + Math.floor(rng() ** 3 * 8192);
}

function stderrLines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l);
}

/** Exit 0, nothing on stderr but the warnings named. */
function clean(t: Test, r: RunResult, what: string, warnings: RegExp[] = []): void {
  t.equal(r.code, 0, `${what}: exit 0${r.signal ? ` (killed by ${r.signal})` : ''}`);
  const lines = stderrLines(r);
  t.equal(lines.length, warnings.length, `${what}: stderr has ${warnings.length} line(s): ${JSON.stringify(r.stderr)}`);
  warnings.forEach((w, i) => t.match(lines[i] ?? '', w, `${what}: warning ${i + 1}`));
}

/** Notes on stdout that make sense: finite times in order, a piano key, velocity and confidence in range. */
function sensibleNotes(t: Test, r: RunResult, what: string, seconds: number): Record<string, number>[] {
  let notes: Record<string, number>[] = [];
  try {
    notes = jsonLines(r.stdout);
  } catch (err) {
    t.fail(`${what}: stdout is not JSON lines: ${(err as Error).message}`);
    return [];
  }
  const bad = notes.filter((n) =>
    !Number.isInteger(n.pitch) || n.pitch < 21 || n.pitch > 108 ||
    !Number.isFinite(n.start) || !Number.isFinite(n.end) || n.start < 0 || n.end < n.start || n.end > seconds + 1e-3 ||
    !(n.velocity >= 1 && n.velocity <= 127) || !(n.confidence >= 0 && n.confidence <= 1));
  t.same(bad, [], `${what}: every note is sensible`);
  return notes;
}

function midiNoteOns(bytes: Buffer): number {
  return parseMidi(bytes).tracks.flat().filter((e) => e.type === 'noteOn' && e.velocity > 0).length;
}

t.test('chunking never changes the answer', async (t) => {
  const cases = [
    ...INPUTS.map((input) => ({ input, output: 'jsonl' })),
    { input: S16, output: 'csv' },
    { input: S16, output: 'midi' },
  ];
  const plan = cases.flatMap(({ input, output }, c) => {
    const args = [...M, '-o', output, ...input.flags];
    const long = input.encode(tones(MELODY, MELODY_SECONDS, input.rate));
    const short = input.encode(tones(SHORT, SHORT_SECONDS, input.rate));
    return [
      { c, how: '1 MB chunks', job: () => run(args, long, { chunk: MIB }) },
      { c, how: 'random chunks', job: () => runWhenLoaded(args, long, { chunk: randomSizes(c + 1), paceMs: 1 }) },
      { c, how: '0.3 s in 1 MB chunks', job: () => run(args, short, { chunk: MIB }) },
      { c, how: '0.3 s 1 byte at a time', job: () => runWhenLoaded(args, short, { chunk: 1 }) },
    ];
  });
  const results = await pool(CONCURRENCY, plan.map((p) => p.job));
  cases.forEach(({ input, output }, c) => t.test(`${input.name}, -o ${output}`, async (t) => {
    const runs = plan.map((p, i) => ({ ...p, r: results[i] })).filter((p) => p.c === c);
    for (const { how, r } of runs) clean(t, r, how);
    const [whole, random, shortWhole, oneByte] = runs.map((p) => p.r);
    const count = output === 'midi' ? midiNoteOns(whole.stdout)
      : output === 'csv' ? whole.stdout.toString().split('\n').filter((l) => l).length
      : jsonLines(whole.stdout).length;
    t.equal(count, MELODY.length, `the tone model hears the ${MELODY.length} tones (so there is something to compare)`);
    const bytes = (x: RunResult) => x.stdout.toString(output === 'midi' ? 'base64' : 'utf8'); // text diffs read better
    t.equal(bytes(random), bytes(whole), 'random chunks = 1 MB chunks');
    t.ok(shortWhole.stdout.length > 0, 'the 0.3 s input has output too');
    t.equal(bytes(oneByte), bytes(shortWhole), '0.3 s: 1-byte writes = 1 MB chunks');
  }));
});

t.test('two runs, and every backend and kernel, give the same output', async (t) => {
  const variants = [[], ['--backend', 'wasm'], ['--backend', 'cpu'], ['--kernel', 'tfjs', '--backend', 'wasm'],
    ['--kernel', 'tfjs', '--backend', 'cpu']];
  const [a, b, wasm, cpu, tfjsWasm, tfjsCpu] = await pool(CONCURRENCY,
    [melodyReference, ...variants.map((v) => () => run([...M, ...v], melodyS16))]);
  for (const [name, r] of [['first', a], ['second', b], ['wasm', wasm], ['cpu', cpu], ['tfjs wasm', tfjsWasm],
    ['tfjs cpu', tfjsCpu]] as const) {
    t.equal(r.code, 0, `${name}: exit 0`);
  }
  t.equal(jsonLines(a.stdout).length, MELODY.length, 'something to compare');
  t.equal(b.stdout.toString(), a.stdout.toString(), 'run twice: same output');
  t.equal(cpu.stdout.toString(), wasm.stdout.toString(), '--backend wasm = --backend cpu');
  t.equal(tfjsCpu.stdout.toString(), tfjsWasm.stdout.toString(), '--kernel tfjs: wasm = cpu');
});

t.test('bad input gets one clear line on stderr and the documented exit code', async (t) => {
  const mono = sine(440, 0.1, 8000);
  const corruptJson = path.join(dir, 'corrupt-json'), truncatedWeights = path.join(dir, 'truncated-weights');
  mkdirSync(corruptJson); mkdirSync(truncatedWeights);
  writeFileSync(path.join(corruptJson, 'model.json'), '{"format": "layers-model", "modelTop');
  writeFileSync(path.join(corruptJson, 'weights.bin'), readFileSync(path.join(TONE_MODEL, 'weights.bin')));
  writeFileSync(path.join(truncatedWeights, 'model.json'), readFileSync(path.join(TONE_MODEL, 'model.json')));
  writeFileSync(path.join(truncatedWeights, 'weights.bin'),
    readFileSync(path.join(TONE_MODEL, 'weights.bin')).subarray(0, 1000));
  const aFile = path.join(dir, 'a-file');
  writeFileSync(aFile, 'not a directory');
  const raw = encodePcm(mono, 2, 's16le');
  const cases: { name: string; args: string[]; input: Buffer; code: 1 | 2; message: RegExp }[] = [
    { name: 'unknown flag', args: ['--bogus'], input: raw, code: 2, message: /unknown option --bogus/ },
    ...['0', '-5', '10000000', 'abc'].map((v) => ({ name: `--rate ${v}`, args: ['--rate', v], input: raw,
      code: 2 as const, message: /^melodyfilter: --rate must be /u })),
    ...['0', '300'].map((v) => ({ name: `--channels ${v}`, args: ['--channels', v], input: raw, code: 2 as const,
      message: new RegExp(`--channels must be .*got ${v}$`) })),
    { name: 'unknown encoding', args: ['-e', 's12le'], input: raw, code: 2,
      message: /--encoding must be one of .*got s12le/ },
    { name: 'WAV header contradicts --channels', args: [...M, '-c', '1'], input: wavFile(mono, 8000, 2), code: 2,
      message: /--channels 1 contradicts the WAV header's 2 channels/ },
    { name: 'WAV header contradicts --rate', args: [...M, '-r', '44100'], input: wavFile(mono, 8000, 1), code: 2,
      message: /--rate 44100 contradicts the WAV header's 8000 Hz/ },
    { name: 'ADPCM WAV', args: M, input: wavFile(mono, 8000, 1, { formatTag: 2 }), code: 1,
      message: /unsupported WAV format: format tag 0x2/ },
    { name: '64-bit float WAV', args: M, input: wavFile(mono, 8000, 1, { formatTag: 3, bits: 64 }), code: 1,
      message: /unsupported WAV format: 64-bit float/ },
    { name: 'truncated WAV header', args: M, input: wavFile(mono, 8000, 1).subarray(0, 30), code: 1,
      message: /truncated WAV header/ },
    { name: 'missing model dir', args: ['--model', '/nonexistent'], input: raw, code: 1,
      message: /no model at \/nonexistent/ },
    { name: 'model.json not JSON', args: ['--model', corruptJson], input: raw, code: 1,
      message: /model\.json is not valid JSON/ },
    { name: 'weights.bin truncated', args: ['--model', truncatedWeights], input: raw, code: 1,
      message: /model weights .*weights.bin are 1000 bytes, but model.json lists \d+ bytes of weights/ },
    { name: '--out-dir under a regular file', args: [...M, '--out-dir', path.join(aFile, 'out')], input: raw, code: 1,
      message: /cannot create output directory .*a-file\/out: not a directory/ },
    // Node's own recursive mkdir spins forever here (ENOENT under an existing /proc).
    ...(process.platform === 'linux'
      ? [{ name: '--out-dir under /proc', args: [...M, '--out-dir', '/proc/melodyfilter-test/out'], input: raw,
        code: 1 as const, message: /cannot create output directory \/proc\/melodyfilter-test\/out/ }]
      : []),
  ];
  const results = await pool(CONCURRENCY, cases.map((c) => () => run(c.args, c.input, { timeoutMs: 20_000 })));
  cases.forEach((c, i) => t.test(c.name, async (t) => {
    const r = results[i];
    const lines = stderrLines(r);
    t.equal(r.code, c.code, `exit ${c.code}${r.signal ? ` (killed by ${r.signal})` : ''}`);
    t.match(lines[0] ?? '', /^melodyfilter: /, 'prefixed');
    t.match(lines[0] ?? '', c.message, 'says what is wrong');
    t.same(lines.slice(1), c.code === 2 ? [TRY_HELP] : [], `one line${c.code === 2 ? ' and the --help hint' : ''}`);
    t.notOk(lines.some((l) => l.startsWith('    at ')), 'no stack trace');
    t.equal(r.stdout.length, 0, 'nothing on stdout');
  }));
});

t.test('odd audio gives sensible output and no crash', async (t) => {
  const rate = 16000;
  const f32 = ['-r', String(rate), '-c', '1', '-e', 'f32le'];
  const s16mono = ['-r', String(rate), '-c', '1'];
  const toneF32 = tones(MELODY, MELODY_SECONDS, rate);
  // NaN and ±Inf here and there, in the tones and between them; the reference has silence instead.
  const withNonFinite = encodePcm(toneF32, 1, 'f32le'), withSilence = Buffer.from(withNonFinite);
  const specials = [NaN, Infinity, -Infinity];
  for (let k = 0; k < 12; k++) {
    const at = Math.round((0.1 + k * 0.15) * rate) * 4;
    withNonFinite.writeFloatLE(specials[k % 3], at);
    withSilence.writeFloatLE(0, at);
  }
  // One absurd but finite sample must not deafen what follows (the features' running peak would hold it).
  const withHuge = encodePcm(toneF32, 1, 'f32le');
  withHuge.writeFloatLE(3e38, 10 * 4);
  const dc = encodePcm(toneF32.map((x) => x * 0.6 + 0.35), 1, 's16le');
  // clipped at full scale
  const square = encodePcm(sine(440, 1, rate, 1).map((x) => (x >= 0 ? 1.5 : -1.5)), 1, 's16le');
  const noiseRng = makeRng(4);
  const noise = encodePcm(new Float32Array(2 * rate).map(() => noiseRng() * 1.6 - 0.8), 1, 's16le');
  const jobs: Record<string, () => Promise<RunResult>> = {
    empty: () => run(M, Buffer.alloc(0)),
    emptyMidi: () => run([...M, '-o', 'midi'], Buffer.alloc(0)),
    oneByte: () => run(M, Buffer.from([7])),
    melody: melodyReference,
    trailing: () => run(M, Buffer.concat([melodyS16, Buffer.from([1, 2, 3])])),
    clean: () => run([...M, ...s16mono], encodePcm(toneF32, 1, 's16le')),
    dc: () => run([...M, ...s16mono], dc),
    square: () => run([...M, ...s16mono], square),
    nonFinite: () => run([...M, ...f32], withNonFinite),
    silenced: () => run([...M, ...f32], withSilence),
    huge: () => run([...M, ...f32], withHuge),
    cleanF32: () => run([...M, ...f32], encodePcm(toneF32, 1, 'f32le')),
    noise: () => run([...M, ...s16mono], noise),
  };
  const names = Object.keys(jobs);
  const done = await pool(CONCURRENCY, names.map((n) => jobs[n]));
  const r = Object.fromEntries(names.map((n, i) => [n, done[i]])) as Record<string, RunResult>;

  t.test('empty input', async (t) => {
    clean(t, r.empty, 'jsonl');
    t.equal(r.empty.stdout.length, 0, 'jsonl: no notes');
    clean(t, r.emptyMidi, '-o midi');
    const midi = parseMidi(r.emptyMidi.stdout);
    t.equal(midi.header.format, 0, '-o midi: a MIDI file that parses');
    t.equal(midiNoteOns(r.emptyMidi.stdout), 0, '-o midi: no notes');
    t.ok(midi.tracks[0].some((e) => e.type === 'endOfTrack'), '-o midi: its track is complete');
  });
  t.test('1 byte', async (t) => {
    clean(t, r.oneByte, '1 byte', [/^melodyfilter: warning: input ended with 1 byte\(s\), less than one sample frame/]);
    t.equal(r.oneByte.stdout.length, 0, 'no notes');
  });
  t.test('a trailing partial frame', async (t) => {
    clean(t, r.trailing, 'trailing partial frame', [/^melodyfilter: warning: input ended with 3 byte\(s\)/]);
    t.equal(jsonLines(r.melody.stdout).length, MELODY.length, 'the melody is heard without them');
    t.equal(r.trailing.stdout.toString(), r.melody.stdout.toString(), 'the notes before them are all there');
  });
  const pitches = (x: RunResult) => jsonLines<{ pitch: number }>(x.stdout).map((n) => n.pitch);
  t.test('DC offset', async (t) => {
    clean(t, r.dc, 'DC offset');
    t.equal(pitches(r.clean).length, MELODY.length, 'the clean reference is heard');
    t.same(pitches(r.dc), pitches(r.clean), 'the same notes as without it');
  });
  t.test('a full-scale square wave, clipped', async (t) => {
    clean(t, r.square, 'square wave');
    sensibleNotes(t, r.square, 'square wave', 1);
  });
  t.test('NaN and Inf in f32 input', async (t) => {
    clean(t, r.nonFinite, 'NaN/Inf',
      [/^melodyfilter: warning: input had 12 NaN or infinite sample\(s\); read them as silence/]);
    t.ok(jsonLines(r.silenced.stdout).length > 0, 'notes around them (something to compare)');
    t.equal(r.nonFinite.stdout.toString(), r.silenced.stdout.toString(), 'read as silence');
  });
  t.test('one absurd f32 sample (3e38)', async (t) => {
    clean(t, r.huge, '3e38');
    t.equal(pitches(r.cleanF32).length, MELODY.length, 'the clean reference is heard');
    t.same(pitches(r.huge), pitches(r.cleanF32), 'the tones after it are still heard');
  });
  t.test('white noise only', async (t) => {
    clean(t, r.noise, 'white noise');
    sensibleNotes(t, r.noise, 'white noise', 2);
  });
});

t.test('random bytes never crash it', async (t) => {
  // Seeded random bytes of random length on stdin, read as each of these formats in turn.
  const formats = [
    { flags: [] as string[], bytesPerSecond: 44100 * 4 },
    { flags: ['-r', '16000', '-c', '1', '-e', 'f32le'], bytesPerSecond: 16000 * 4 },
    { flags: ['-r', '8000', '-c', '1', '-e', 'u8'], bytesPerSecond: 8000 },
    { flags: ['-r', '96000', '-c', '2', '-e', 's24le'], bytesPerSecond: 96000 * 6 },
  ];
  const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
  const inputs = seeds.map((seed) => {
    const rng = makeRng(seed * 101);
    const bytes = Buffer.alloc(Math.floor(rng() * 40000));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rng() * 256);
    return { seed, bytes, format: formats[seed % formats.length] };
  });
  const results = await pool(CONCURRENCY,
    inputs.map(({ bytes, format }) => () => run([...M, ...format.flags], bytes, { timeoutMs: 30_000 })));
  inputs.forEach(({ seed, bytes, format }, i) => {
    const r = results[i], what = `seed ${seed}: ${bytes.length} bytes as ${format.flags.join(' ') || 'default flags'}`;
    t.equal(r.code, 0, `${what}: exit 0${r.signal ? ` (killed by ${r.signal} after 30 s)` : ''}`);
    t.same(stderrLines(r).filter((l) => !l.startsWith('melodyfilter: warning: ')), [],
      `${what}: only warnings on stderr`);
    sensibleNotes(t, r, what, bytes.length / format.bytesPerSecond);
  });
});

/** Eight tones, 200 ms each (a window and a bit), end to end for two minutes at 16 kHz mono: 600
 *  notes, a line each (two with --events, 80 KB: more than a pipe holds), arriving all through the run. */
const BUSY_ARGS = [...M, '-r', '16000', '-c', '1'];
const BUSY_NOTES = 600, BUSY_NOTE_SECONDS = 0.2;
const busy = (() => {
  const hz = [261.63, 293.66, 329.63, 349.23, 392, 440, 493.88, 523.25];
  const spec: [number, number, number][] = [];
  for (let k = 0; k < BUSY_NOTES; k++)
    spec.push([hz[k % hz.length], k * BUSY_NOTE_SECONDS, (k + 1) * BUSY_NOTE_SECONDS]);
  return encodePcm(tones(spec, BUSY_NOTES * BUSY_NOTE_SECONDS, 16000), 1, 's16le');
})();
const busyFile = path.join(dir, 'busy.raw');
writeFileSync(busyFile, busy);

/** `sh -c script` with the CLI as $0. tap puts its coverage loader in NODE_OPTIONS for every child
 *  (see spawnCli); the script unsets it before the CLI starts. */
function shell(script: string, args: string[], env: NodeJS.ProcessEnv = {}):
  Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const child = spawn('sh', ['-c', `unset NODE_OPTIONS; ${script}`, BIN, ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer); resolve({ code, stdout: Buffer.concat(out), stderr });
  }));
}

t.test('stdout closed early (| head -1): exit 0, nothing on stderr', async (t) => {
  const { child, result } = spawnCli(BUSY_ARGS, { timeoutMs: RUN_TIMEOUT_MS });
  let seen = '';
  child.stdout.on('data', (d) => {
    seen += d;
    if (seen.includes('\n')) child.stdout.destroy(); // notes keep coming for seconds after the first
  });
  void feed(child.stdin, busy, { chunk: 1 << 16 });
  const r = await result;
  t.equal(r.code, 0, 'read one line, closed: exit 0');
  t.equal(r.stderr, '', 'read one line, closed: nothing on stderr');
  // The same through a shell pipeline into head, which reports the CLI's exit status on stderr.
  const sh = await shell('{ "$0" "$@" < "$IN"; echo "exit $?" >&2; } | head -1', BUSY_ARGS, { IN: busyFile });
  t.equal(sh.stdout.toString().split('\n').filter((l) => l).length, 1, '| head -1: head got its line');
  t.equal(sh.stderr, 'exit 0\n', '| head -1: exit 0, nothing else on stderr');
});

t.test('SIGTERM with stdin a pipe left open: a complete output and exit 0', async (t) => {
  const tone = encodePcm(sine(440, 1, 16000), 1, 's16le');
  const midi = spawnCli([...BUSY_ARGS, '-v', '-o', 'midi'], { timeoutMs: 20_000 });
  await written(midi.child, LOADED);
  midi.child.stdin.write(tone);
  await sleep(300);
  midi.child.kill('SIGTERM');
  const r = await midi.result;
  t.equal(r.code, 0, '-o midi: exit 0, not killed');
  t.doesNotThrow(() => parseMidi(r.stdout), '-o midi: a MIDI file that parses');
  t.ok(r.stdout.length && parseMidi(r.stdout).tracks[0].some((e) => e.type === 'endOfTrack'),
    '-o midi: its track is complete');
  t.notOk(r.stderr.includes('    at '), '-o midi: no stack trace');
  // With --events: a note sounding when the signal comes is ended, not left hanging.
  const events = spawnCli([...BUSY_ARGS, '--events'], { timeoutMs: 20_000 });
  events.child.stdin.write(tone);
  await written(events.child, /"event":"on"/);
  events.child.kill('SIGTERM');
  const e = await events.result;
  t.equal(e.code, 0, '--events: exit 0');
  t.same(jsonLines<{ event: string }>(e.stdout).map((l) => l.event), ['on', 'off'],
    '--events: the sounding note is ended');
  t.equal(e.stderr, '', '--events: nothing on stderr');
});

t.test('SIGINT with stdin a pipe: waits up to 1 s for EOF, then finishes', async (t) => {
  // The producer got Ctrl-C too and ends its output soon after: nothing is lost.
  const half = melodyS16.length / 2; // a whole number of frames
  const a = spawnCli([...M, '-v'], { timeoutMs: 20_000 });
  await written(a.child, LOADED);
  a.child.stdin.write(melodyS16.subarray(0, half));
  await sleep(100);
  a.child.kill('SIGINT');
  await sleep(200);
  a.child.stdin.end(melodyS16.subarray(half));
  const ra = await a.result;
  t.equal(ra.code, 0, 'EOF within the grace period: exit 0');
  t.equal(ra.stdout.toString(), (await melodyReference()).stdout.toString(),
    'EOF within the grace period: every note, as without the signal');
  // A producer that never closes: stop after the grace period with what was heard.
  const b = spawnCli([...BUSY_ARGS, '-v', '-o', 'midi'], { timeoutMs: 20_000 });
  await written(b.child, LOADED);
  b.child.stdin.write(busy.subarray(0, 16000 * 2));
  await sleep(200);
  const sentAt = performance.now();
  b.child.kill('SIGINT');
  const rb = await b.result;
  const tookMs = performance.now() - sentAt;
  t.equal(rb.code, 0, 'no EOF: exit 0');
  t.ok(tookMs >= 900 && tookMs < 6000, `no EOF: stopped after the 1 s grace period (${tookMs.toFixed(0)} ms)`);
  t.doesNotThrow(() => parseMidi(rb.stdout), 'no EOF: a MIDI file that parses');
});

t.test('a slow consumer loses nothing', async (t) => {
  // A real pipe (64 KiB) that nobody reads for 2 s: the output, more than that, must wait, not drop.
  const [slow, direct] = await Promise.all([
    shell('"$0" "$@" < "$IN" | { sleep 2; cat; }', [...BUSY_ARGS, '--events'], { IN: busyFile }),
    run([...BUSY_ARGS, '--events'], busy),
  ]);
  t.equal(slow.code, 0, 'exit 0');
  t.equal(slow.stderr, '', 'nothing on stderr');
  t.equal(direct.code, 0, 'read at once: exit 0');
  t.ok(direct.stdout.length > 64 * 1024, `the output (${direct.stdout.length} bytes) is more than a pipe holds`);
  t.ok(jsonLines(direct.stdout).length > BUSY_NOTES,
    `read at once: many events (${jsonLines(direct.stdout).length} for ${BUSY_NOTES} notes)`);
  t.equal(slow.stdout.toString(), direct.stdout.toString(), 'same output as a run read at once');
});

t.test('nothing lost: a tone held to the end of input ends there', async (t) => {
  const seconds = 3;
  const held = encodePcm(sine(440, seconds, 44100), 2, 's16le');
  const tone = await run(M, held);
  t.equal(tone.code, 0, 'exit 0');
  t.equal(tone.stderr, '', 'nothing on stderr');
  const last = jsonLines<{ end: number; pitch: number }>(tone.stdout).at(-1);
  t.equal(last?.pitch, 69, 'the held note is A4');
  t.ok(Math.abs((last?.end ?? -1) - seconds) <= 1e-3,
    `last note ends at ${last?.end} s, the end of input (${seconds} s)`);
});
