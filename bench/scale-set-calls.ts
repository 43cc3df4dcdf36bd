/**
 * What scale-set mode's GitHub calls are for (docs/scale-sets.md "What it costs in calls"): the GitHub sim counts every
 * request by route, REST and the scale set service alike ("METHOD template", testbed/github/server.ts and
 * scaleset/service.ts); this sorts those counts into the kinds an operator reasons about and divides them by jobs or
 * by hours. Pure: the scaleSet stage (bench/scale-set.ts) and its tests call it with plain counts.
 */
import { round } from "./stats.js";

export const CALL_KINDS = ["poll", "acknowledge", "acquire", "jitconfig", "statistics", "session", "tokens", "setup", "runners", "rest"] as const;
export type CallKind = (typeof CALL_KINDS)[number];

const RSS = "/_apis/runtime/runnerscalesets";

/**
 * First match wins. Templates are the test bed's (the Go client's paths, GitHub's OpenAPI templates for REST):
 * - poll, acknowledge, acquire: the session's message queue (GET …/messages, DELETE …/messages/{id}, acquirejobs);
 * - jitconfig: a runner's JIT config, the scale set's generatejitconfig (or REST generate-jitconfig for a webhook job);
 * - statistics: GET of the scale set by id, tornade's statistics round;
 * - session: open, refresh (a new queue token), close;
 * - tokens: the installation token, the registration token and its exchange for the admin token (runner-registration);
 * - setup: runner group by name, scale set get-by-name / create / update / delete (at start);
 * - runners: runners of the scale set read or removed;
 * - rest: any other REST call (a Spot re-run's run listing and re-run, …).
 */
const RULES: readonly [CallKind, RegExp][] = [
  ["poll", new RegExp(`^GET ${RSS}/\\{scaleSetId\\}/messages$`)],
  ["acknowledge", new RegExp(`^DELETE ${RSS}/\\{scaleSetId\\}/messages/\\{messageId\\}$`)],
  ["acquire", new RegExp(`^POST ${RSS}/\\{scaleSetId\\}/acquirejobs$`)],
  ["jitconfig", /^POST \S*\/generate-?jitconfig$/],
  ["statistics", new RegExp(`^GET ${RSS}/\\{scaleSetId\\}$`)],
  ["session", new RegExp(`^\\S+ ${RSS}/\\{scaleSetId\\}/sessions(/\\{sessionId\\})?$`)],
  ["tokens", /^POST (\/actions\/runner-registration|\S*\/actions\/runners\/registration-token|\/app\/installations\/\{installation_id\}\/access_tokens)$/],
  ["setup", /^\S+ \/_apis\/runtime\/(runnergroups|runnerscalesets)(\/\{scaleSetId\})?$/],
  ["runners", /^\S+ \/_apis\/distributedtask\/pools\/0\/agents(\/\{runnerId\})?$/],
];

export function callKind(route: string): CallKind {
  return RULES.find(([, re]) => re.test(route))?.[0] ?? "rest";
}

/** The sim's request counts by route, summed by kind (every kind present, 0 when none). */
export function callsByKind(requests: Readonly<Record<string, number>>): Record<CallKind, number> {
  const out = Object.fromEntries(CALL_KINDS.map((k) => [k, 0])) as Record<CallKind, number>;
  for (const [route, n] of Object.entries(requests)) out[callKind(route)] += n;
  return out;
}

/** Calls by kind and in all, divided by jobs or by hours. */
export interface CallRate {
  total: number;
  byKind: Record<CallKind, number>;
}

function divided(requests: Readonly<Record<string, number>>, by: number, digits: number): CallRate {
  const byKind = callsByKind(requests);
  const per = (n: number) => round(n / by, digits);
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { total: per(total), byKind: Object.fromEntries(CALL_KINDS.map((k) => [k, per(byKind[k])])) as Record<CallKind, number> };
}

/**
 * Calls per job over a window of steady arrivals: the calls counted in the window over the jobs queued in it. At a
 * steady rate the later messages of the window's last jobs, which fall after it, are matched by those of the jobs
 * queued before it, which fall inside; what the rate does not pay for (idle polls, the statistics round) is spread
 * over the window's jobs, so the figure depends on the rate.
 */
export function callsPerJob(requests: Readonly<Record<string, number>>, jobs: number): CallRate {
  return divided(requests, Math.max(1, jobs), 3);
}

/** Calls counted over `minutes` of clock time with no job, scaled to an hour: what one idle scale set costs. */
export function callsPerHour(requests: Readonly<Record<string, number>>, minutes: number): CallRate {
  return divided(requests, minutes / 60, 1);
}

/** "poll 1.2 + acknowledge 1.2 + …": the kinds that occurred, largest first, for the table. */
export function kindsLine(byKind: Readonly<Record<CallKind, number>>): string {
  return CALL_KINDS.filter((k) => byKind[k] > 0)
    .sort((a, b) => byKind[b] - byKind[a])
    .map((k) => `${k} ${byKind[k]}`)
    .join(" + ");
}
