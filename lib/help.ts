// --help text: synopsis, every flag with its default, real pipelines.
import { DEFAULTS } from './config.js';

export const HELP = `melodyfilter: hears a piano melody and writes down its notes.

Usage:
  melodyfilter [options] [FILE ...]      transcribe FILEs (raw PCM or WAV), or stdin ('-' or none)
  melodyfilter train [--seconds N] [--steps N] [--name NAME] [--resume] [--seed N] [--workers N]
                     [--batch N] [--frames N] [--learning-rate X] [--renders N]
                     [--arch lstm|gru|mlp|raw-lstm] [--fluid-share X]
  melodyfilter eval [--set smoke|quick|full] [--seed N] [--json] [-m DIR]
  melodyfilter match [--follow REF] [options] REF...   which tune the notes on stdin are, or how
                     well one is played ('melodyfilter match --help')

Input (raw PCM unless a WAV header is found, which then sets all three):
  -r, --rate HZ           sample rate, also sox's 16k or 44.1k (default ${DEFAULTS.sampleRate})
  -c, --channels N        interleaved channels, mixed down (default ${DEFAULTS.channels})
  -e, --encoding ENC      s16le s24le s32le f32le u8 s16be, or sox's signed/unsigned/float
                          (default ${DEFAULTS.encoding})
  -b, --bits N            with sox-style -e: 8, 16, 24 or 32
      --endian E          little (default) or big
Output:
  -o, --output FMT        jsonl (default): one note per line as it ends
                          midi: Standard MIDI File when input ends
                          csv: onset,offset,pitch per line
                          svg: a piano-roll picture
      --events            JSON lines of note-on/note-off as soon as known (live use)
  -d, --out-dir DIR       one output file per input file (name.mid, name.jsonl, ...)
      --csv-header        first CSV line: onset,offset,pitch
      --tempo BPM         MIDI tempo (default ${DEFAULTS.tempo}); note times stay exact in seconds
      --program N         MIDI program 0-127 (default ${DEFAULTS.program}, acoustic grand)
      --midi-channel N    MIDI channel 1-16 (default ${DEFAULTS.midiChannel})
Recognition:
  -m, --model DIR         model directory (default: the shipped models/melody-gru)
  -t, --threshold P       key probability to start a note, 0.01-0.99 (default ${DEFAULTS.threshold})
      --onset-threshold P onset probability that splits a sounding key in two (default ${DEFAULTS.onsetThreshold})
      --min-note MS       drop notes shorter than MS (default ${DEFAULTS.minNoteMs})
      --range LOW-HIGH    only report notes in this range, e.g. C3-C6 or 48-84 (default A0-C8)
      --window N|Nms      analysis window at 16 kHz; must match the model (default ${DEFAULTS.windowSamples})
      --hop N|Nms         hop between windows; must match the model (default ${DEFAULTS.hopSamples})
      --kernel K          fast (default): the network in plain typed arrays, weights read from
                          the tfjs model files; tfjs: TensorFlow.js runs it
      --backend B         with --kernel tfjs (implied): auto node wasm cpu (default auto:
                          tfjs-node if installed, else wasm, else cpu)
Other:
      --progress, --no-progress   progress bar on stderr (default: for files, when stderr is a terminal)
  -v, --verbose           backend, model and formats on stderr; stack traces on errors
  -h, --help              this text
  -V, --version           version

Examples:
  sox -d -t raw -r 44100 -c 2 -e signed -b 16 - | melodyfilter              # live from the microphone
  ffmpeg -i take.flac -f s16le -ac 1 -ar 22050 - | melodyfilter -r 22050 -c 1 -o midi > take.mid
  melodyfilter take.wav | jq -r '.name' | paste -sd' '                      # note names on one line
  melodyfilter -o svg take.wav > take.svg                                    # open in a browser
  parallel melodyfilter -o midi -d midi/ {} ::: recordings/*.wav            # batch a folder
  sox -d -t raw -r 16000 -c 1 -e signed -b 16 - | melodyfilter -r 16000 -c 1 --events

Exit status: 0 success (also when stdout closes early), 1 bad input or runtime failure,
2 usage error.
`;
