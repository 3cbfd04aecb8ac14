// Prints what trainer/train.py trains (lib/train/spec.ts): a model.json without weights, for runs of
// the trainer by hand (`melodyfilter train` writes its own).
//   node dist/scripts/training-spec.js NETWORK NAME [--embed-units N] [--units N] [--channels N]
//     [--offset-head] [--front-end NAME] > spec.json
// --channels: the harmonic layer's channels per key (harmonic-lstm).
// --front-end: lib/pipeline/frontends.ts FRONT_ENDS, one with as many features as the network's own.
import { parseArgs } from 'node:util';
import { NETWORK_NAMES, isNetworkName } from '../lib/model/networks.js';
import { trainingSpec } from '../lib/train/spec.js';
import { frontEndNamed } from '../lib/pipeline/frontends.js';

const { values, positionals } = parseArgs({
  allowPositionals: true, options: {
    'embed-units': { type: 'string' }, units: { type: 'string' }, channels: { type: 'string' },
    'offset-head': { type: 'boolean', default: false },
    'front-end': { type: 'string' },
  },
});
const [network, name] = positionals;
if (!network || !name || !isNetworkName(network)) {
  process.stderr.write('usage: training-spec.js NETWORK NAME [--embed-units N] [--units N] [--channels N] ' +
    `[--offset-head]; NETWORK: ${NETWORK_NAMES.join(' ')}\n`);
  process.exit(2);
}
const width = (v: string | undefined) => (v === undefined ? undefined : Number(v));
let spec;
try {
  const frontEnd = values['front-end'] === undefined ? undefined : frontEndNamed(values['front-end']);
  spec = await trainingSpec(name, network, { embedUnits: width(values['embed-units']),
    hiddenUnits: width(values.units), harmonicChannels: width(values.channels), offsetHead: values['offset-head'],
    frontEnd });
} catch (err) {
  process.stderr.write(`training-spec: ${(err as Error).message}\n`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(spec, null, 1) + '\n');
