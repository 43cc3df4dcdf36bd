/**
 * How jobs reach tornade: the intake. One prop, an object with one key per way in, so that a second way in takes its
 * place beside the first without changing what an app already says:
 *
 * - `webhooks` (today's, the default): GitHub posts `workflow_job` deliveries to the webhook function's public URL.
 * - `scaleSets` (planned): GitHub's runner scale sets, an outbound message session held by a controller container,
 *   with no public endpoint at all. It will sit beside `webhooks` — either or both — and `webhooks: false` will then be
 *   the deployment with no inbound. Until it exists, synth refuses the key, and refuses `webhooks: false`, which would
 *   leave jobs no way in.
 */
import { isPlainObject } from "./settings.js";

/** The public webhook function. */
export interface WebhookIntakeProps {
  /**
   * Concurrent executions reserved for the public webhook function, which are also the most it may run: a flood of
   * requests to its URL cannot take the account's other functions' concurrency, nor run more than this many at once.
   * Default 20 (one execution takes a delivery in tens of milliseconds, so hundreds of deliveries a second; a
   * delivery refused with 429 beyond that is redelivered by the sweep). Lambda keeps 100 of the account's concurrency
   * unreserved, so the account's limit must be at least 100 more than this ("Configuring reserved concurrency").
   */
  readonly reservedConcurrency?: number;
}

/** The ways jobs reach tornade; at least one must be on. */
export interface IntakeProps {
  /**
   * GitHub's `workflow_job` webhooks, to the webhook function's public URL (`TornadeRunners.webhookUrl`, the App's
   * webhook URL). Default true: on, with WebhookIntakeProps' defaults. false takes the public endpoint away, which
   * needs the scale-set intake (planned) to leave jobs a way in.
   */
  readonly webhooks?: boolean | WebhookIntakeProps;
}

/** Every key of IntakeProps (TypeScript makes this list complete); a key that is not here is reported. */
const INTAKE_KEYS: Readonly<Record<keyof IntakeProps, true>> = { webhooks: true };
const WEBHOOK_KEYS: Readonly<Record<keyof WebhookIntakeProps, true>> = { reservedConcurrency: true };

/** Ways in that are planned, and what to do until they exist. */
const PLANNED: Readonly<Record<string, string>> = {
  scaleSets:
    "GitHub's runner scale sets (an outbound session from a controller container, no public endpoint) are planned, not yet available. Fix: remove it; jobs come in by webhooks",
};

export const DEFAULT_WEBHOOK_CONCURRENCY = 20;

/** The webhook intake as the construct deploys it (checked props). */
export function webhookIntakeOf(intake: IntakeProps | undefined): Required<WebhookIntakeProps> {
  const webhooks = intake?.webhooks;
  const own = typeof webhooks === "object" ? webhooks : {};
  return { reservedConcurrency: own.reservedConcurrency ?? DEFAULT_WEBHOOK_CONCURRENCY };
}

/** What is wrong with `intake`, each problem naming the prop and the fix. */
export function intakeProblems(intake: unknown): string[] {
  if (intake === undefined) return [];
  if (!isPlainObject(intake)) {
    return [`intake: must be an object naming the ways in, e.g. { webhooks: true } (the default), got ${typeof intake === "string" ? `"${intake}"` : typeof intake}. Fix: leave it out, or { webhooks: { reservedConcurrency: 20 } }`];
  }
  const problems: string[] = [];
  for (const key of Object.keys(intake)) {
    if (Object.hasOwn(INTAKE_KEYS, key)) continue;
    problems.push(`intake.${key}: ${PLANNED[key] ?? `not a way in. Fix: remove it or correct its spelling (${Object.keys(INTAKE_KEYS).join(", ")})`}`);
  }
  const webhooks = intake["webhooks"];
  if (webhooks === false) {
    problems.push(
      "intake.webhooks: false leaves jobs no way in: webhooks are the only intake today (scale sets, which need no public endpoint, are planned). Fix: leave intake.webhooks out, or true",
    );
  } else if (isPlainObject(webhooks)) {
    for (const key of Object.keys(webhooks)) {
      if (!Object.hasOwn(WEBHOOK_KEYS, key)) problems.push(`intake.webhooks.${key}: not a setting of the webhook intake. Fix: remove it or correct its spelling (${Object.keys(WEBHOOK_KEYS).join(", ")})`);
    }
    const c = webhooks["reservedConcurrency"];
    // 0 is valid for Lambda, and stops the function altogether.
    if (c !== undefined && !(typeof c === "number" && Number.isInteger(c) && c >= 1)) {
      problems.push(`intake.webhooks.reservedConcurrency: ${String(c)} leaves the webhook no way in (it must be a whole number of at least 1). Fix: leave it out for ${DEFAULT_WEBHOOK_CONCURRENCY}`);
    }
  } else if (webhooks !== undefined && webhooks !== true) {
    problems.push(`intake.webhooks: must be true, false or { reservedConcurrency }, got ${typeof webhooks}. Fix: leave it out (on)`);
  }
  return problems;
}
