// Records the note tracker's settings chosen on the validation set (scripts/tune-decoder.ts) in a
// model's card (model.json's userDefinedMetadata.decoder); flags still override them per run.
//   node dist/scripts/set-decoder.js MODEL_DIR THRESHOLD ONSET_THRESHOLD STRIKE_RISE_DB
//   node dist/scripts/set-decoder.js MODEL_DIR '{"releaseFallDb": 12, …}'   (named settings over the card's)
// Settings not given keep the card's values; card.ts checks every one against its range.
import path from 'node:path';
import type { DecoderSettings } from '../lib/model/card.js';
import { writeCard } from '../lib/model/files.js';

const [dir, ...args] = process.argv.slice(2);
function settings(): Partial<DecoderSettings> | null {
  if (args.length === 1 && args[0].trimStart().startsWith('{')) {
    try { return JSON.parse(args[0]) as Partial<DecoderSettings>; } catch { return null; }
  }
  const [threshold, onsetThreshold, strikeRiseDb] = args.map(Number);
  if (args.length !== 3 || [threshold, onsetThreshold, strikeRiseDb].some((x) => !Number.isFinite(x))) return null;
  return { threshold, onsetThreshold, strikeRiseDb };
}
const given = settings();
if (!dir || !given) {
  process.stderr.write('usage: set-decoder.js MODEL_DIR THRESHOLD ONSET_THRESHOLD STRIKE_RISE_DB, ' +
    "or set-decoder.js MODEL_DIR '{\"setting\": value, …}'\n");
  process.exit(2);
}
const { decoder } = await writeCard(dir, (card) => ({ ...card, decoder: { ...card.decoder, ...given } }));
process.stdout.write(`${path.join(dir, 'model.json')}: decoder ${JSON.stringify(decoder)}\n`);
