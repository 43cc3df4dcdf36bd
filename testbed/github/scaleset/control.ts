/**
 * The test controls of the scale set service (`bed.github.control.scaleSets`, and HTTP under /_control/scale-sets):
 * what exists, and the faults a listener must survive — a session's token expiring, the service forgetting a session,
 * the broker answering 5xx, polls answering late.
 */
import { z } from "zod";
import type { SimContext } from "../context.js";
import { withBody } from "../control.js";
import { intParam, notFound, type Res, type Router } from "../http.js";
import type { HandedMessage, MessageFate, PublishedMessage, ScaleSetBroker, ScaleSetFault } from "./broker.js";
import type { ScaleSetJobView } from "./jobs.js";
import { configUrl } from "./registration.js";
import type { ScaleSetOptions, ScaleSetRecord } from "./types.js";
import type { Statistics } from "./wire.js";

export interface ScaleSetView {
  id: number;
  name: string;
  /** Repository name, or null for an organization scale set. */
  repo: string | null;
  runnerGroupId: number;
  labels: string[];
  maxCapacity: number | null;
  statistics: Statistics;
  session: { id: string; ownerName: string; alive: boolean } | null;
  queue: { pending: number; undeleted: { id: number; messageTypes: string[]; deliveries: number }[] };
}

export interface ScaleSetControl {
  /** The GitHubConfigURL of the organization, or of one of its repositories. */
  configUrl(repo?: string): string;
  list(): ScaleSetView[];
  /** The jobs the service holds for scale sets: REST job id, runnerRequestId, state, requeues so far. */
  jobs(): ScaleSetJobView[];
  /** Changes options (assignment mode, timeouts, …) from now on; returns them all. */
  configure(options: Partial<ScaleSetOptions>): ScaleSetOptions;
  /** Fault: the session's message queue token expires now (401; the client refreshes the session). False: no session. */
  expireToken(scaleSetId: number): boolean;
  /** Fault: the service forgets the session (401, then 404 on refresh; the client creates a new one). */
  endSession(scaleSetId: number): boolean;
  /** Fault: `status` (5xx) on the next `times` calls (of one route template and method, or all). */
  fail(f: ScaleSetFault): void;
  /** Fault: the next `times` polls (all, until cleared, when absent) wait `ms` of clock time before delivering. */
  slowPolls(ms: number, times?: number): void;
  /** Fault: the next `times` job messages of `type` (e.g. JobAssigned) are lost: never queued, never delivered. */
  dropMessages(type: string, times: number): void;
  /** Fault hook: `fate` decides of every job message as it is published — "drop" (lost for good), "duplicate" (queued
   *  twice), undefined (queued); null removes it. */
  interceptMessages(fate: ((m: PublishedMessage) => MessageFate) | null): void;
  /** Fault hook: a poll about to hand a message for which `lose` is true answers 502 instead; the message was handed
   *  and stays until deleted, so it comes again (dropped before acknowledgement). Null removes it. */
  loseAnswers(lose: ((m: HandedMessage) => boolean) | null): void;
  /** Fault: a rogue listener `ownerName` takes the scale set's session: the live one ends (its holder gets 401, then
   *  404 on refresh) and the rogue's opens, so the holder's new session is refused (409) while the rogue's lives
   *  (`endSession` ends it; it is released on its own after `sessionIdleTimeoutMs` without a poll). False: no such
   *  scale set. */
  takeSession(scaleSetId: number, ownerName: string): boolean;
  clearFaults(): void;
}

export function createScaleSetControl(ctx: SimContext, broker: ScaleSetBroker): ScaleSetControl {
  const withSet = (id: number, f: (s: ScaleSetRecord) => boolean) => {
    const s = broker.registry.sets.get(id);
    return s ? f(s) : false;
  };
  return {
    configUrl: (repo) => configUrl(ctx, repo === undefined ? null : ctx.state.repo(repo).name),
    list: () =>
      [...broker.registry.sets.values()].map((s) => ({
        id: s.id,
        name: s.name,
        repo: s.scope.repo,
        runnerGroupId: s.groupId,
        labels: s.labels.map((l) => l.name),
        maxCapacity: s.maxCapacity,
        statistics: broker.jobs.statistics(s),
        session: s.session ? { id: s.session.id, ownerName: s.session.ownerName, alive: broker.alive(s.session) } : null,
        queue: broker.queue(s.id).view(),
      })),
    jobs: () => broker.jobs.view(),
    configure(options) {
      broker.options = { ...broker.options, ...options };
      return { ...broker.options };
    },
    expireToken: (id) => withSet(id, (s) => broker.expireQueueToken(s)),
    endSession: (id) =>
      withSet(id, (s) => {
        const had = s.session !== null;
        broker.endSession(s);
        return had;
      }),
    fail: (f) => void broker.failures.push({ ...f }),
    slowPolls(ms, times) {
      broker.slowPolls = { ms, times: times ?? null };
    },
    dropMessages(type, times) {
      broker.drops.push({ type, times });
    },
    interceptMessages(fate) {
      broker.messageFate = fate;
    },
    loseAnswers(lose) {
      broker.answerLost = lose;
    },
    takeSession: (id, ownerName) =>
      withSet(id, (s) => {
        broker.endSession(s);
        return broker.openSession(s, ownerName) !== "conflict";
      }),
    clearFaults() {
      broker.failures.length = 0;
      broker.drops.length = 0;
      broker.slowPolls = null;
      broker.messageFate = null;
      broker.answerLost = null;
    },
  };
}

const Options = z
  .object({
    assignment: z.enum(["acquire", "direct"]),
    pollWaitMs: z.number().nonnegative(),
    maxBatch: z.number().int().positive(),
    requeueAfterMs: z.number().positive(),
    maxRequeues: z.number().int().nonnegative(),
    sessionIdleTimeoutMs: z.number().positive(),
    adminTokenTtlMs: z.number().positive(),
    queueTokenTtlMs: z.number().positive(),
  })
  .partial()
  .strict();
const Fault = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fail"), status: z.number().int().min(500).max(599), times: z.number().int().positive(), method: z.string().optional(), route: z.string().optional() }),
  z.object({ kind: z.literal("slow-polls"), ms: z.number().nonnegative(), times: z.number().int().positive().optional() }),
]);

export function addScaleSetControlRoutes(router: Router, control: ScaleSetControl): void {
  const ok = (body: unknown, status = 200): Res => ({ status, body });
  const byId = (id: string | undefined, f: (id: number) => boolean): Res => (f(intParam(id) ?? -1) ? ok({ done: true }) : notFound());
  router
    .add("GET", "/_control/scale-sets", "none", () => ok(control.list()))
    .add("GET", "/_control/scale-sets/jobs", "none", () => ok(control.jobs()))
    .add("PUT", "/_control/scale-sets/options", "none", (req) => withBody(Options, req.body, (o) => ok(control.configure(o))))
    .add("POST", "/_control/scale-sets/{id}/expire-token", "none", (req) => byId(req.params["id"], control.expireToken))
    .add("POST", "/_control/scale-sets/{id}/end-session", "none", (req) => byId(req.params["id"], control.endSession))
    .add("POST", "/_control/scale-set-faults", "none", (req) =>
      withBody(Fault, req.body, (f) => {
        if (f.kind === "fail") control.fail({ status: f.status, times: f.times, ...(f.method ? { method: f.method } : {}), ...(f.route ? { route: f.route } : {}) });
        else control.slowPolls(f.ms, f.times);
        return ok(f, 201);
      }),
    )
    .add("DELETE", "/_control/scale-set-faults", "none", () => {
      control.clearFaults();
      return { status: 204 };
    });
}
