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
