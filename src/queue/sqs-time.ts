/**
 * SQS counts visibility timeouts and delays in whole seconds, with limits (Amazon SQS API Reference:
 * ReceiveMessage/ChangeMessageVisibility VisibilityTimeout 0–43,200 s, i.e. 12 hours; SendMessage DelaySeconds
 * 0–900 s, i.e. 15 minutes). tornade's durations are milliseconds of its Clock, which may run faster than real time.
 */
export const SQS_MAX_VISIBILITY_S = 43_200;
export const SQS_MAX_DELAY_S = 900;

/** Clock milliseconds to SQS seconds: real time (÷ speed), rounded UP so nothing is seen early, within [min, cap]. */
export function secondsOf(clockMs: number, speed: number, min: number, cap: number): number {
  const real = Math.ceil(Math.max(0, clockMs) / speed / 1000);
  return Math.min(cap, Math.max(min, real));
}
