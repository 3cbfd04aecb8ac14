// Issue 13 through bin/melodyfilter: output that does not fit, inputs that are outputs, many inputs,
// things that are not audio, messages, and the progress bar on a shared terminal.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseMidi } from 'midi-file';
import { BIN, encodePcm, jsonLines, runCli, runShell, toneModelWorkspace, tones, wavFile } from './helpers.js';

const { dir, model: TONE_MODEL } = await toneModelWorkspace(t, 'melodyfilter-edges-');
const M = ['-m', TONE_MODEL];
const RATE = 16000;

/** `n` 0.1 s tones a semitone apart from C4, 0.05 s gaps: a MIDI file of a few hundred bytes. */
function scale(n: number) {
  const spec = Array.from({ length: n },
    (_, i) => [261.63 * 2 ** ((i % 12) / 12), 0.05 + i * 0.15, 0.15 + i * 0.15] as [number, number, number]);
  return wavFile(tones(spec, 0.3 + n * 0.15, RATE), RATE, 1);
}
const scaleWav = path.join(dir, 'scale.wav');
writeFileSync(scaleWav, scale(150));

const sh = (script: string, env: NodeJS.ProcessEnv = {}) => runShell(script, dir, env);

t.test('1: output that does not fit is exit 1 and a message, for every format', async (t) => {
  // A file size limit of 512 bytes (sh's ulimit counts 512-byte blocks) with SIGXFSZ ignored: the
  // write that crosses it is short, the next fails with EFBIG, as on a nearly full disk.
  for (const fmt of ['midi', 'svg', 'csv', 'jsonl']) {
    const r = await sh(`ulimit -f 1; trap '' XFSZ; exec "$BIN" -m tone-model -o ${fmt} scale.wav > out.${fmt}`);
    const size = statSync(path.join(dir, `out.${fmt}`)).size;
    const full = await sh(`exec "$BIN" -m tone-model -o ${fmt} scale.wav`);
    t.ok(full.stdout.length > 512, `${fmt}: the whole output (${full.stdout.length} bytes) is over the limit`);
    t.equal(r.code, 1, `${fmt}: exit 1 with ${size} of ${full.stdout.length} bytes written ${r.stderr}`);
    t.match(r.stderr, /^melodyfilter: cannot write the output: file too large\n$/, `${fmt}: one line`);
  }
  const full = await sh(`exec "$BIN" -m tone-model -o midi scale.wav > /dev/full`);
  t.equal(full.code, 1);
  t.match(full.stderr, /no space left on device/);
});

t.test('3: an output that is an input is never opened', async (t) => {
  const take = path.join(dir, 'take.jsonl');
  copyFileSync(scaleWav, take);
  const before = readFileSync(take);
  const r = await sh(`exec "$BIN" -m tone-model -d . take.jsonl`);
  t.equal(r.code, 1);
  t.match(r.stderr, /take.jsonl is the input take.jsonl; writing it would destroy it/);
  t.same(readFileSync(take), before, 'the input is intact');
  const append = await sh(`exec "$BIN" -m tone-model take.jsonl >> take.jsonl`);
  t.equal(append.code, 1);
  t.match(append.stderr, /take.jsonl: input file is output file/);
  t.same(readFileSync(take), before, 'nothing appended');
  const viaStdin = await sh(`exec "$BIN" -m tone-model < take.jsonl >> take.jsonl`);
  t.equal(viaStdin.code, 1);
  t.same(readFileSync(take), before);
});

/** Peak resident memory of a process, sampled from /proc while it runs. */
async function peakRssMb(args: string[]): Promise<{ mb: number; stderr: string; code: number | null }> {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb);
    } catch { /* exited */ }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  return { mb: peak / 1024, stderr, code };
}

t.test('9: many inputs to stdout: no listener warning, memory does not grow with their number',
  { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
  const many = path.join(dir, 'many');
  mkdirSync(many);
  const one = wavFile(tones([[440, 0.02, 0.15]], 0.2, RATE), RATE, 1);
  const files = Array.from({ length: 400 }, (_, i) => path.join(many, `f${i}.wav`));
  for (const f of files) writeFileSync(f, one);
  const few = await peakRssMb([...M, ...files.slice(0, 40)]);
  const all = await peakRssMb([...M, ...files]);
  t.equal(all.code, 0);
  t.notMatch(all.stderr, /MaxListenersExceededWarning/);
  t.equal(all.stderr, '', 'nothing on stderr');
  // Before the fix each input kept ~0.75 MB alive (its classifier, held by listeners on stdout):
  // 360 more inputs were ~270 MB more. GC slack allows some growth, not that.
  t.ok(all.mb - few.mb < 80, `peak RSS ${few.mb.toFixed(0)} MB for 40 inputs, ${all.mb.toFixed(0)} MB for 400`);
});

t.test('12: not audio, as a file argument or on stdin, is exit 1 and names what it is', async (t) => {
  const m4a = path.join(dir, "my take.m4a");
  writeFileSync(m4a,
    Buffer.concat([Buffer.from('\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00', 'latin1'), Buffer.alloc(2000, 7)]));
  const asFile = await runCli([...M, m4a], null);
  t.equal(asFile.code, 1);
  t.equal(asFile.stderr, `melodyfilter: ${m4a}: input is MP4/M4A (AAC, ALAC) or QuickTime, not PCM or WAV; ` +
    `convert it first: ffmpeg -i '${m4a}' -f wav - | melodyfilter\n`);
  const onStdin = await runCli(M, readFileSync(m4a));
  t.equal(onStdin.code, 1);
  t.match(onStdin.stderr, /^melodyfilter: input is MP4\/M4A .*ffmpeg -i FILE -f wav - \| melodyfilter\n$/);
  const text = await runCli(M, Buffer.from('{"pitch":60,"name":"C4","start":0.1,"end":0.5}\n'.repeat(4)));
  t.equal(text.code, 1);
  t.match(text.stderr, /input is text \("\{"pitch":60/);
  const folder = await sh(`exec "$BIN" -m tone-model < many`);
  t.equal(folder.code, 1);
  t.equal(folder.stderr, 'melodyfilter: stdin is a directory, not audio\n');
  const elf = await runCli(M, readFileSync(process.execPath).subarray(0, 4096));
  t.equal(elf.code, 1);
  t.match(elf.stderr, /input is an ELF executable, not audio/);
});

t.test('15: names with control characters cannot cut a message or drive the terminal', async (t) => {
  const odd = path.join(dir, 'a\nb\x1b[31mred.wav');
  const r = await runCli([...M, odd], null);
  t.equal(r.code, 1);
  t.equal(r.stderr, `melodyfilter: cannot read ${path.join(dir, 'a\\nb\\u001b[31mred.wav')}: no such file\n`);
});

/** Run a shell line with stdin, stdout and stderr on one pseudo-terminal, as typed; returns all the
 *  terminal received. */
function onTerminal(line: string): string {
  const r = spawnSync('script', ['-qec', `unset NODE_OPTIONS; ${line}`, '/dev/null'],
    { cwd: dir, env: { ...process.env, NODE_OPTIONS: '', BIN, COLUMNS: '100' }, timeout: 60_000 });
  return r.stdout.toString();
}

const hasScript = spawnSync('script', ['--version']).status === 0;

t.test('16: the progress bar never draws over another program\'s output',
  { skip: !hasScript && 'needs util-linux script' }, async (t) => {
  // Long enough that the bar draws at all (it starts at once).
  const long = path.join(dir, 'long.wav');
  writeFileSync(long, wavFile(tones([[440, 0.1, 9.9]], 20, RATE), RATE, 1));
  for (const pipe of ['| head -3', '| cat', '| jq -c .']) {
    const screen = onTerminal(`"$BIN" -m tone-model long.wav ${pipe}`);
    t.notMatch(screen, /ETA|%|\r(?!\n)/,
      `stdout ${pipe}: no bar on the terminal the reader shares: ${JSON.stringify(screen.slice(0, 200))}`);
  }
  const tty = onTerminal(`"$BIN" -m tone-model long.wav`);
  t.notMatch(tty, /ETA|%/, 'stdout on the terminal: no bar between the notes');
  const toFile = onTerminal(`"$BIN" -m tone-model long.wav > notes.jsonl`);
  t.match(toFile, /long\.wav \|.*\| \d+% \| \d+s elapsed, ETA \d+s/, 'to a file: a bar with time and ETA');
  t.notMatch(toFile, /bytes/, 'not bytes');
  t.equal(jsonLines(readFileSync(path.join(dir, 'notes.jsonl'))).length, 1);
  const toDir = onTerminal(`"$BIN" -m tone-model -d out long.wav`);
  t.match(toDir, /ETA/, 'with --out-dir: a bar');
});

t.test('14: stdout closed (>&-) is exit 1, not notes thrown away; /dev/null and DEVNULL still work', async (t) => {
  const closed = await sh(`exec "$BIN" -m tone-model scale.wav >&-`);
  t.equal(closed.code, 1);
  t.equal(closed.stderr, 'melodyfilter: stdout is closed; nowhere to write the notes\n');
  const devnull = await sh(`exec "$BIN" -m tone-model scale.wav > /dev/null`);
  t.equal(devnull.code, 0);
  const ignored = spawnSync('env', ['-u', 'NODE_OPTIONS', BIN, '-m', TONE_MODEL, scaleWav],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  t.equal(ignored.status, 0, 'a read-write /dev/null from the caller is not a closed stdout');
});

t.test('issue 22, 5: a -d output that appears while transcribing is not replaced without -y', async (t) => {
  // The other run's file appears after this run's start-up check and before its commit: the input is
  // a FIFO that this script holds open until the file is there.
  const r = await sh(`rm -rf race && mkdir race && mkfifo race/take.s16
    "$BIN" ${M.join(' ')} -r 16000 -c 1 -d race/out race/take.s16 2>race/err & pid=$!
    exec 3>race/take.s16
    head -c 64000 /dev/zero >&3
    while [ ! -d race/out ]; do sleep 0.05; done
    echo theirs > race/out/take.jsonl
    exec 3>&-
    wait $pid; echo "exit $?"; cat race/err`);
  t.match(r.stdout, /exit 1/);
  t.match(r.stdout,
    /race\/out\/take\.jsonl appeared while this run wrote it .*not overwriting it .*this transcription is in .*\.part/);
  t.equal(readFileSync(path.join(dir, 'race', 'out', 'take.jsonl'), 'utf8'), 'theirs\n',
    'the other run\'s file stands');
  const r2 = await sh(`ls -a race/out | grep -c '\\.part$'`);
  t.equal(r2.stdout.trim(), '1', 'the transcription is kept under its temporary name');
});

/** One A4 in a second of raw s16 mono at RATE: read with -r 16000 -c 1. */
writeFileSync(path.join(dir, 'tone.s16'), encodePcm(tones([[440, 0.1, 0.6]], 1, RATE), 1, 's16le'));
const RAW = `${M.join(' ')} -r ${RATE} -c 1`;

/** A MIDI file that parses, with its track ended, and the pitches of its notes. */
function midiPitches(file: string): number[] {
  const midi = parseMidi(readFileSync(file));
  if (!midi.tracks.every((track) => track.at(-1)?.type === 'endOfTrack')) throw new Error('a track is not ended');
  return midi.tracks.flat().flatMap((e) => (e.type === 'noteOn' ? [e.noteNumber] : []));
}

// A FIFO held open by the script keeps a stopping run from finishing: Node's read of a named FIFO
// waits in its thread pool until the writer writes or closes, so a second and third signal land
// while the run is stopping, as GNU timeout's second SIGTERM can. `kill -0` checks that they do.
t.test('issue 22, 3: a second SIGTERM while stopping still gives a complete MIDI file', async (t) => {
  const r = await sh(`rm -rf sig2 && mkdir sig2 && mkfifo sig2/take.s16
    "$BIN" ${RAW} -o midi sig2/take.s16 > sig2/take.mid 2>sig2/err & pid=$!
    exec 3>sig2/take.s16
    cat tone.s16 >&3
    sleep 0.5; kill -TERM $pid; sleep 0.3
    kill -0 $pid && echo 'stopping when the second came'; kill -TERM $pid; sleep 0.3
    exec 3>&-
    wait $pid; echo "exit $?"; cat sig2/err`);
  t.equal(r.stdout, 'stopping when the second came\nexit 0\n', 'exit 0, nothing on stderr');
  t.same(midiPitches(path.join(dir, 'sig2', 'take.mid')), [69], 'the A4 heard before the signal, in a whole MIDI file');
  // The command: GNU timeout signals the CLI, then its process group, the CLI again. Three
  // seconds, as a signal before start-up has set its handlers (a second, on two busy cores) kills it.
  const runs = await Promise.all([0, 1].map((i) =>
    sh(`timeout -s TERM 3 "$BIN" -m tone-model -o midi /dev/urandom > u${i}.mid; echo "exit $?"`)));
  for (const [i, run] of runs.entries()) {
    t.same(run, { code: 0, stdout: 'exit 124\n', stderr: '' }, `timeout run ${i}: timed out, nothing on stderr`);
    t.doesNotThrow(() => midiPitches(path.join(dir, `u${i}.mid`)), `timeout run ${i}: a whole MIDI file`);
  }
});

t.test('issue 22, 3: a third signal exits at once, leaving no .part file and the earlier output', async (t) => {
  const r = await sh(`rm -rf sig3 && mkdir -p sig3/out && mkfifo sig3/take.s16 && echo earlier > sig3/out/take.jsonl
    "$BIN" ${RAW} -y -d sig3/out sig3/take.s16 2>sig3/err & pid=$!
    exec 3>sig3/take.s16
    cat tone.s16 >&3
    sleep 0.5; kill -TERM $pid; sleep 0.3; kill -TERM $pid; sleep 0.3
    kill -0 $pid && echo 'stopping when the third came'; kill -TERM $pid; sleep 0.5
    kill -0 $pid 2>/dev/null && echo 'running after the third'
    exec 3>&-; wait $pid; echo "exit $?"; cat sig3/err; ls -A sig3/out`);
  // The FIFO is closed before the wait: a process.exit() would wait for its read, and the script hang.
  t.equal(r.stdout, 'stopping when the third came\nexit 143\n' +
    'melodyfilter: SIGTERM while stopping (the third signal); exiting without finishing\ntake.jsonl\n',
    'gone at once, with its .part file');
  t.equal(readFileSync(path.join(dir, 'sig3', 'out', 'take.jsonl'), 'utf8'), 'earlier\n', 'the earlier output stands');
});

t.test('issue 22, 4: SIGTERM during a batch: the rest are listed, the exit is 143, and nothing partial is committed',
  { skip: process.platform !== 'linux' && 'reads /proc' }, async (t) => {
    // long.s16 is 20 minutes of silence (a sparse file): seconds to transcribe, so the signal, sent
    // once the run has opened it, comes in the middle of it.
    const batch = (args: string, setup = '') => sh(`rm -rf batch && mkdir -p batch/out && ${setup}
      cp tone.s16 batch/a.s16 && cp tone.s16 batch/c.s16 && truncate -s 40000000 batch/long.s16
      "$BIN" ${RAW} ${args} batch/a.s16 batch/long.s16 batch/c.s16 > batch/stdout.jsonl 2>batch/err & pid=$!
      while kill -0 $pid 2>/dev/null && ! ls -l /proc/$pid/fd 2>/dev/null | grep -q long.s16; do sleep 0.02; done
      kill -TERM $pid; wait $pid; echo "exit $?"; cat batch/err; ls -A batch/out`);
    const read = (name: string) => readFileSync(path.join(dir, 'batch', name), 'utf8');
    const pitches = (name: string) => jsonLines<{ pitch: number }>(read(name)).map((n) => n.pitch);

    // -y over a complete earlier output: it stands, not replaced by the part heard before the signal.
    const replace = await batch('-y -d batch/out', 'echo earlier > batch/out/long.jsonl &&');
    t.equal(replace.stdout, 'exit 143\nmelodyfilter: not transcribed (interrupted): batch/long.s16 batch/c.s16\n' +
      'a.jsonl\nlong.jsonl\n', '-y: a.s16 done, the rest listed, no .part file left');
    t.same(pitches('out/a.jsonl'), [69], '-y: the input done before the signal is committed');
    t.equal(read('out/long.jsonl'), 'earlier\n', '-y: the earlier output of the interrupted input stands');
    const fresh = await batch('-d batch/out');
    t.equal(fresh.stdout, 'exit 143\nmelodyfilter: not transcribed (interrupted): batch/long.s16 batch/c.s16\n' +
      'a.jsonl\n', 'no partial transcription under the final name');
    // To stdout the notes heard so far are out already: only the inputs never started are listed.
    const toStdout = await batch('');
    t.equal(toStdout.stdout, 'exit 143\nmelodyfilter: not transcribed (interrupted): batch/c.s16\n', 'to stdout');
    t.same(pitches('stdout.jsonl'), [69], 'to stdout: the notes of a.s16 and of long.s16 until the signal');
  });

t.test('issue 22, 4: SIGTERM with -d and stdin a pipe: the input ends there and its output is committed', async (t) => {
  // A pipe has no end but the signal (the README's promise for SIGTERM): nothing is left undone.
  const r = await sh(`rm -rf live && mkdir -p live/out && mkfifo live/pipe
    "$BIN" ${RAW} -d live/out - < live/pipe 2>live/err & pid=$!
    exec 3>live/pipe
    cat tone.s16 >&3
    while kill -0 $pid 2>/dev/null && ! ls -A live/out | grep -q part; do sleep 0.02; done
    sleep 0.3; kill -TERM $pid; wait $pid; echo "exit $?"; exec 3>&-; cat live/err; ls -A live/out`);
  t.equal(r.stdout, 'exit 0\nstdin.jsonl\n', 'exit 0, nothing on stderr, the output committed');
});

t.test('issue 22, 7: a WAV whose data size leaves audio out says how many bytes it ignored', async (t) => {
  const melody = tones([[329.63, 0.05, 0.45], [392, 0.55, 0.95]], 1, RATE);
  const whole = wavFile(melody, RATE, 1);
  const data = whole.length - 44;
  const declared = 2 * Math.round(melody.length * 0.3); // the issue had 10%: this keeps some of the E4
  const small = await runCli(M, wavFile(melody, RATE, 1, { dataSize: declared }));
  t.equal(small.code, 0);
  t.equal(small.stderr, `melodyfilter: warning: input: ignored ${data - declared} byte(s) after the ${declared} ` +
    'bytes of WAV data its header declares: bytes that are not chunks (is the data size in its header too small?)\n');
  t.same(jsonLines(small.stdout).map((n) => n.name), ['E4'], 'only the declared 0.3 s is transcribed');
  const data2 = Buffer.from(whole.subarray(36)); // a second data chunk: 'data', its size, the samples
  const two = await runCli(M, Buffer.concat([whole, data2]));
  t.equal(two.code, 0);
  t.equal(two.stderr, `melodyfilter: warning: input: ignored ${data2.length} byte(s) after the ${data} bytes ` +
    'of WAV data its header declares: a second data chunk\n');
  t.same(jsonLines(two.stdout).map((n) => n.name), ['E4', 'G4'], 'the first data chunk, once');
});

t.test('issue 22, 12: input too slow for the keys asked for gets a warning, too slow for any is refused', async (t) => {
  const melody = (rate: number) => wavFile(tones([[329.63, 0.05, 0.45], [392, 0.55, 0.95]], 1, rate), rate, 1);
  const names = (r: { stdout: Buffer }) => jsonLines(r.stdout).map((n) => n.name);
  // The 1 kHz WAV: "D#2 D#2" from an E4-G4 melody, without a word.
  const kHz = await runCli(M, melody(1000));
  t.equal(kHz.code, 1);
  t.equal(kHz.stderr, 'melodyfilter: WAV is at 1000 Hz, too low to transcribe: it holds nothing above 500 Hz (B4); ' +
    'melodyfilter needs 2000 Hz or more\n');
  const raw = await runCli([...M, '-r', '1000', '-c', '1'], Buffer.alloc(2000));
  t.equal(raw.code, 2);
  t.match(raw.stderr, /^melodyfilter: --rate must be a whole number from 2000 to 768000, got 1000\n/);
  // 8 kHz holds every key but C8 (4186 Hz): the notes come, with a warning naming what cannot.
  const phone = await runCli(M, melody(8000));
  t.equal(phone.code, 0);
  t.equal(phone.stderr, 'melodyfilter: warning: input is at 8000 Hz, which holds nothing above 4000 Hz: ' +
    'keys above B7 (C8) cannot be heard\n');
  t.same(names(phone), ['E4', 'G4']);
  const low = await runCli([...M, '--range', 'C3-C8'], melody(3000));
  t.match(low.stderr, /^melodyfilter: warning: input is at 3000 Hz, .* above 1500 Hz: keys above F#6 \(G6-C8\) cannot/);
  t.same(names(low), ['E4', 'G4']);
  const high = await runCli([...M, '--range', 'C7-C8'], melody(3000));
  t.match(high.stderr, /keys above F#6 \(C7-C8\) cannot be heard\n$/, 'only keys asked for are named');
  // Asked only for keys the rate holds: nothing to say.
  const inRange = await runCli([...M, '--range', 'C3-C6'], melody(8000));
  t.equal(inRange.stderr, '');
  t.same(names(inRange), ['E4', 'G4']);
});

t.test('a subcommand\'s usage error points at its own --help', async (t) => {
  for (const [args, help] of [
    [['match', '--bogus'], 'melodyfilter match --help'], [['eval', '--set', 'huge'], 'melodyfilter eval --help'],
    [['--bogus'], 'melodyfilter --help'],
  ] as const) {
    const r = await runCli([...args], null);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, new RegExp(`\\nTry '${help}' for more information\\.\\n$`), args.join(' '));
  }
});
