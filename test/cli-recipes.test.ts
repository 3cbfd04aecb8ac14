// The command line's recipes, each proven by adding one in the test alone: an output format is one
// WRITERS entry (its own flag included), a subcommand one SUBCOMMANDS entry; and every command's
// numbers go through one reader that refuses junk with exit 2. The additions are registered in a
// small module that then runs the real, compiled CLI (dist/bin/melodyfilter.js) in its own process.
import { execFile } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { parseNumber } from '../lib/cli/options.js';
import { writeCard } from '../lib/model/files.js';
import { ROOT, runCli, tones, toneModelWorkspace, wavFile } from './helpers.js';

const { dir, model: TONE_MODEL } = await toneModelWorkspace(t, 'melodyfilter-recipes-');
const take = path.join(dir, 'take.wav');
// C4, E4, G4: the tone model hears them as MIDI 60, 64, 67.
writeFileSync(take, wavFile(tones([[261.63, 0.1, 0.5], [329.63, 0.6, 1.0], [392, 1.1, 1.5]], 1.8, 16000), 16000, 1));
const dist = (rel: string) => pathToFileURL(path.join(ROOT, 'dist', rel)).href;

interface Run { code: number | null; stdout: string; stderr: string }

/** Runs `script` (an ES module that registers something, then imports the CLI) with `args`, as the bin
 *  would run the CLI; tap's loaders are dropped, as helpers.ts spawnCli does. */
function runRegistered(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('env', ['-u', 'NODE_OPTIONS', 'node', script, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr }));
  });
}

function registration(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `${body}\nawait import(${JSON.stringify(dist('bin/melodyfilter.js'))});\n`);
  return file;
}

t.test('an output format added in a test alone (one WRITERS entry, its own flag) is taken by -o', async (t) => {
  const tsv = registration('tsv-writer.mjs', `
import { WRITERS } from ${JSON.stringify(dist('lib/writers/registry.js'))};
WRITERS.tsv = {
  name: 'tsv', summary: 'pitch and name per line', extension: '.tsv', streaming: true, onePerInput: true,
  binary: false,
  options: {
    'tsv-separator': {
      kind: 'choice', choices: ['tab', 'semicolon'], default: 'tab', value: 'SEP', section: 'Output',
      target: 'separator', help: 'tsv: the column separator (default {default})',
    },
  },
  make: ({ options }) => async function* (src) {
    const sep = options.separator === 'semicolon' ? ';' : '\\t';
    for await (const batch of src) {
      for (const o of batch) if (o.kind === 'note') yield o.note.pitch + sep + o.note.name + '\\n';
    }
  },
};`);
  const M = ['-m', TONE_MODEL];
  const semi = await runRegistered(tsv, [...M, '-o', 'tsv', '--tsv-separator', 'semicolon', take]);
  t.equal(semi.stderr, '');
  t.equal(semi.code, 0);
  t.equal(semi.stdout, '60;C4\n64;E4\n67;G4\n', 'the writer ran with its option');
  const tab = await runRegistered(tsv, [...M, '-o', 'tsv', take]);
  t.equal(tab.stdout, '60\tC4\n64\tE4\n67\tG4\n', 'its default');
  const out = path.join(dir, 'out');
  const files = await runRegistered(tsv, [...M, '-o', 'tsv', '-d', out, take]);
  t.equal(files.code, 0);
  t.equal(readFileSync(path.join(out, 'take.tsv'), 'utf8'), tab.stdout, '--out-dir names the file by its extension');
  const help = await runRegistered(tsv, ['--help']);
  t.match(help.stdout, /tsv: pitch and name per line/, '--help lists the format');
  t.match(help.stdout, /--tsv-separator SEP +tsv: the column separator \(default tab\)/, 'and its flag');
  const elsewhere = await runRegistered(tsv, [...M, '--tsv-separator', 'tab', take]);
  t.equal(elsewhere.code, 2);
  t.match(elsewhere.stderr, /^melodyfilter: --tsv-separator is for -o tsv, not --output jsonl\n/);
  // The built-in writers' flags alike: each with an output that cannot honour it is refused, not ignored.
  for (const [flag, output] of [['--tempo', 'midi'], ['--program', 'midi'], ['--midi-channel', 'midi'],
    ['--csv-header', 'csv'], ['--svg-width', 'svg'], ['--meter', 'musicxml']] as const) {
    const values: Record<string, string[]> = { '--csv-header': [], '--meter': ['3/4'], '--svg-width': ['500'] };
    const value = values[flag] ?? ['2']; // a valid tempo, program and channel alike
    const r = await runCli([...M, flag, ...value, take], null);
    t.equal(r.code, 2, `${flag} with JSON lines`);
    t.match(r.stderr, new RegExp(`^melodyfilter: ${flag} is for -o ${output}`));
  }
  const junk = await runRegistered(tsv, [...M, '-o', 'tsv', '--tsv-separator', 'comma', take]);
  t.equal(junk.code, 2);
  t.match(junk.stderr, /^melodyfilter: --tsv-separator must be one of tab, semicolon, got comma\n/);
  // Without the entry, the name is nobody's.
  const plain = await runCli([...M, '-o', 'tsv', take], null);
  t.equal(plain.code, 2);
  t.match(plain.stderr, /^melodyfilter: --output must be one of jsonl, midi, csv, svg, musicxml, abc, ly, got tsv\n/);
});

t.test('a subcommand added in a test alone (one SUBCOMMANDS entry) runs and has its --help', async (t) => {
  const hello = registration('hello-command.mjs', `
import { SUBCOMMANDS } from ${JSON.stringify(dist('lib/cli/commands.js'))};
SUBCOMMANDS.push({
  name: 'hello',
  load: async () => ({
    name: 'hello', summary: 'greets NAMEs', operands: 'NAME...',
    options: {
      times: {
        kind: 'integer', value: 'N', range: [1, 3], default: 1, section: 'Greeting',
        help: 'greetings each (default {default})',
      },
    },
    run: async ({ options, positionals }) => {
      for (let i = 0; i < options.times; i++) process.stdout.write('hello ' + positionals.join(' ') + '\\n');
      return 0;
    },
  }),
});`);
  const ran = await runRegistered(hello, ['hello', '--times', '2', 'you']);
  t.same(ran, { code: 0, stdout: 'hello you\nhello you\n', stderr: '' }, 'it ran with its option');
  t.equal((await runRegistered(hello, ['hello', 'me'])).stdout, 'hello me\n', 'its default');
  const help = await runRegistered(hello, ['hello', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^melodyfilter hello: greets NAMEs\n/);
  t.match(help.stdout, /melodyfilter hello \[--times N\] NAME\.\.\./);
  t.match(help.stdout, /Greeting:\n +--times N +greetings each \(default 1\)/);
  t.match(help.stdout, /-h, --help +this text/, 'the common options too');
  const top = await runRegistered(hello, ['--help']);
  t.match(top.stdout, /melodyfilter hello \[--times N\] NAME\.\.\./, 'the top-level --help lists it');
  const bad = await runRegistered(hello, ['hello', '--times', '4', 'you']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^melodyfilter: --times must be a whole number from 1 to 3, got 4\n/);
  // Without the entry, `hello` is a file to transcribe, and there is none.
  const plain = await runCli(['-m', TONE_MODEL, 'hello'], null);
  t.equal(plain.code, 1);
  t.match(plain.stderr, /cannot read hello: no such file/);
});

t.test('a kernel added in a test alone (one KERNEL_ENTRIES entry) is taken by --kernel', async (t) => {
  const plain = registration('plain-kernel.mjs', `
import { KERNEL_ENTRIES } from ${JSON.stringify(dist('lib/model/kernels.js'))};
KERNEL_ENTRIES.plain = { ...KERNEL_ENTRIES.fast }; // the reference, under a name of its own`);
  const M = ['-m', TONE_MODEL];
  const ran = await runRegistered(plain, [...M, '--kernel', 'plain', '-v', take]);
  t.equal(ran.code, 0);
  t.match(ran.stderr, /kernel plain/);
  const reference = await runCli([...M, '--kernel', 'fast', take], null);
  t.equal(ran.stdout, reference.stdout.toString(), "the reference's notes");
  const unknown = await runCli([...M, '--kernel', 'plain', take], null);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^melodyfilter: --kernel must be one of wasm, fast, tfjs, got plain\n/);
});

t.test('one number reader: junk is a one-line usage error (exit 2) in transcribe, match, train, eval', async (t) => {
  const flags = [['-r'], ['--threshold'], ['match', '--top'], ['train', '--seconds'], ['eval', '--seed']];
  const junk = ['', '1e999', '0x10', 'nan', 'Infinity', '1,5', '12abc'];
  const runs = flags.flatMap((flag) => junk.map((value) => ({ flag, value })));
  // In parallel: each is a process start, and nothing here depends on another.
  const results = await Promise.all(runs.map(({ flag, value }) => runCli([...flag, value], null)));
  runs.forEach(({ flag, value }, i) => {
    const r = results[i];
    const long = flag.at(-1) === '-r' ? '--rate' : flag.at(-1)!;
    const why = value === '' ? 'needs a value, got an empty one' : `must be a number, got ${JSON.stringify(value)}`;
    t.equal(r.code, 2, `${flag.join(' ')} ${JSON.stringify(value)}: exit 2`);
    const help = flag.length > 1 ? `melodyfilter ${flag[0]} --help` : 'melodyfilter --help';
    t.equal(r.stderr, `melodyfilter: ${long} ${why}\nTry '${help}' for more information.\n`);
  });
  t.equal(parseNumber('rate', '44.1k', { kind: 'integer', kilo: true }), 44100, "sox's thousands, where taken");
  t.throws(() => parseNumber('tempo', '1k', { kind: 'number' }), /--tempo must be a number, got "1k"/);
  t.equal(parseNumber('x', ' .5 ', { kind: 'number', range: [0, 1] }), 0.5);
  t.equal(parseNumber('x', '-1e2', { kind: 'number' }), -100);
  t.throws(() => parseNumber('x', '2.5', { kind: 'integer' }), /--x must be a whole number, got 2.5/);
  t.throws(() => parseNumber('x', '1e20', { kind: 'integer' }), /whole number/, 'beyond exact integers');
});

t.test("--help shows the loaded model's decoder settings, the built-in ones if it cannot be read", async (t) => {
  const tuned = path.join(dir, 'tuned-model');
  cpSync(TONE_MODEL, tuned, { recursive: true });
  t.teardown(() => rmSync(tuned, { recursive: true, force: true }));
  await writeCard(tuned, (card) => ({ ...card, decoder: { ...card.decoder, threshold: 0.55, onsetThreshold: 0.25 } }));
  const help = await runCli(['--help', '-m', tuned], null);
  t.match(help.stdout.toString(), /--threshold P +key probability to start a note, .*\(default: the model's, 0\.55\)/);
  t.match(help.stdout.toString(), /--onset-threshold P .*\(default: the model's, 0\.25\)/);
  const missing = await runCli(['--help', '-m', path.join(dir, 'no-model')], null);
  t.equal(missing.code, 0);
  t.match(missing.stdout.toString(), /\(default: the model's, 0\.4\)/);
});
