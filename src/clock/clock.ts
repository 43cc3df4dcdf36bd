/**
 * One notion of time for tornade and the test bed.
 *
 * Production uses the system clock. The test bed and sandbox run the same code with time compressed: a clock of
 * speed 600 lets a 10-minute job finish in one real second. Everything that waits or reads the time takes a Clock,
 * so a scenario behaves the same at any speed — only faster.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, in this clock's time. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer): void;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason if aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** How many clock milliseconds pass per real millisecond (1 for the system clock). */
  readonly speed: number;
}

export interface ClockTimer {
  readonly handle: ReturnType<typeof globalThis.setTimeout>;
}

/** A clock running `speed` times faster than real time, starting at `start` (default: the real time now). */
export function scaledClock(speed = 1, start = Date.now()): Clock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be a positive number, got ${speed}`);
  const realStart = performance.now();
  const clock: Clock = {
    speed,
    now: () => Math.floor(start + (performance.now() - realStart) * speed),
    setTimeout(fn, ms) {
      const handle = globalThis.setTimeout(fn, Math.max(0, ms) / speed);
      return { handle };
    },
    clearTimeout(timer) {
      globalThis.clearTimeout(timer.handle);
    },
    sleep(ms, signal) {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = clock.setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, ms);
        const onAbort = () => {
          clock.clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
  return clock;
}

/**
 * A compressed clock two processes can share: simulated time is `origin + (Date.now() - origin) × speed`, so a test
 * bed and a `tornade serve` child given the same origin and speed agree on the time without talking to each other.
 */
export function sharedClock(speed: number, origin: number): Clock {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be a positive number, got ${speed}`);
  const realNow = Date.now();
  return scaledClock(speed, origin + (realNow - origin) * speed);
}

/** The real clock. */
export const systemClock: Clock = scaledClock(1);
