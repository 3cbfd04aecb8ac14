// --help text: synopsis, every flag with its default (from the option tables; the decoder settings
// from the model's own card), real pipelines.
import { defaultModelDir } from '../config.js';
import { DECODER_DEFAULTS, type DecoderSettings } from '../model/card.js';
import { transcribeOptions } from './args.js';
import { optionHelp } from './options.js';
import { allSubcommands, synopsisOf, type Subcommand } from './commands.js';

/** The decoder settings a run with this model gets unless flags say otherwise: its card's, read by the
 *  model directory's one reader; the built-in defaults where it cannot be read (help still helps). */
export async function modelDecoder(modelDir = defaultModelDir()): Promise<DecoderSettings> {
  const { readWeightFile } = await import('../model/files.js');
  return readWeightFile(modelDir).then((file) => file.card.decoder, () => DECODER_DEFAULTS);
}

/** The top-level --help, with the defaults of `modelDir` (the shipped model if none); it loads every
 *  subcommand for its synopsis. */
export async function helpText(modelDir?: string): Promise<string> {
  return helpWith(await allSubcommands(), await modelDecoder(modelDir));
}

function helpWith(subcommands: readonly Subcommand[], decoder: DecoderSettings): string {
  return `melodyfilter: hears a piano melody and writes down its notes.

Usage:
  melodyfilter [options] [FILE ...]      transcribe FILEs (raw PCM or WAV), or stdin ('-' or none)
${subcommands.map((c) => synopsisOf(c)).join('\n')}
  (melodyfilter COMMAND --help: that command's options)

${optionHelp(transcribeOptions(), { ...decoder })}

The window and hop are the model's own (its model.json), not flags.

Examples:
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter              # live from the microphone
  ffmpeg -i take.flac -f s16le -ac 1 -ar 22050 - | melodyfilter -r 22050 -c 1 -o midi > take.mid
  melodyfilter take.wav | jq -r '.name' | paste -sd' '                      # note names on one line
  melodyfilter -o svg take.wav > take.svg                                    # open in a browser
  parallel -X melodyfilter -o midi -d midi/ ::: recordings/*.wav            # a folder, every core
  sox -d -t raw -r 16000 -c 1 -e signed -b 16 - | melodyfilter -r 16000 -c 1 --events

Exit status: 0 success (also when stdout closes early), 1 bad input or runtime failure,
2 usage error, 128 + the signal's number when a signal stopped it (143 SIGTERM, 130 SIGINT).
`;
}
