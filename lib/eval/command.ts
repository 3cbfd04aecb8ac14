import type { Invocation } from '../args.js';
export async function evalCommand(_inv: Invocation): Promise<number> {
  throw new Error('eval: not yet');
}
