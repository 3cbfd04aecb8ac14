// What /proc says about a process (Linux): shared by the bench and the soak run.
import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM (the kernel's own peak) of `pid` in KiB; null once it has exited (a zombie has
 *  neither), or where there is no /proc. */
export function memoryKiB(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(\\d+) kB`, 'm').exec(status)?.[1];
    const rss = field('VmRSS'), peak = field('VmHWM');
    return rss && peak ? { rss: Number(rss), peak: Number(peak) } : null;
  } catch {
    return null;
  }
}
