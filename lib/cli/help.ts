// --help text: synopsis, every flag with its default (from the option tables), real pipelines.
import { TRANSCRIBE_OPTIONS } from './args.js';
import { optionHelp } from './options.js';
import { allSubcommands, synopsisOf, type Subcommand } from './commands.js';

/** The top-level --help; it loads every subcommand for its synopsis. */
export async function helpText(): Promise<string> {
  return helpWith(await allSubcommands());
}

function helpWith(subcommands: readonly Subcommand[]): string {
  return `melodyfilter: hears a piano melody and writes down its notes.

Usage:
  melodyfilter [options] [FILE ...]      transcribe FILEs (raw PCM or WAV), or stdin ('-' or none)
${subcommands.map((c) => synopsisOf(c)).join('\n')}
  (melodyfilter COMMAND --help: that command's options)

${optionHelp(TRANSCRIBE_OPTIONS)}

The window and hop are the model's own (its model.json), not flags.

Examples:
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter              # live from the microphone
  ffmpeg -i take.flac -f s16le -ac 1 -ar 22050 - | melodyfilter -r 22050 -c 1 -o midi > take.mid
  melodyfilter take.wav | jq -r '.name' | paste -sd' '                      # note names on one line
  melodyfilter -o svg take.wav > take.svg                                    # open in a browser
  parallel -X melodyfilter -o midi -d midi/ ::: recordings/*.wav            # a folder, every core
  sox -d -t raw -r 16000 -c 1 -e signed -b 16 - | melodyfilter -r 16000 -c 1 --events

Exit status: 0 success (also when stdout closes early), 1 bad input or runtime failure,
2 usage error.
`;
}
