// The kernel registry (lib/model/kernels.ts): a kernel is one entry; the engine asks the one named and
// follows `otherwise` where it cannot run the model.
import t from 'tap';
import { KERNEL_ENTRIES, kernelFor, type KernelEntry } from '../lib/model/kernels.js';
import { type FrameClassifier } from '../lib/model/kernels.js';
import { readWeightFile } from '../lib/model/files.js';
import { loadEngine, transcribe } from '../lib/pipeline/transcriber.js';
import type { Kernel } from '../lib/config.js';
import { encodePcm, tones, toneModelWorkspace } from './helpers.js';

const { model: TONE_MODEL } = await toneModelWorkspace(t, 'melodyfilter-kernels-');
const engineWith = (kernel: string) => loadEngine({ modelDir: TONE_MODEL, backend: 'cpu', kernel: kernel as Kernel });
const audio = encodePcm(tones([[261.63, 0.1, 0.5], [329.63, 0.6, 1.0], [392, 1.1, 1.5]], 1.8, 16000), 1, 's16le');
const format = { sampleRate: 16000, channels: 1, encoding: 's16le' } as const;

t.test('a kernel added in a test alone runs the pipeline (one entry)', async (t) => {
  const registry = KERNEL_ENTRIES as Record<string, KernelEntry>;
  let windows = 0;
  // A kernel that counts what it is given and lets the reference compute it.
  registry.counting = {
    runs: KERNEL_ENTRIES.fast.runs,
    load: async (file, cfg) => {
      const inner = await KERNEL_ENTRIES.fast.load(file, cfg);
      return {
        ...inner,
        newClassifier: (): FrameClassifier => {
          const c = inner.newClassifier();
          return { run: (x, n, p, o) => { windows += n; return c.run(x, n, p, o); }, dispose: () => c.dispose() };
        },
      };
    },
  };
  t.teardown(() => { delete registry.counting; });
  const counted = await transcribe(audio, { engine: await engineWith('counting'), ...format });
  t.ok(windows > 100, `${windows} windows through the added kernel`);
  t.same(counted, await transcribe(audio, { engine: await engineWith('fast'), ...format }), 'the reference\'s notes');
  t.ok(counted.length >= 3, `${counted.length} notes`);
});

t.test('a kernel that cannot run a model hands it on', async (t) => {
  const file = await readWeightFile(TONE_MODEL);
  t.equal(kernelFor(file, 'wasm'), 'wasm', 'the LSTM stays in wasm');
  const entries: Record<string, KernelEntry> = {
    picky: { runs: () => false, otherwise: 'fast', load: KERNEL_ENTRIES.fast.load },
    fast: KERNEL_ENTRIES.fast,
  };
  t.equal(kernelFor(file, 'picky' as Kernel, entries), 'fast');
  const loop: Record<string, KernelEntry> = {
    a: { ...entries.picky, otherwise: 'b' as Kernel }, b: { ...entries.picky, otherwise: 'a' as Kernel },
  };
  t.throws(() => kernelFor(file, 'a' as Kernel, loop), /no kernel runs model/);
});

t.test('wasm classifiers are reused from stream to stream, each starting from fresh state', async (t) => {
  const engine = await engineWith('wasm');
  const other = encodePcm(tones([[440, 0.05, 1.6]], 1.7, 16000), 1, 's16le');
  const first = await transcribe(audio, { engine, ...format });
  const between = await transcribe(other, { engine, ...format });
  t.same(await transcribe(audio, { engine, ...format }), first, 'the same notes after another stream');
  t.same(between, await transcribe(other, { engine: await engineWith('wasm'), ...format }), 'as a new engine hears it');
  // Two streams at once each get their own.
  const [a, b] = await Promise.all([transcribe(audio, { engine, ...format }),
    transcribe(other, { engine, ...format })]);
  t.same(a, first);
  t.same(b, between);
});
