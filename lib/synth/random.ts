// Seeded random numbers: training data and evaluation sets are reproducible from their seed.

export type Rng = () => number;

/** mulberry32: small, fast, good enough for audio synthesis and sampling. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
export const logUniform = (rng: Rng, lo: number, hi: number) => lo * Math.pow(hi / lo, rng());
export const intIn = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
/** True with probability `p`, drawing from `rng` only when `p` > 0: a data option left at 0 leaves the
 *  random stream (and so every example drawn after it) as it was before the option existed. */
export const chance = (rng: Rng, p: number) => p > 0 && rng() < p;
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12), v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
