/**
 * `tornade serve` — NOT IMPLEMENTED YET. A stub so the dispatcher has something to call; the engineer building the
 * server replaces this file (intake, workers and the HTTP server; issue 3 point 8).
 */
export async function runServe(_argv: string[]): Promise<number> {
  process.stderr.write("tornade serve: not implemented yet\n");
  return 1;
}
