// Issue 13, the option-related items: -d never overwrites unasked and never loses a good output (4),
// train never writes over a model unasked (5) and validates its flags (10), eval and empty values
// (14), binary MIDI and the terminal (17), the library's types, words and format checks (20), and
// the SVG width flag (22).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, ROOT, jsonLines, runCli, runShell, toneModelWorkspace, tones, wavFile } from './helpers.js';
import { FormatMismatchError, resolveConfig, transcribe, type Note, type Transcriber } from '../lib/index.js';
import { findPython } from '../lib/train/command.js';
import { parseNoteLine } from '../lib/match/input.js';

const { dir, model: TONE_MODEL } = await toneModelWorkspace(t, 'melodyfilter-edges-options-');
const M = ['-m', TONE_MODEL];
const RATE = 16000;
const take = path.join(dir, 'take.wav');
writeFileSync(take, wavFile(tones([[440, 0.05, 0.4], [523.25, 0.5, 0.9]], 1, RATE), RATE, 1));

const sh = (script: string, env: NodeJS.ProcessEnv = {}) => runShell(script, dir, env);

t.test('4: -d refuses to overwrite unless -y; a failed re-run keeps the good output', async (t) => {
  const out = path.join(dir, 'out');
  const first = await runCli([...M, '-d', out, take], null);
  t.equal(first.code, 0);
  const good = readFileSync(path.join(out, 'take.jsonl'), 'utf8');
  t.equal(jsonLines(good).length, 2);
  const again = await runCli([...M, '-d', out, take], null);
  t.equal(again.code, 1);
  t.equal(again.stderr,
    `melodyfilter: ${path.join(out, 'take.jsonl')} exists; not overwriting it (-y/--overwrite replaces it)\n`);
  writeFileSync(path.join(out, 'take.jsonl'), 'edited by hand\n');
  t.equal((await runCli([...M, '-d', out, '-y', take], null)).code, 0, '-y replaces it');
  t.equal(readFileSync(path.join(out, 'take.jsonl'), 'utf8'), good);
  // The same name, now a broken file: the re-run fails and the previous output stays.
  const broken = path.join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(path.join(broken, 'take.wav'), readFileSync(take).subarray(0, 30));
  const failed = await runCli([...M, '-d', out, '--overwrite', path.join(broken, 'take.wav')], null);
  t.equal(failed.code, 1);
  t.match(failed.stderr, /truncated WAV header/);
  t.equal(readFileSync(path.join(out, 'take.jsonl'), 'utf8'), good, 'the good output survives');
  t.same(readdirSync(out), ['take.jsonl'], 'no temporary file left');
});

t.test('5, 10: train never writes over a model unasked, and refuses flags it cannot honour', async (t) => {
  const existing = path.join(dir, 'models', 'mine');
  mkdirSync(existing, { recursive: true });
  for (const f of ['model.json', 'weights.bin']) copyFileSync(path.join(TONE_MODEL, f), path.join(existing, f));
  const before = readFileSync(path.join(existing, 'weights.bin'));
  for (const args of [['--name', 'mine'], ['--model', existing]]) {
    const r = await sh(`exec "$BIN" train ${args.join(' ')} --seconds 0 --workers 1`);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, /already holds a model; --resume continues it, --overwrite starts afresh over it/);
  }
  t.same(readFileSync(path.join(existing, 'weights.bin')), before, 'the model is untouched');
  const fresh = path.join(dir, 'fresh');
  const bad: [string, RegExp][] = [
    ['--batch 5000', /--batch must be a whole number from 1 to 4096, got 5000/],
    ['--workers 1e9', /--workers must be a whole number from 1 to 16, got 1e9/],
    ['--workers 1.5', /--workers must be a whole number/],
    ['--steps 0', /--steps must be a whole number from 1/],
    ['--learning-rate 1e308', /--learning-rate must be a number from 1e-7 to 1, got 1e308/],
    ['--frames 3', /--frames must be a whole number from 8/],
    ['--seed -1', /--seed must be a whole number from 0/],
    ['--fluid-share 2', /--fluid-share must be a number from 0 to 1/],
    ['--name ../../etc', /--name must be a plain name/],
    ['--resume --overwrite', /contradict/],
    ['--noise-share -0.1', /--noise-share must be a number from 0 to 1/],
    ['--init /nonexistent', /--init: no model.json in \/nonexistent/],
    ['--init . --resume', /contradict/],
    // Issue 22: with no checkpoint a resume once trained afresh and replaced the model.
    [`--resume --run ${path.join(dir, 'no-run')}`, /nothing to resume: no checkpoint in/],
  ];
  for (const [flags, message] of bad) {
    const started = Date.now();
    const r = await sh(`exec "$BIN" train --model ${fresh} ${flags}`);
    t.equal(r.code, 2, `${flags}: exit 2 in ${Date.now() - started} ms`);
    t.match(r.stderr, message);
  }
});

t.test('issue 22, 8: train checks what it can before any work starts',
  { skip: !findPython() && 'needs PyTorch' }, async (t) => {
  const fresh = path.join(dir, 'fresh8');
  mkdirSync(path.join(dir, 'no-shards'), { recursive: true });
  const cases: [string, number, RegExp][] = [
    // It once waited all of --seconds for shards that never came.
    ['--data /nonexistent', 2, /--data \/nonexistent: no such directory/],
    [`--data ${path.join(dir, 'no-shards')}`, 2,
      /holds no shards \(node dist\/scripts\/make-shards\.js DIR makes them\)/],
    // Node's recursive mkdir spins forever under /proc; a run directory that is a file says so.
    ['--model /proc/x', 1, /--model \/proc\/x: cannot make that directory \(no such file or directory\)/],
  ];
  for (const [flags, code, message] of cases) {
    const started = Date.now();
    const r = await sh(`exec "$BIN" train --model ${fresh} --run ${path.join(dir, 'run8')} ${flags}`);
    t.equal(r.code, code, `${flags}: exit ${code} in ${Date.now() - started} ms`);
    t.match(r.stderr, message);
  }
  const file = await sh(`exec "$BIN" train --model ${fresh} --run /dev/null`);
  t.equal(file.code, 1);
  t.match(file.stderr, /--run \/dev\/null: cannot make that directory \(not a directory\)/);
  t.notOk(existsSync(path.join(dir, 'run8', 'val-spectrum')), 'no validation set was made');
});

t.test('14: eval --set and --seed, empty values, "- -": usage errors (exit 2)', async (t) => {
  const cases: [string[], RegExp][] = [
    [['eval', '--set', 'toString'], /--set must be one of smoke, quick, full, got toString/],
    [['eval', '--set', '__proto__'], /--set must be one of/],
    [['eval', '--seed', 'abc'], /--seed must be a number, got "abc"/],
    [['eval', '--set='], /--set needs a value, got an empty one/],
    [['-d', '', take], /--out-dir needs a value, got an empty one/],
    [['--model=', take], /--model needs a value/],
    [['-', '-'], /stdin \('-'\) can be read only once/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, Buffer.alloc(0));
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, message);
  }
});

const hasScript = spawnSync('script', ['--version']).status === 0;

t.test('17: MIDI is not written to a terminal unless forced',
  { skip: !hasScript && 'needs util-linux script' }, async (t) => {
  const tty = (line: string) => spawnSync('script', ['-qec', `unset NODE_OPTIONS; ${line}`, '/dev/null'],
    { cwd: dir, env: { ...process.env, BIN } }).stdout.toString('latin1');
  const refused = tty(`"$BIN" -m tone-model -o midi take.wav; echo "exit $?"`);
  t.match(refused, /--output midi writes binary data; not writing it to a terminal/);
  t.match(refused, /exit 2/);
  t.notMatch(refused, /MThd/);
  t.match(tty(`"$BIN" -m tone-model -o midi -f take.wav`), /MThd/, '-f writes it');
  t.match(tty(`"$BIN" -m tone-model -o midi take.wav > take.mid; echo "exit $?"`), /exit 0/, 'to a file: fine');
});

t.test('20: the library: typed stream, its own words, WAV header checks, CommonJS', async (t) => {
  // Compile-time: a Transcriber's notes are Notes, not `any` (npm test type-checks this file).
  type IsAny<T> = 0 extends 1 & T ? true : false;
  const notAny: IsAny<ReturnType<Transcriber['read']>> = false;
  const isNote: ReturnType<Transcriber['read']> extends Note | null ? true : false = true;
  t.ok(!notAny && isNote);
  t.throws(() => resolveConfig({ sampleRate: 5 }), /^sampleRate must be an integer from 2000 to 768000, got 5$/);
  t.throws(() => resolveConfig({ channels: 0 }), { message: /^channels must be/ });
  const wav = readFileSync(take);
  const mismatch = await transcribe(wav, { modelDir: TONE_MODEL, sampleRate: 22050 }).catch((e: unknown) => e);
  t.ok(mismatch instanceof FormatMismatchError, 'the error the README names, exported');
  t.match(mismatch, { field: 'sampleRate', message: /sampleRate 22050 contradicts the WAV header's 16000 Hz/ });
  t.equal((await transcribe(wav, { modelDir: TONE_MODEL })).length, 2, 'without a rate, the header decides');
  t.equal((await transcribe(wav, { modelDir: TONE_MODEL, sampleRate: 16000 })).length, 2, 'an agreeing rate is fine');
  const cjs = spawnSync(process.execPath,
    ['-e', "const m = require('melodyfilter'); process.stdout.write(typeof m.transcribe)"],
    { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' } });
  t.equal(cjs.stdout.toString(), 'function', `require('melodyfilter') works: ${cjs.stderr}`);
});

t.test('22: --svg-width sets the picture\'s width', async (t) => {
  const r = await runCli([...M, '-o', 'svg', '--svg-width', '900', take], null);
  t.equal(r.code, 0);
  t.match(r.stdout.toString(), /^<svg [^>]*width="900"/);
  const bad = await runCli([...M, '-o', 'svg', '--svg-width', '5', take], null);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--svg-width must be a whole number from 100 to 100000, got 5/);
});

t.test('issue 22, 13: messages in words, found before the work', async (t) => {
  const wav = path.join(dir, 'm13.wav');
  writeFileSync(wav, wavFile(tones([[329.63, 0.1, 0.6]], 0.8, 16000), 16000, 1));
  // A card whose window would overrun the kernels' memory.
  const huge = path.join(dir, 'huge-window');
  mkdirSync(huge, { recursive: true });
  copyFileSync(path.join(TONE_MODEL, 'weights.bin'), path.join(huge, 'weights.bin'));
  const card = JSON.parse(readFileSync(path.join(TONE_MODEL, 'model.json'), 'utf8'));
  card.userDefinedMetadata.windowSamples = 2 ** 30;
  writeFileSync(path.join(huge, 'model.json'), JSON.stringify(card));
  const cases: [string, RegExp][] = [
    [`-m ${huge} ${wav}`,
      /model .*huge-window\/model\.json is corrupt: windowSamples 1073741824 .*a window of 64 to 65536/],
    [`-m /dev/null ${wav}`,
      /^melodyfilter: no model at \/dev\/null: not a directory \(a model is a directory holding model\.json\)$/m],
    [`-m ${wav} ${wav}`, /no model at .*m13\.wav: not a directory/],
    // An input that fails to read says which and why, not errno text.
    [`${M.join(' ')} /proc/self/mem`, /^melodyfilter: cannot read \/proc\/self\/mem: i\/o error$/m],
  ];
  for (const [args, message] of cases) {
    const r = await sh(`exec "$BIN" ${args}`);
    t.equal(r.code, 1, `${args}: exit 1`);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  // -y over a directory in the output's place: refused before transcribing, not EISDIR after.
  mkdirSync(path.join(dir, 'out13', 'm13.jsonl'), { recursive: true });
  const d = await sh(`exec "$BIN" ${M.join(' ')} -y -d out13 m13.wav`);
  t.equal(d.code, 1);
  t.match(d.stderr, /out13\/m13\.jsonl is a directory; not writing the notes over it/);
  // A 248-byte input name: its output is 254 bytes, within NAME_MAX; the temporary file must be too.
  const long = 'a'.repeat(248);
  copyFileSync(wav, path.join(dir, `${long}.wav`));
  const l = await sh(`exec "$BIN" ${M.join(' ')} -d out13b ${long}.wav`);
  t.equal(l.code, 0, l.stderr);
  t.same(readdirSync(path.join(dir, 'out13b')), [`${long}.jsonl`]);
  // The library says what it takes.
  await t.rejects(transcribe('abc' as unknown as Uint8Array, { modelDir: TONE_MODEL }),
    /transcribe\(\) takes the audio's bytes \(a Buffer or Uint8Array\), got a string/);
  await t.rejects(transcribe(null as unknown as Uint8Array, { modelDir: TONE_MODEL }), /got null/);
});

t.test('issue 22, 13: a byte-order mark before the first JSON line keeps its note', async (t) => {
  const line = JSON.stringify({ pitch: 60, start: 0.1, end: 0.5 });
  t.same(parseNoteLine('\ufeff' + line), parseNoteLine(line));
  t.same(parseNoteLine('\ufeff' + line), { note: { pitch: 60, start: 0.1, end: 0.5 } });
});

t.test('issue 22, 14: --progress forces the bar when stderr is not a terminal (as lines)', async (t) => {
  const wav = path.join(dir, 'progress.wav');
  writeFileSync(wav, wavFile(tones([[329.63, 0.1, 0.6]], 0.8, 16000), 16000, 1));
  const forced = await runCli([...M, '--progress', '-o', 'csv', wav], null);
  t.equal(forced.code, 0);
  t.match(forced.stderr, /progress\.wav \|.*\| 100% \|/);
  const quiet = await runCli([...M, '-o', 'csv', wav], null);
  t.equal(quiet.stderr, '', 'not asked, not a terminal: no bar');
});
