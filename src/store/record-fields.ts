/**
 * The typed fields of jobs and launches read back from what a store keeps (JSON text, in SQLite and DynamoDB alike),
 * checked here before anyone trusts them: the one place that turns stored JSON into JobDecision, LaunchFailure,
 * RunnerOutcome and StandbyRole.
 *
 * Launches written before those fields were typed kept state in `error.kind` ("taken-by-sibling" with `takenBy`,
 * "taken-by-refused-job", "spot-interrupted", "spot-interrupted-checked", "runner-failed", "idle", "cancelled",
 * "boot-timeout"). Such an error reads as the outcome it stood for. SQLite rewrites its old rows once when it opens the
 * file (sqlite.ts, migration 4); a DynamoDB item reads this way until it is next written.
 */
import type { JobDecision } from "../core/job-decision.js";
import { TORNADE_STOPS, type Refusal, type RunnerOutcome, type TornadeStop } from "../core/launch-outcome.js";
import { STANDBY_RETIREMENTS, type StandbyRole, type StandbyStatus } from "../core/standby.js";
import { ARCHS, BACKENDS, LAUNCH_ERROR_KINDS, SIZES, type LaunchFailure, type LaunchSpec } from "../core/types.js";

type Fields = Readonly<Record<string, unknown>>;

function fields(v: unknown): Fields | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Fields) : null;
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}

/** A stored job decision; a launch decision without a usable spec reads as a rejection, never as a launch. */
export function jobDecisionOf(raw: unknown): JobDecision | null {
  const d = fields(raw);
  if (!d) return null;
  const reason = typeof d["reason"] === "string" ? d["reason"] : "";
  const headSha = typeof d["headSha"] === "string" ? { headSha: d["headSha"] } : {};
  const r = d["reported"];
  const reported: { reported?: "check-run" | "not-permitted" } = r === "check-run" || r === "not-permitted" ? { reported: r } : {};
  switch (d["kind"]) {
    case "launch": {
      const spec = launchSpecOf(d["spec"]);
      const rerun = d["rerun"] === "requested" ? { rerun: "requested" as const } : {};
      const scaleSet = typeof d["scaleSet"] === "string" ? { scaleSet: d["scaleSet"] } : {};
      return spec ? { kind: "launch", spec, ...headSha, ...rerun, ...scaleSet } : { kind: "rejected", reason: "stored launch decision has no valid spec" };
    }
    case "failed": {
      const spec = launchSpecOf(d["spec"]);
      return spec ? { kind: "failed", reason, spec, ...headSha, ...reported } : { kind: "rejected", reason, ...headSha, ...reported };
    }
    case "rejected": {
      const problems = strings(d["problems"]) ? { problems: d["problems"] } : {};
      return { kind: "rejected", reason, ...problems, ...headSha, ...reported };
    }
    case "static":
    case "ignored":
      return { kind: d["kind"], reason };
    default:
      return null;
  }
}

/** A stored LaunchSpec: its known fields, checked; null when a required one is missing or wrong. */
export function launchSpecOf(raw: unknown): LaunchSpec | null {
  const s = fields(raw);
  const backend = BACKENDS.find((b) => b === s?.["backend"]);
  const arch = ARCHS.find((a) => a === s?.["arch"]);
  const image = s?.["image"];
  const runnerLabels = s?.["runnerLabels"];
  if (!s || !backend || !arch || typeof image !== "string" || !strings(runnerLabels)) return null;
  const { cpu, memory, disk, fleet } = s;
  const size = SIZES.find((z) => z === s["size"]);
  return {
    backend,
    arch,
    ...(typeof cpu === "number" ? { cpu } : {}),
    ...(typeof memory === "number" ? { memory } : {}),
    ...(typeof disk === "number" ? { disk } : {}),
    ...(size ? { size } : {}),
    image,
    ...(typeof fleet === "string" ? { fleet } : {}),
    runnerLabels,
  };
}

/** A launch's error and outcome from their stored JSON (either may be null), old-style errors read as outcomes. */
export function launchFieldsOf(rawError: unknown, rawOutcome: unknown): { error: LaunchFailure | null; outcome: RunnerOutcome | null } {
  const e = fields(rawError);
  const kind = typeof e?.["kind"] === "string" ? e["kind"] : null;
  const message = typeof e?.["message"] === "string" ? e["message"] : "";
  const legacy = kind === null ? undefined : legacyOutcome(kind, message, e?.["takenBy"]);
  const outcome = runnerOutcomeOf(rawOutcome) ?? legacy ?? null;
  if (kind === null || legacy) return { error: null, outcome };
  // Retried like a transient failure, as any kind outside the closed set always was (core/reconcile.ts afterFailure).
  const known = LAUNCH_ERROR_KINDS.find((k) => k === kind) ?? "transient";
  return { error: { kind: known, message }, outcome };
}

function runnerOutcomeOf(raw: unknown): RunnerOutcome | null {
  const o = fields(raw);
  const reason = typeof o?.["reason"] === "string" ? o["reason"] : null;
  switch (o?.["kind"]) {
    case "taken": {
      const jobId = o["jobId"];
      if (typeof jobId !== "number" || !Number.isSafeInteger(jobId)) return null;
      const r = fields(o["refused"]);
      const refused: Refusal | null =
        r && typeof r["repository"] === "string" && typeof r["reason"] === "string" ? { repository: r["repository"], reason: r["reason"] } : null;
      return { kind: "taken", jobId, refused };
    }
    case "spot-interrupted":
      return reason === null ? null : { kind: "spot-interrupted", checked: o["checked"] === true, reason };
    case "runner-failed":
      return reason === null ? null : { kind: "runner-failed", reason };
    default: {
      const stop = TORNADE_STOPS.find((k) => k === o?.["kind"]);
      return stop && reason !== null ? { kind: stop, reason } : null;
    }
  }
}

/**
 * A standby's part of its launch row; null when absent or unreadable. An unreadable status reads as retired: a
 * standby nobody can tell is free must not be handed a job, and retiring it is what ends it.
 */
export function standbyRoleOf(raw: unknown): StandbyRole | null {
  const r = fields(raw);
  const shape = r?.["shape"];
  const parameter = r?.["parameter"];
  if (!r || typeof shape !== "string" || typeof parameter !== "string") return null;
  return { shape, parameter, status: standbyStatusOf(r["status"]) };
}

function standbyStatusOf(raw: unknown): StandbyStatus {
  const s = fields(raw);
  const at = typeof s?.["at"] === "number" ? s["at"] : 0;
  const whole = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  switch (s?.["kind"]) {
    case "free":
      return { kind: "free" };
    case "claimed": {
      const jobId = s["jobId"];
      const attempt = s["attempt"];
      if (whole(jobId) && whole(attempt)) return { kind: "claimed", jobId, attempt, at };
      break;
    }
    case "retired": {
      const why = STANDBY_RETIREMENTS.find((w) => w === s["why"]);
      if (why) return { kind: "retired", why, at };
      break;
    }
  }
  return { kind: "retired", why: "stale", at };
}

/** The refusal in an old "taken-by-refused-job" message (the old receiver.ts wrote exactly this sentence). */
const REFUSED_MESSAGE = /^its runner was taken by job \d+ of (.+?), which this tornade refuses: ([\s\S]*)$/;

/** An old-style error that was really an outcome, as that outcome; undefined for a real launch error. */
export function legacyOutcome(kind: string, message: string, takenBy: unknown): RunnerOutcome | undefined {
  const jobId = typeof takenBy === "number" && Number.isSafeInteger(takenBy) ? takenBy : Number(/job (\d+)/.exec(message)?.[1] ?? 0);
  switch (kind) {
    case "taken-by-sibling":
      return { kind: "taken", jobId, refused: null };
    case "taken-by-refused-job": {
      const m = REFUSED_MESSAGE.exec(message);
      return { kind: "taken", jobId, refused: { repository: m?.[1] ?? "an unknown repository", reason: m?.[2] ?? message } };
    }
    case "spot-interrupted":
      return { kind: "spot-interrupted", checked: false, reason: message };
    case "spot-interrupted-checked":
      return { kind: "spot-interrupted", checked: true, reason: message };
    case "runner-failed":
      return { kind: "runner-failed", reason: message };
    default: {
      const stop: TornadeStop | undefined = TORNADE_STOPS.find((k) => k === kind);
      return stop ? { kind: stop, reason: message } : undefined;
    }
  }
}
