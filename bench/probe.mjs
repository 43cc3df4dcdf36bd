/**
 * A probe loaded into the `tornade serve` child (`node --import ./bench/probe.mjs`, bench/profile.ts --probe): once a
 * second it records the event loop's delay (perf_hooks monitorEventLoopDelay: how long a timer waited for the loop,
 * i.e. the longest synchronous stretch), the GC pauses, and the WAL syncs tornade ran on the thread pool (fs.fdatasync,
 * timed from the call to its callback). Plain JavaScript so it runs before the compiled package without a loader.
 * Written on exit to $TMPDIR/tornade-probe-<pid>.json: the stalls and the sync waits a delivery can sit behind, second
 * by second, which latency percentiles on a shared machine cannot show.
 */
import fs from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { monitorEventLoopDelay, PerformanceObserver, performance } from "node:perf_hooks";

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let gc = { count: 0, ms: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.count++;
    gc.ms += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
}).observe({ entryTypes: ["gc"] });

let syncs = { count: 0, ms: 0, maxMs: 0 };
const fdatasync = fs.fdatasync;
fs.fdatasync = function timed(fd, callback) {
  const at = performance.now();
  return fdatasync.call(fs, fd, (err) => {
    const ms = performance.now() - at;
    syncs.count++;
    syncs.ms += ms;
    syncs.maxMs = Math.max(syncs.maxMs, ms);
    callback(err);
  });
};
// `import { fdatasync } from "node:fs"` in the compiled package reads the builtin's ESM binding: update it.
module.syncBuiltinESMExports();

const r = (x) => Math.round(x * 100) / 100;
/** The process's memory at the end of each second, MB: resident, V8 heap used and reserved, and off-heap buffers. */
const memoryMb = () => {
  const m = process.memoryUsage();
  const mb = (b) => Math.round(b / 1048576);
  // V8's spaces as reserved: a young generation grown to its cap under a high allocation rate is RSS the heap's
  // "used" does not show.
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ""), mb(s.space_size)]));
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces };
};
const seconds = [];
const started = performance.now();
const timer = setInterval(() => {
  seconds.push({
    t: Math.round((performance.now() - started) / 1000),
    loopP50Ms: r(loop.percentile(50) / 1e6),
    loopP99Ms: r(loop.percentile(99) / 1e6),
    loopMaxMs: r(loop.max / 1e6),
    gc: { count: gc.count, ms: r(gc.ms), maxMs: r(gc.maxMs) },
    syncs: { count: syncs.count, meanMs: syncs.count ? r(syncs.ms / syncs.count) : 0, maxMs: r(syncs.maxMs) },
    mem: memoryMb(),
  });
  loop.reset();
  gc = { count: 0, ms: 0, maxMs: 0 };
  syncs = { count: 0, ms: 0, maxMs: 0 };
}, 1000);
timer.unref();
process.on("exit", () => {
  const file = join(tmpdir(), `tornade-probe-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify(seconds));
  process.stderr.write(`probe: ${file}\n`);
});
