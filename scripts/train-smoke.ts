import { train } from '../lib/train/train.js';
const args = JSON.parse(process.argv[2] ?? '{}');
const r = await train(args);
console.log(JSON.stringify(r));
