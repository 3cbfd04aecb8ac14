// Directories the CLI makes for its output (-d, train's model and run directories).
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** `mkdir -p` that fails instead of spinning: Node's recursive mkdir loops forever where mkdir gives
 *  ENOENT under a parent that exists (any path under /proc), retrying the parent, then the child. */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir);
    return;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' && statSync(dir).isDirectory()) return;
    if (e.code === 'EEXIST') {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' });
    }
    const parent = path.dirname(dir);
    if (e.code !== 'ENOENT' || parent === dir) throw e;
    await makeDirectory(parent);
  }
  try {
    await mkdir(dir); // once: a parent that exists and still gives ENOENT cannot hold directories
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return;
    throw err;
  }
}
