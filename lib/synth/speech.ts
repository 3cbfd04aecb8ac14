// Speech clips for babble noise, spoken by espeak-ng (Debian espeak-ng) and read back with pcm.ts'
// WAV reader.
import { spawnSync } from 'node:child_process';
import { parseWavHeader, decodeFrames, bytesPerSample } from '../pipeline/pcm.js';
import { resampleBuffer } from '../pipeline/resample.js';
import { type Rng, pick, intIn } from './random.js';

const WORDS = (
  'the a of and to in is you that it he was for on are as with his they at be this have from or one ' +
  'had by word but not what all were we when your can said there use each which she do how their if ' +
  'will up other about out many then them these so some her would make like him into time has look ' +
  'two more write go see number no way could people my than first water been call who oil its now ' +
  'find long down day did get come made may part over new sound take only little'
).split(' ');

/** Babble voices for training data (lib/train/sources.ts). */
export const TRAIN_VOICES = ['en', 'en-us', 'de', 'fr', 'es', 'it', 'nl', 'pl'];
/** Babble voices never used in training: evaluation's (lib/eval). */
export const EVAL_VOICES = ['en-gb-scotland', 'pt', 'sv', 'ru', 'cs', 'fi'];

/** Voices a user names for training babble, checked: a voice is a language with an optional
 *  +variant (en+f3), and evaluation's languages stay unheard in training whatever the variant or
 *  regional form (pt-br is Portuguese; espeak-ng reads names in any case). Each must be one that
 *  espeak-ng speaks: it skips a voice it does not know, and babble would quietly turn to noise. */
export function trainingVoices(names: readonly string[]): string[] {
  if (!names.length) throw new Error('no voice named');
  for (const v of names) {
    if (!/^[\w-]+(\+[\w-]+)?$/.test(v)) throw new Error(`'${v}' is not an espeak-ng voice name`);
    const language = v.split('+')[0].toLowerCase();
    if (EVAL_VOICES.some((e) => language === e || language.startsWith(`${e}-`))) {
      throw new Error(`voice '${v}' is kept for evaluation`);
    }
  }
  if (!espeakAvailable()) throw new Error('babble voices need espeak-ng (apt-get install espeak-ng)');
  const unknown = names.filter((v) => spawnSync('espeak-ng', ['-v', v, '-q', 'a']).status !== 0);
  if (unknown.length) throw new Error(`espeak-ng has no voice ${unknown.map((v) => `'${v}'`).join(', ')}`);
  return [...names];
}

export function espeakAvailable(): boolean {
  return spawnSync('espeak-ng', ['--version']).status === 0;
}

/** `count` sentences in random `voices`, mono at `sampleRate`. */
export function speechClips(rng: Rng, count: number, voices: readonly string[], sampleRate: number): Float32Array[] {
  const clips: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    for (let w = intIn(rng, 4, 14); w > 0; w--) words.push(pick(rng, WORDS));
    const speed = String(intIn(rng, 120, 220)), pitch = String(intIn(rng, 20, 80));
    const args = ['--stdout', '-v', pick(rng, voices), '-s', speed, '-p', pitch];
    const r = spawnSync('espeak-ng', [...args, words.join(' ')], { maxBuffer: 1 << 26 });
    if (r.status !== 0 || !r.stdout?.length) continue;
    // espeak-ng writes a streaming header (data size 0x7ffff000), so read to the end of what it wrote.
    const header = parseWavHeader(r.stdout);
    if (!header) continue;
    const frameBytes = header.channels * bytesPerSample(header.encoding);
    const frames = Math.floor((r.stdout.length - header.headerBytes) / frameBytes);
    const mono = new Float32Array(frames);
    decodeFrames(r.stdout.subarray(header.headerBytes), frames, header, mono);
    clips.push(resampleBuffer(mono, header.sampleRate, sampleRate));
  }
  return clips;
}
