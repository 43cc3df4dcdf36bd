/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, the `.cpuprofile` JSON Chrome DevTools reads) as self time per
 * function and per module, optionally only for the samples inside a window of the system's monotonic clock — the
 * clock V8 stamps profiles with and `process.hrtime` reads — so the bench can leave the child's start-up out.
 * Format: https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
 */

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** Microseconds, monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds between consecutive samples (the first from startTime). */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  sampledMs: number;
  byFunction: SelfTime[];
  byModule: SelfTime[];
}

/** Which package or source folder a script URL belongs to: `pino`, `@aws-sdk/client-ecs`, `src/controller`, `node:internal`. */
export function moduleOf(url: string): string {
  if (url === "") return "(native / V8)";
  if (url.startsWith("node:")) return url.startsWith("node:internal") ? "node:internal" : url.replace(/^node:([^/]+).*/, "node:$1");
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? url);
  }
  const m = /\/(src|testbed|bench|bin)\/([^/]+)\//.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url.replace(/^file:\/\//, "");
}

/** Self time by function and by module; `window` = [from, to) in monotonic microseconds, inclusive of all if absent. */
export function summarise(profile: CpuProfile, window?: { fromUs: number; toUs: number }, top = 25): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t >= window.toUs)) continue;
    // A sample's weight is the gap to the next one (what DevTools shows as self time).
    const weight = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + weight);
  }
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = nodes.get(id)?.callFrame;
    if (!frame) continue;
    total += us;
    const file = frame.url.replace(/^.*\/(node_modules|src|testbed)\//, "$1/");
    const key = frame.url === "" ? `${frame.functionName || "(anonymous)"}` : `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const m = frame.url === "" ? `(${frame.functionName || "native"})` : moduleOf(frame.url);
    mod.set(m, (mod.get(m) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: total > 0 ? Math.round((us / total) * 1000) / 10 : 0 }));
  return { sampledMs: Math.round(total / 1000), byFunction: rank(fn), byModule: rank(mod) };
}

export interface Stretch {
  /** Monotonic µs of its first sample. */
  atUs: number;
  ms: number;
  /** Where its time went: self time by function, largest first. */
  top: SelfTime[];
}

/**
 * The longest stretches of the main thread without an idle sample: how long the event loop was held, so how long a
 * webhook arriving then could not even be read. Within `window` if given; the `top` longest, each with its `depth`
 * largest functions by self time (GC shows as "(garbage collector)").
 */
export function longestStretches(profile: CpuProfile, window?: { fromUs: number; toUs: number }, top = 10, depth = 4): Stretch[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const stretches: { atUs: number; us: number; self: Map<string, number> }[] = [];
  let current: (typeof stretches)[number] | undefined;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (window && (t < window.fromUs || t >= window.toUs)) continue;
    const frame = nodes.get(profile.samples[i]!)?.callFrame;
    const name = frame ? `${frame.functionName || "(anonymous)"}${frame.url ? ` ${frame.url.replace(/^.*\/(node_modules|src|testbed)\//, "$1/")}:${frame.lineNumber + 1}` : ""}` : "?";
    if (name === "(idle)") {
      current = undefined;
      continue;
    }
    if (!current) stretches.push((current = { atUs: t, us: 0, self: new Map() }));
    const weight = profile.timeDeltas[i + 1] ?? 0;
    current.us += weight;
    current.self.set(name, (current.self.get(name) ?? 0) + weight);
  }
  return stretches
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((s) => ({
      atUs: s.atUs,
      ms: Math.round(s.us / 100) / 10,
      top: [...s.self.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, depth)
        .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / s.us) * 1000) / 10 })),
    }));
}
