// The default command, transcription (`melodyfilter [options] [FILE ...]`): its flags (args.ts and each
// writer's own), its --help (help.ts), and its run: the signal policy, the engine, every input.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { invocationOf, transcribeOptions } from './args.js';
import type { Subcommand } from './commands.js';
import { StopSignal, stopOnSignals, terminalSafe, transcribeAll } from './transcribe.js';

/** package.json's version, beside lib/ (sources) or beside dist/ (compiled). */
function version(): string {
  const file = ['../../package.json', '../../../package.json']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((f) => existsSync(f));
  return JSON.parse(readFileSync(file ?? 'package.json', 'utf8')).version;
}

export const transcribeCommand: Subcommand = {
  name: 'transcribe',
  summary: 'hears a piano melody and writes down its notes',
  operands: '[FILE ...]',
  // Read when asked: a writer registered after this module loaded brings its flags along.
  get options() { return transcribeOptions(); },
  // Imported when asked for: every transcription would otherwise load it.
  help: async (parsed) => (await import('./help.js')).helpText(parsed.options.modelDir as string | undefined),
  async run(parsed) {
    const inv = invocationOf(parsed);
    if (inv.command === 'version') {
      process.stdout.write(`melodyfilter ${version()}\n`);
      return 0;
    }
    const stop = new StopSignal();
    stopOnSignals(inv, stop);
    const { loadEngine } = await import('../pipeline/transcriber.js');
    const engine = await loadEngine(inv.cfg);
    if (inv.cfg.verbose) {
      const model = `${engine.card.name} (${inv.cfg.modelDir})`;
      const line = `melodyfilter: backend ${engine.backend}, kernel ${inv.cfg.kernel}, model ${model}`;
      process.stderr.write(terminalSafe(line) + '\n');
    }
    await transcribeAll(inv, engine, stop);
    return 0;
  },
};
