// The matcher measured end to end: each tune of examples/tunes.txt performed (random key ±6,
// tempo 0.7–1.4× with drift, timing jitter, 0–3 injected wrong/missed/extra notes) by FluidR3 or
// a held-out voice of the project's synthesizer, with room and noise; the audio transcribed by the
// real transcriber (shipped model); the notes fed to the matcher note by note.
// Usage: node dist/scripts/match-eval.js [--seed N] [--per-tune N] [--distractors N] [--scale-refs N]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../lib/config.js';
import { MODEL_RATE, midiName } from '../lib/music.js';
import { loadEngine, transcribe, type Engine } from '../lib/pipeline/transcriber.js';
import { buildMidi } from '../lib/midi-file.js';
import { type Note } from '../lib/notes.js';
import { parseTunes, tuneBook, tuneScore, type Tune } from '../lib/match/notation.js';
import { loadReferences } from '../lib/match/reference.js';
import { melodyOf, type Melody, type PlayedNote } from '../lib/match/melody.js';
import { createMatcher } from '../lib/match/identify.js';
import { createFollower, type FollowEvent, type NoteVerdict } from '../lib/match/follow.js';
import { randomMelody, type ScoreNote } from '../lib/synth/melody.js';
import { gaussian, intIn, makeRng, pick, uniform, type Rng } from '../lib/synth/random.js';
import { renderTake, toS16le } from '../lib/synth/take.js';
import { renderMusicXml } from '../lib/writers/musicxml.js';

const { values: args } = parseArgs({ options: {
  seed: { type: 'string', default: '4242' },
  'per-tune': { type: 'string', default: '5' }, // performances per tune: mistakes 0, 0, 1, 2, 3, …
  distractors: { type: 'string', default: '1000' },
  'scale-refs': { type: 'string', default: '10000' },
  notes: { type: 'string', default: '28' }, // notes of each tune performed
  json: { type: 'string' }, // write per-performance details here
  replay: { type: 'string' }, // re-score the performances and transcriptions of an earlier --json
  refs: { type: 'string', default: 'midi' }, // the tunes as references: midi files, an abc tune book, musicxml files
} });
const SEED = Number(args.seed), PER_TUNE = Number(args['per-tune']);
const CHECKPOINTS = [4, 8, 16];
const MISTAKE_KINDS = ['wrong', 'missed', 'extra'] as const;
type MistakeKind = (typeof MISTAKE_KINDS)[number];
/** A transcribed note belongs to a performed one when their onsets are this close. */
const ONSET_MATCH_SECONDS = 0.07;

interface Performed extends ScoreNote {
  /** 1-based reference position, or 0 for an injected extra note. */
  position: number;
  mistake?: MistakeKind;
}
interface Performance {
  tune: Tune;
  notes: Performed[];
  missed: number[]; // reference positions left out
  transpose: number; speed: number; drift: number;
  mistakes: number;
}

/** Distractors: random tune-like melodies in the tunes' register and pace. */
function distractor(rng: Rng, i: number): Melody {
  const notes = randomMelody(rng, { seconds: uniform(rng, 10, 25), lowMidi: 55, highMidi: 84, minNoteSeconds: 0.15,
    maxNoteSeconds: 1.2, restProbability: 0.05, style: pick(rng,
      ['tune', 'tune', 'scale', 'walk', 'arpeggio', 'leaps'] as const) });
  return melodyOf(`distractor-${i}`, notes);
}

function perform(rng: Rng, tune: Tune, mistakes: number, maxNotes: number): Performance {
  const src = tune.notes.slice(0, maxNotes);
  const transpose = intIn(rng, -6, 6), speed = uniform(rng, 0.7, 1.4), drift = uniform(rng, -0.15, 0.15);
  const total = src[src.length - 1].start || 1;
  // Onsets through a drifting tempo (speed changes linearly by `drift` over the passage), plus
  // a player's timing jitter.
  const warp = (t: number) => { // integral of 1/speed(t)
    const k = drift / total;
    return Math.abs(k) < 1e-9 ? t / speed : Math.log(1 + k * t) / (k * speed);
  };
  const notes: Performed[] = src.map((n, i) => {
    const start = 0.3 + warp(n.start) + (i ? 0.01 * gaussian(rng) : 0);
    const end = 0.3 + warp(n.end);
    return { pitch: n.pitch + transpose, start, end: Math.max(start + 0.05, end),
      velocity: intIn(rng, 55, 100), position: i + 1 };
  });
  // Mistakes at distinct places, two notes apart, never the first two or the last.
  const places: number[] = [];
  for (let tries = 0; places.length < mistakes && tries < 1000; tries++) {
    const p = intIn(rng, 2, notes.length - 2);
    if (places.every((q) => Math.abs(q - p) >= 3)) places.push(p);
  }
  places.sort((a, b) => b - a); // from the end, so indices stay valid
  const missed: number[] = [];
  for (const p of places) {
    const kind = pick(rng, MISTAKE_KINDS);
    const prev = notes[p - 1].pitch, next = notes[p + 1].pitch;
    if (kind === 'wrong') {
      let q;
      do q = notes[p].pitch + pick(rng, [-3, -2, -1, 1, 2, 3]); while (q === prev || q === next);
      notes[p] = { ...notes[p], pitch: q, mistake: 'wrong' };
    } else if (kind === 'missed') {
      missed.push(notes[p].position);
      notes.splice(p, 1);
    } else {
      const a = notes[p], ioi = notes[p + 1].start - a.start;
      let q;
      do q = a.pitch + pick(rng, [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5]);
      while (q === a.pitch || q === notes[p + 1].pitch);
      const start = a.start + ioi / 2;
      notes[p] = { ...a, end: Math.min(a.end, start - 0.01) };
      notes.splice(p + 1, 0, { pitch: q, start, end: start + ioi * 0.4, velocity: a.velocity,
        position: 0, mistake: 'extra' });
    }
  }
  return { tune, notes, missed, transpose, speed, drift, mistakes: places.length };
}

function render(rng: Rng, p: Performance): { audio: Float32Array; source: string } {
  return renderTake(rng, p.notes);
}

/** Transcribed note index → performed note index, by nearest onset, one to one. */
function pairNotes(est: readonly PlayedNote[], perf: readonly Performed[]): Map<number, number> {
  const pairs: [number, number, number][] = [];
  est.forEach((e, i) => perf.forEach((p, k) => {
    const d = Math.abs(e.start - p.start);
    if (d <= ONSET_MATCH_SECONDS) pairs.push([d, i, k]);
  }));
  pairs.sort((a, b) => a[0] - b[0]);
  const out = new Map<number, number>(), used = new Set<number>();
  for (const [, i, k] of pairs) if (!out.has(i) && !used.has(k)) { out.set(i, k); used.add(k); }
  return out;
}

interface Detail {
  tune: string;
  source: string;
  perf: Omit<Performance, 'tune'>;
  est: PlayedNote[];
  verdicts?: FollowEvent[];
  score?: FollowScore;
  top1?: (string | null)[];
}

interface FollowScore {
  injected: number; reported: number; reportedAnyKind: number; falseReports: number; correctNotes: number;
}

function followScore(perf: Performance, ref: Melody, played: readonly PlayedNote[],
  verdicts: readonly FollowEvent[]): FollowScore {
  const notes = verdicts.filter((v): v is NoteVerdict => v.event === 'note');
  const byPlayed = new Map<number, NoteVerdict>(); // played note index → its verdict
  // One event per played note, in order: a verdict with the note's pitch, or a prelude.
  const perPlayed = verdicts.filter((v) => v.event === 'prelude' || (v.event === 'note' && v.pitch !== undefined));
  perPlayed.forEach((v, i) => { if (v.event === 'note') byPlayed.set(i, v); });
  if (perPlayed.length !== played.length)
    throw new Error(`${perPlayed.length} events for ${played.length} played notes`);
  const pairs = pairNotes(played, perf.notes);
  const perfToPlayed = new Map<number, number>();
  for (const [i, k] of pairs) perfToPlayed.set(k, i);
  const explained = new Set<NoteVerdict>();
  let injected = 0, reported = 0, reportedAnyKind = 0;
  perf.notes.forEach((n, k) => {
    if (!n.mistake) return;
    injected++;
    const i = perfToPlayed.get(k);
    const v = i === undefined ? undefined : byPlayed.get(i);
    if (v && v.verdict === n.mistake) reported++;
    if (v && v.verdict !== 'ok') { reportedAnyKind++; explained.add(v); }
  });
  for (const pos of perf.missed) {
    injected++;
    const same = (v: NoteVerdict) => v.position === pos || (Math.abs(v.position - pos) === 1
      && ref.pitches[v.position - 1] === ref.pitches[pos - 1]);
    const hit = notes.find((v) => v.verdict === 'missed' && same(v));
    if (hit) { reported++; explained.add(hit); }
    const any = notes.find((v) => v.verdict !== 'ok' && !explained.has(v) && Math.abs(v.position - pos) <= 1);
    if (hit || any) { reportedAnyKind++; if (any) explained.add(any); }
  }
  // Every report no injected mistake explains is false, jumps included (the follower lost its place).
  const falseReports = notes.filter((v) => v.verdict !== 'ok' && !explained.has(v)).length
    + verdicts.filter((v) => v.event === 'jump').length;
  const correctNotes = perf.notes.filter((n) => !n.mistake).length;
  return { injected, reported, reportedAnyKind, falseReports, correctNotes };
}

const pct = (a: number, b: number) => (b ? ((100 * a) / b).toFixed(1) + '%' : '–');

async function main() {
  const rng = makeRng(SEED);
  const tunes = parseTunes(readFileSync(new URL('../../examples/tunes.txt', import.meta.url), 'utf8'));
  // References as a user has them: MIDI files written from the tunes (or an ABC tune book, or
  // MusicXML files, written by melodyfilter's own notation writers), read back by the matcher.
  const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-match-eval-'));
  let tuneRefs: Melody[];
  try {
    if (args.refs === 'abc') writeFileSync(path.join(dir, 'tunes.abc'), tuneBook(tunes));
    for (const t of tunes) {
      const notes: Note[] = t.notes.map((n) => ({ ...n, name: midiName(n.pitch), velocity: 80, confidence: 1 }));
      if (args.refs === 'midi') {
        writeFileSync(path.join(dir, `${t.name}.mid`), buildMidi(notes, { tempo: t.bpm, program: 0, midiChannel: 1 }));
      } else if (args.refs === 'musicxml') writeFileSync(path.join(dir, `${t.name}.musicxml`),
        renderMusicXml(tuneScore(t)));
    }
    tuneRefs = loadReferences([dir]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The tune a reference holds: its file name, or an ABC tune book's tune title.
  const tuneName = (r: Melody) => /#\d+ (.+)$/.exec(r.name)?.[1] ?? path.basename(r.name, path.extname(r.name));
  const refOf = new Map(tuneRefs.map((r) => [tuneName(r), r]));
  const distractors = Array.from({ length: Number(args.distractors) }, (_, i) => distractor(rng, i));
  const refs = [...tuneRefs, ...distractors];
  const engine: Engine | null = args.replay ? null : await loadEngine(resolveConfig({}));
  log(`${tunes.length} tunes + ${distractors.length} distractors; ${PER_TUNE} performances per tune`);

  const top1 = { audio: CHECKPOINTS.map(() => 0), score: CHECKPOINTS.map(() => 0), reached: CHECKPOINTS.map(() => 0) };
  // The same, over the performances without injected mistakes (what the transcriber alone does).
  const top1Clean = { audio: CHECKPOINTS.map(() => 0), score: CHECKPOINTS.map(() => 0), n: 0 };
  const follow = { audio: [] as (FollowScore & { clean: boolean; source: string })[],
    score: [] as (FollowScore & { clean: boolean })[] };
  const details: unknown[] = [];
  const queries: PlayedNote[][] = [];
  const started = Date.now();
  let performances = 0;
  const replay = args.replay ? (JSON.parse(readFileSync(args.replay, 'utf8')) as Detail[]) : null;
  const runs: (() => Promise<Detail>)[] = replay ? replay.map((d) => async () => d) : tunes.flatMap((tune) =>
    Array.from({ length: PER_TUNE }, (_, k) => async (): Promise<Detail> => {
      const mistakes = k < 2 ? 0 : Math.min(3, k - 1 + (k >= 5 ? intIn(rng, -2, 0) : 0));
      const perf = perform(rng, tune, mistakes, Number(args.notes));
      const { audio, source } = render(rng, perf);
      const est = ((await transcribe(toS16le(audio), { engine: engine!, sampleRate: MODEL_RATE, channels: 1,
        encoding: 's16le' })) as Note[])
        .map((n) => ({ pitch: n.pitch, start: n.start, end: n.end })).sort((a, b) => a.start - b.start);
      const { tune: _t, ...rest } = perf;
      return { tune: tune.name, source, perf: rest, est };
    }));
  for (const run of runs) {
    {
      const d = await run();
      details.push(d);
      const { source, est } = d;
      const tune = tunes.find((t) => t.name === d.tune)!;
      const perf: Performance = { ...d.perf, tune };
      const mistakes = perf.mistakes;
      const ref = refOf.get(tune.name)!;
      queries.push(est);
      const truth = perf.notes.map((n) => ({ pitch: n.pitch, start: n.start, end: n.end }));
      // Identification, on the transcription and on the performed notes themselves.
      if (mistakes === 0) top1Clean.n++;
      for (const [which, notes] of [['audio', est], ['score', truth]] as const) {
        const matcher = createMatcher(refs);
        notes.forEach((n, i) => {
          const ranking = matcher.push(n);
          const c = CHECKPOINTS.indexOf(i + 1);
          if (c >= 0) {
            if (which === 'audio') top1.reached[c]++;
            if (ranking[0]?.ref === ref.name) { top1[which][c]++; if (mistakes === 0) top1Clean[which][c]++; }
            else if (process.env.MATCH_EVAL_MISSES && i + 1 === 8) {
              log(`${which} after 8: ${tune.name} (${mistakes} mistakes) → ` +
                `${ranking[0]?.ref} ${ranking[0]?.score.toFixed(3)}; ` +
                `played ${notes.slice(0, 8).map((x) => x.pitch).join(' ')}; ` +
                `reference ${Array.from(ref.pitches.slice(0, 10)).join(' ')}`);
            }
            if (which === 'audio') (d.top1 ??= []).push(ranking[0]?.ref ?? null);
          }
        });
      }
      // Practice.
      for (const [which, notes] of [['audio', est], ['score', truth]] as const) {
        const f = createFollower(ref);
        const verdicts: FollowEvent[] = [];
        for (const n of notes) verdicts.push(...f.push(n));
        verdicts.push(...f.end());
        const s = followScore(perf, ref, notes, verdicts);
        if (which === 'audio') {
          follow.audio.push({ ...s, clean: mistakes === 0, source });
          d.verdicts = verdicts.filter((v) => v.event !== 'note' || v.verdict !== 'ok');
          d.score = s;
        } else follow.score.push({ ...s, clean: mistakes === 0 });
      }
      performances++;
      if (performances % 10 === 0) log(`${performances} performances, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(details, null, 1));

  const total = performances;
  const sum = (xs: FollowScore[], k: keyof FollowScore) => xs.reduce((a, x) => a + x[k], 0);
  const lines: string[] = [];
  lines.push(`Seed ${SEED}: ${tunes.length} tunes (${args.refs} references), ${total} performances, ` +
    `${distractors.length} distractors; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  lines.push('', '| identification, top-1 | after 4 notes | after 8 notes | after 16 notes |', '|---|---|---|---|');
  /** A table row: its name, then a cell per checkpoint. */
  const top1Row = (name: string, cell: (c: number) => string) =>
    `| ${name} | ${CHECKPOINTS.map((_, c) => cell(c)).join(' | ')} |`;
  lines.push(top1Row('audio → melodyfilter → match',
    (c) => `${pct(top1.audio[c], total)} (${top1.audio[c]}/${total})`));
  lines.push(top1Row('performed notes → match (no audio)', (c) => pct(top1.score[c], total)));
  const nClean = top1Clean.n;
  lines.push(top1Row('… performances without injected mistakes: audio',
    (c) => `${pct(top1Clean.audio[c], nClean)} (${top1Clean.audio[c]}/${nClean})`));
  lines.push(top1Row('… performances without injected mistakes: performed notes',
    (c) => pct(top1Clean.score[c], nClean)));
  const row = (name: string, xs: FollowScore[], cleanXs: FollowScore[]) =>
    `| ${name} | ${pct(sum(xs, 'reported'), sum(xs, 'injected'))} (${sum(xs, 'reported')}/${sum(xs, 'injected')}) | ` +
    `${pct(sum(xs, 'reportedAnyKind'), sum(xs, 'injected'))} | ` +
    `${(100 * sum(cleanXs, 'falseReports') / Math.max(1, sum(cleanXs, 'correctNotes'))).toFixed(2)} ` +
    `(${sum(cleanXs, 'falseReports')}/${sum(cleanXs, 'correctNotes')}) | ` +
    `${(100 * sum(xs, 'falseReports') / Math.max(1, sum(xs, 'correctNotes'))).toFixed(2)} |`;
  lines.push('', '| --follow | injected mistakes reported (right kind) | reported as any mistake ' +
    '| false reports per 100 correct notes, clean performances | same, performances with mistakes |',
    '|---|---|---|---|---|');
  const withMistakes = (xs: (FollowScore & { clean: boolean })[]) => xs.filter((x) => !x.clean);
  const clean = (xs: (FollowScore & { clean: boolean })[]) => xs.filter((x) => x.clean);
  lines.push(row('audio → melodyfilter → match', withMistakes(follow.audio), clean(follow.audio)));
  for (const src of ['FluidR3', 'synth']) {
    const xs = follow.audio.filter((x) => x.source === src);
    lines.push(row(`… played by ${src === 'synth' ? 'held-out synth voices' : 'FluidR3'}`,
      withMistakes(xs), clean(xs)));
  }
  lines.push(row('performed notes → match (no audio)', withMistakes(follow.score), clean(follow.score)));

  // Time per incoming note with many references.
  const nRefs = Number(args['scale-refs']);
  const many = [...tuneRefs];
  const rng2 = makeRng(SEED + 1);
  while (many.length < nRefs) many.push(distractor(rng2, many.length));
  let t0 = performance.now();
  const big = createMatcher(many);
  const buildMs = performance.now() - t0;
  let pushes = 0, worst = 0;
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const q of queries) {
    big.reset();
    for (const n of q.slice(0, 32)) {
      const t1 = performance.now(); big.push(n); worst = Math.max(worst, performance.now() - t1); pushes++;
    }
  }
  const perNote = (performance.now() - t0) / pushes;
  const cpu = process.cpuUsage(cpu0), cpuPerNote = (cpu.user + cpu.system) / 1000 / pushes;
  const fol = createFollower(tuneRefs.reduce((a, b) => (a.pitches.length > b.pitches.length ? a : b)));
  t0 = performance.now();
  let fpushes = 0;
  for (const q of queries) for (const n of q) { fol.push(n); fpushes++; }
  const followPerNote = (performance.now() - t0) / fpushes;
  lines.push('',
    `Speed: ${many.length} references indexed in ${buildMs.toFixed(0)} ms; identification ${perNote.toFixed(2)} ms ` +
    `per incoming note (CPU ${cpuPerNote.toFixed(2)} ms; worst ${worst.toFixed(1)} ms; ` +
    `${pushes} notes, windows of up to 32); ` +
    `--follow ${followPerNote.toFixed(3)} ms per note (${fol.reference.pitches.length}-note reference); load average ` +
    `${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  process.stdout.write(lines.join('\n') + '\n');
}

function log(s: string) { process.stderr.write(`match-eval: ${s}\n`); }

main().catch((err) => { process.stderr.write(`match-eval: ${(err as Error).stack}\n`); process.exitCode = 1; });
