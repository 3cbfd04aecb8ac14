// The library API: createTranscriber (a Duplex stream) and transcribe (a buffer), with the hand-set tone
// model (test/fixtures): what is checked is the API, not the shipped weights' hearing (npm run eval's).
import t from 'tap';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTranscriber, transcribe, loadEngine, resolveConfig, type Note } from '../lib/index.js';
import { ROOT, encodePcm, sine, toneModelWorkspace, wavFile } from './helpers.js';

/** C5 then E5 then G5, 0.4 s each with short gaps, as a clean additive tone with a few partials. */
function arpeggio(rate: number): Float32Array {
  const out = new Float32Array(Math.round(1.6 * rate));
  [72, 76, 79].forEach((midi, k) => {
    const hz = 440 * Math.pow(2, (midi - 69) / 12);
    const from = Math.round((0.1 + 0.5 * k) * rate), len = Math.round(0.4 * rate);
    for (let i = 0; i < len; i++) {
      const env = Math.exp(-i / (0.3 * rate)) * Math.min(1, i / (0.003 * rate));
      let v = 0;
      for (let p = 1; p <= 6; p++) v += Math.sin((2 * Math.PI * hz * p * i) / rate) / p;
      out[from + i] = 0.3 * env * v;
    }
  });
  return out;
}

const { model: TONE_MODEL } = await toneModelWorkspace(t, 'melodyfilter-api-');
const toneEngine = () => loadEngine(resolveConfig({ modelDir: TONE_MODEL }));

t.test('transcribe(buffer) and createTranscriber(stream) agree, whatever the chunking', async (t) => {
  const engine = await toneEngine();
  const pcm = encodePcm(arpeggio(44100), 2, 's16le');
  const whole = (await transcribe(pcm, { engine })) as Note[];
  t.ok(whole.length > 0, `${whole.length} notes`);
  const stream = await createTranscriber({ engine });
  const got: Note[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (n: Note) => got.push(n)); stream.on('end', resolve); stream.on('error', reject);
  });
  const chunks: Buffer[] = [];
  for (let i = 0, k = 1; i < pcm.length; i += k, k = (k * 13) % 4099 + 1) chunks.push(pcm.subarray(i, i + k));
  Readable.from(chunks).pipe(stream);
  await done;
  t.same(got, whole);
});

t.test('transcribe reads a WAV buffer by its header', async (t) => {
  const engine = await toneEngine();
  const mono = arpeggio(16000);
  const a = await transcribe(wavFile(mono, 16000, 1), { engine });
  const b = await transcribe(encodePcm(mono, 1, 's16le'), { engine, sampleRate: 16000, channels: 1 });
  t.same(a, b);
});

t.test('events mode yields note-on before note-off', async (t) => {
  const engine = await toneEngine();
  const events = (await transcribe(encodePcm(arpeggio(44100), 2, 's16le'),
    { engine, events: true })) as unknown as { event: string; pitch: number }[];
  const firstOn = events.findIndex((e) => e.event === 'on');
  const firstOff = events.findIndex((e) => e.event === 'off');
  t.ok(firstOn >= 0 && firstOff > firstOn);
});

t.test('silence gives no notes', async (t) => {
  const engine = await toneEngine();
  t.same(await transcribe(encodePcm(sine(440, 1, 44100, 0), 2, 's16le'), { engine }), []);
});

t.test('the default engine is the shipped model, in the wasm kernel without tfjs', async (t) => {
  const engine = await loadEngine(resolveConfig({}));
  t.equal(engine.card.name, 'melody-lstm');
  t.equal(engine.backend, 'none');
});

t.test('the declarations compile for a strict TypeScript user without skipLibCheck', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-types-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(path.join(dir, 'use.ts'), [
    `import { transcribe, loadEngine, resolveConfig, type Note } from '${path.join(ROOT, 'dist/lib/index.js')}';`,
    'const engine = await loadEngine(resolveConfig({}));',
    'const notes: Note[] = await transcribe(new Uint8Array(8), { engine });',
    'console.log(notes.length, engine.card.network);',
  ].join('\n'));
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true,
      types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')],
    },
    files: ['use.ts'],
  }));
  // tfjs-layers' own declarations do not compile under strict: the library's must not pull them in.
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir],
    { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout.split('\n').slice(0, 3).join('\n'));
});

t.test('the score as data: readScore and the renderers from the package entry', async (t) => {
  const { readScore, renderAbc, renderLilypond, renderMusicXml } = await import('../lib/index.js');
  // C D E F | G (half) at 120: quarters from 1 s.
  const notes = [60, 62, 64, 65, 67]
    .map((pitch, i) => ({ pitch, start: 1 + i * 0.5, end: 1 + i * 0.5 + (i === 4 ? 0.95 : 0.45) }));
  const score = readScore(notes, { title: 'api', meter: { beats: 4, beatType: 4 } });
  t.ok(Math.abs(score.tempo - 120) < 2, `tempo ${score.tempo}`);
  t.same(score.events.filter((e) => e.pitch !== null).map((e) => [e.pitch, e.duration]),
    [[60, 12], [62, 12], [64, 12], [65, 12], [67, 24]], 'quarters and a half note');
  t.match(renderAbc(score), /\nK:C\n/);
  t.match(renderMusicXml(score), /<score-partwise version="4.0">/);
  t.match(renderLilypond(score), /\\time 4\/4/);
});

t.test('the reference error class does not shadow the global ReferenceError', async (t) => {
  const api = await import('../lib/index.js');
  t.equal((api as Record<string, unknown>).ReferenceError, undefined);
  t.type(api.ReferenceFileError, 'function');
  let thrown: unknown = null;
  try { api.loadReference('/nonexistent/x.mid'); } catch (err) { thrown = err; }
  t.ok(thrown instanceof api.ReferenceFileError, 'a missing reference throws ReferenceFileError');
});
