// Records the note tracker's settings chosen on the validation set (scripts/tune-decoder.ts) in a
// model's card (model.json's userDefinedMetadata.decoder); flags still override them per run.
//   node dist/scripts/set-decoder.js MODEL_DIR THRESHOLD ONSET_THRESHOLD STRIKE_RISE_DB
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readWeightFile } from '../lib/kernel.js';

const [dir, ...nums] = process.argv.slice(2);
const [threshold, onsetThreshold, strikeRiseDb] = nums.map(Number);
if (!dir || nums.length !== 3 || [threshold, onsetThreshold, strikeRiseDb].some((x) => !Number.isFinite(x))) {
  process.stderr.write('usage: set-decoder.js MODEL_DIR THRESHOLD ONSET_THRESHOLD STRIKE_RISE_DB\n');
  process.exit(2);
}
await readWeightFile(dir); // a model this melodyfilter reads, or a clear error
const file = path.join(dir, 'model.json');
const json = JSON.parse(readFileSync(file, 'utf8'));
json.userDefinedMetadata.decoder = { threshold, onsetThreshold, strikeRiseDb };
writeFileSync(file + '.tmp', JSON.stringify(json, null, 1) + '\n');
renameSync(file + '.tmp', file);
process.stdout.write(`${file}: decoder ${JSON.stringify(json.userDefinedMetadata.decoder)}\n`);
