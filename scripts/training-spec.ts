// Prints what trainer/train.py trains (lib/train/spec.ts): a model.json without weights, for runs of
// the trainer by hand (`melodyfilter train` writes its own).
//   node dist/scripts/training-spec.js NETWORK NAME [--embed-units N] [--units N] [--offset-head] > spec.json
import { parseArgs } from 'node:util';
import { NETWORK_NAMES, isNetworkName } from '../lib/model/networks.js';
import { trainingSpec } from '../lib/train/spec.js';

const { values, positionals } = parseArgs({
  allowPositionals: true, options: {
    'embed-units': { type: 'string' }, units: { type: 'string' }, 'offset-head': { type: 'boolean', default: false },
  },
});
const [network, name] = positionals;
if (!network || !name || !isNetworkName(network)) {
  process.stderr.write('usage: training-spec.js NETWORK NAME [--embed-units N] [--units N] [--offset-head]; ' +
    `NETWORK: ${NETWORK_NAMES.join(' ')}\n`);
  process.exit(2);
}
const width = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const spec = await trainingSpec(name, network, { embedUnits: width(values['embed-units']),
  hiddenUnits: width(values.units), offsetHead: values['offset-head'] });
process.stdout.write(JSON.stringify(spec, null, 1) + '\n');
