// The README's example is made by a script anyone can run: it must make the committed bytes again.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fluidAvailable } from '../lib/synth/fluid.js';
import { ROOT } from './helpers.js';

t.test('make-example renders examples/melody.wav byte for byte', { skip: !fluidAvailable() && 'no fluidsynth' },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'melodyfilter-example-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = path.join(dir, 'melody.wav');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/scripts/make-example.js'), out], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.ok(readFileSync(out).equals(readFileSync(path.join(ROOT, 'examples/melody.wav'))), 'the same bytes');
  });
