/**
 * Waiting in tests: polls `probe` in real time until it gives a value (anything but undefined or false), or fails
 * naming what it waited for. It bounds a wait on something the test bed or tornade does on its own; it is never an
 * assertion about how long that took.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  pollMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
