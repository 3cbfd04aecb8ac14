// Records the note tracker's settings chosen on the validation set (scripts/tune-decoder.ts) in a
// model's card (model.json's userDefinedMetadata.decoder); flags still override them per run.
//   node dist/scripts/set-decoder.js MODEL_DIR THRESHOLD ONSET_THRESHOLD STRIKE_RISE_DB
import path from 'node:path';
import { writeCard } from '../lib/model/files.js';

const [dir, ...nums] = process.argv.slice(2);
const [threshold, onsetThreshold, strikeRiseDb] = nums.map(Number);
if (!dir || nums.length !== 3 || [threshold, onsetThreshold, strikeRiseDb].some((x) => !Number.isFinite(x))) {
  process.stderr.write('usage: set-decoder.js MODEL_DIR THRESHOLD ONSET_THRESHOLD STRIKE_RISE_DB\n');
  process.exit(2);
}
const { decoder } = await writeCard(dir, (card) => ({ ...card, decoder: { threshold, onsetThreshold, strikeRiseDb } }));
process.stdout.write(`${path.join(dir, 'model.json')}: decoder ${JSON.stringify(decoder)}\n`);
