/**
 * `tornade sandbox` — NOT IMPLEMENTED YET. A stub so the dispatcher has something to call; the engineer building the
 * sandbox replaces this file (issue 3 point 9).
 */
export async function runSandbox(_argv: string[]): Promise<number> {
  process.stderr.write("tornade sandbox: not implemented yet\n");
  return 1;
}
