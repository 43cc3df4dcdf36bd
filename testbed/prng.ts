/**
 * mulberry32: tiny, fast, and good enough for seeded test inputs; the same seed gives the same sequence, uniform in
 * [0, 1). The one PRNG of the project: the test bed's boot clock (aws/boot-model.ts), the /events fuzz test and the
 * chaos plan all draw from it. It lives in testbed/ because the test bed is compiled into the package (for the
 * sandbox) and may import nothing from test/.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
