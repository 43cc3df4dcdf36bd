import { setFlagsFromString } from "node:v8";

/**
 * The Node.js flags `tornade serve` is meant to run with, as NODE_OPTIONS: set by both container images, by the CDK's
 * functions, by the test bed's and the benchmarks' `serve` processes (test/support/tornade-process.ts), and named in
 * docs/deploy-aws.md for any other host. A test holds them all to this one value.
 *
 * --max-semi-space-size=4 (MB; Node's default is 16 on 64-bit): under load V8 grew the young generation to 32 MB and
 * let the old one fill with promoted garbage before a full collection, so the process's RSS peaked at 188 MB where its
 * reachable heap was 27 MB. With 4 MB semi-spaces the peak was 129 MB, for 0.17 ms more GC per job; 8 MB gave 183 MB
 * and 2 MB 128 MB with twice the GC time (`node bin/run-ts.js bench/stalls.ts --stage overhead --rate 20
 * --deliveries 1000 --speed 20 --node-arg=--max-semi-space-size=N`, the footprint run's pace, machine otherwise idle;
 * docs/performance.md). NODE_OPTIONS allows this flag, so no launcher or re-exec is needed.
 */
export const SERVE_NODE_OPTIONS = "--max-semi-space-size=4";

/**
 * The environment `tornade serve` is meant to start with, set wherever SERVE_NODE_OPTIONS is (the CDK's functions
 * apart: a Lambda function's memory is what it is configured with).
 *
 * MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own malloc arena (up to 8 per core), and memory freed
 * in one stays in it. `serve` runs the event loop, libuv's pool, V8's helpers and the WAL checkpointer's worker
 * thread; with two arenas the steady run's RSS peak fell from 159 to 144 MB (with SERVE_V8_FLAGS; 203 → 191 MB
 * without), for the same GC and overhead figures (`bench/stalls.ts` as below, Node 24, docs/performance.md).
 */
export const SERVE_ENV: Readonly<Record<string, string>> = { NODE_OPTIONS: SERVE_NODE_OPTIONS, MALLOC_ARENA_MAX: "2" };

/**
 * V8 flags `tornade serve` sets on itself as it starts, because NODE_OPTIONS refuses them: the launcher
 * (bin/tornade.js) calls applyServeV8Flags before it loads any other module, since V8 sets the heap's first limits
 * while the modules load (set later, in `serve` itself, the flag changed nothing: 204 MB).
 *
 * --heap-growing-percent=50: after each full collection V8 lets the old generation grow to a multiple of what
 * survived it, and picks a larger multiple the faster the program allocates. Under the footprint run's load on
 * Node 24 the old space grew from 24 to 50 MB of promoted garbage, and the buffers those objects held (external
 * memory) to 34 MB, before one full collection freed both; the process's RSS reached 203 MB and never came back,
 * where its live heap is ~35 MB. With the multiple held at 1.5 the full collections come earlier (they mark
 * concurrently, on V8's helper threads): RSS peaked at 157 MB for the same main-thread GC time (637 against 661 ms
 * over 1,000 jobs); 20 % gave 153 MB (`node bin/run-ts.js bench/stalls.ts --stage overhead --rate 20
 * --deliveries 1000 --speed 20 --node-arg=--heap-growing-percent=N`, Node 24, machine otherwise idle;
 * docs/performance.md).
 */
export const SERVE_V8_FLAGS: readonly string[] = ["--heap-growing-percent=50"];

/** Sets SERVE_V8_FLAGS on this process (V8 writes "unrecognized flag" to stderr for one it does not know). */
export function applyServeV8Flags(): void {
  for (const flag of SERVE_V8_FLAGS) setFlagsFromString(flag);
}
