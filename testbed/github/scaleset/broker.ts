/**
 * The simulated runner scale set service: scale sets, their one message session each, their message queues and the
 * jobs routed to them, plus the faults a test injects. routes.ts turns HTTP into calls here; the scheduler tells it
 * about jobs (observe) and asks it which runner may take which job (mayTake).
 *
 * Sessions (session_client.go, listener.go): a scale set has at most one; creating a second answers 409 while the
 * first is alive, i.e. polled, or heard from within `sessionIdleTimeoutMs`. Its message queue token may expire (401 →
 * the client refreshes the session with PATCH and retries); a session the service no longer knows answers 404 to
 * that refresh (the client then creates a new one).
 */
import { randomUUID } from "node:crypto";
import type { SimContext } from "../context.js";
import { jitConfigFor, registerRunner } from "../runners-routes.js";
import type { RunnerRecord } from "../types.js";
import { ScaleSetJobs } from "./jobs.js";
import { MessageQueue, type QueuedMessage } from "./queue.js";
import { ScaleSetRegistry } from "./registry.js";
import { TokenSigner } from "./tokens.js";
import { DEFAULT_SCALE_SET_OPTIONS, type ScaleSetOptions, type ScaleSetRecord, type Scope, type SessionRecord } from "./types.js";
import { API_VERSION } from "./wire.js";

/** Where the Actions service lives on the sim's port; the client joins `_apis/...` paths onto it. */
export const SERVICE_PREFIX = "/_actions";

export interface ScaleSetFault {
  method?: string;
  /** A route template of the service, e.g. "/_apis/runtime/runnerscalesets/{scaleSetId}/messages"; all if absent. */
  route?: string;
  status: number;
  times: number;
}

/** A job message as it is published, for a fault hook to decide on. */
export interface PublishedMessage {
  scaleSetId: number;
  messageType: string;
  runnerRequestId: number;
  /** The REST job id the message is about (the message itself names the job by GUID and request id only). */
  jobId: number;
}

/** A message a poll is about to hand, for a fault hook to decide on. */
export interface HandedMessage {
  scaleSetId: number;
  messageId: number;
  /** How many polls it has been handed to, this one included (more than 1: redelivered). */
  deliveries: number;
}

/** A fault hook's verdict on a published job message: lost for good, queued twice, or (undefined) queued once. */
export type MessageFate = "drop" | "duplicate" | undefined;

export class ScaleSetBroker {
  readonly serviceUrl: string;
  readonly registry: ScaleSetRegistry;
  readonly jobs: ScaleSetJobs;
  readonly signer = new TokenSigner();
  options: ScaleSetOptions;
  readonly failures: ScaleSetFault[] = [];
  /** Extra clock time the next polls wait before looking at the queue (`times` null: until cleared). */
  slowPolls: { ms: number; times: number | null } | null = null;
  /** Fault: the next `times` job messages of `type` are lost before any listener sees them (a message lost for good). */
  readonly drops: { type: string; times: number }[] = [];
  /** Fault hook: decides of every job message as it is published (a chaos run's keyed draws). */
  messageFate: ((m: PublishedMessage) => MessageFate) | null = null;
  /** Fault hook: true loses the answer of a poll handing this message (502 after it was handed; it comes again). */
  answerLost: ((m: HandedMessage) => boolean) | null = null;
  private readonly queues = new Map<number, MessageQueue>();
  private readonly sessionEnds = new Map<string, AbortController>();
  private nextMessageId = 1;

  constructor(
    private readonly ctx: SimContext,
    options: Partial<ScaleSetOptions> = {},
  ) {
    this.options = { ...DEFAULT_SCALE_SET_OPTIONS, ...options };
    this.serviceUrl = `${ctx.site.url}${SERVICE_PREFIX}/`;
    this.registry = new ScaleSetRegistry(ctx.state, ctx.clock);
    this.jobs = new ScaleSetJobs({
      state: ctx.state,
      clock: ctx.clock,
      site: ctx.site,
      serviceUrl: this.serviceUrl,
      registry: this.registry,
      options: () => this.options,
      // A deleted scale set's running jobs still end (JobCompleted); there is no queue left to hear it.
      publish: (id, message, jobId) => {
        const drop = this.drops.find((d) => d.type === message.messageType && d.times > 0);
        if (drop) drop.times--;
        else if (this.registry.sets.has(id)) {
          const fate = this.messageFate?.({ scaleSetId: id, messageType: message.messageType, runnerRequestId: Number(message["runnerRequestId"]), jobId });
          if (fate !== "drop") this.queue(id).push(message);
          if (fate === "duplicate") this.queue(id).push(message);
        }
      },
      assignRunners: () => ctx.scheduler.assign(),
    });
    ctx.scheduler.observe((job, action) => this.jobs.observe(job, action));
    ctx.scheduler.route((runner, job) => this.jobs.mayTake(runner, job));
  }

  // ---- the registration exchange ----

  /** The admin connection `POST /actions/runner-registration` answers: the service URL and a token for the scope. */
  connect(scope: Scope): { url: string; token: string } {
    const exp = Math.floor((this.ctx.clock.now() + this.options.adminTokenTtlMs) / 1000);
    return { url: this.serviceUrl, token: this.signer.sign({ kind: "admin", repo: scope.repo, exp }) };
  }

  adminScope(token: string): Scope | null {
    const c = this.signer.verify(token, this.ctx.clock.now());
    if (c?.["kind"] !== "admin") return null;
    const repo = c["repo"];
    return { repo: typeof repo === "string" ? repo : null };
  }

  // ---- sessions ----

  alive(s: SessionRecord): boolean {
    return s.polling > 0 || this.ctx.clock.now() - s.lastSeen < this.options.sessionIdleTimeoutMs;
  }

  /** A new session, or "conflict" while another one is alive. */
  openSession(set: ScaleSetRecord, ownerName: string): SessionRecord | "conflict" {
    if (set.session && this.alive(set.session)) return "conflict";
    this.endSession(set);
    const now = this.ctx.clock.now();
    const session: SessionRecord = { id: randomUUID(), ownerName, token: "", tokenExpiresAt: 0, lastSeen: now, polling: 0 };
    this.issueQueueToken(set, session);
    set.session = session;
    this.sessionEnds.set(session.id, new AbortController());
    return session;
  }

  /** PATCH: a fresh message queue token for the scale set's live session; undefined when the service does not know it. */
  refreshSession(set: ScaleSetRecord, sessionId: string): SessionRecord | undefined {
    const s = this.liveSession(set);
    if (!s || s.id !== sessionId) return undefined;
    this.issueQueueToken(set, s);
    s.lastSeen = this.ctx.clock.now();
    return s;
  }

  deleteSession(set: ScaleSetRecord, sessionId: string): boolean {
    if (set.session?.id !== sessionId) return false;
    this.endSession(set);
    return true;
  }

  /** The session a message queue token belongs to, if it is this scale set's live session and the token is current. */
  sessionOfToken(set: ScaleSetRecord, token: string): SessionRecord | undefined {
    const s = this.liveSession(set);
    const c = this.signer.verify(token, this.ctx.clock.now());
    if (!s || !c || c["kind"] !== "queue" || token !== s.token || this.ctx.clock.now() >= s.tokenExpiresAt) return undefined;
    s.lastSeen = this.ctx.clock.now();
    return s;
  }

  /** Fault: the session's token stops working now (the client must refresh); a poll being held ends. */
  expireQueueToken(set: ScaleSetRecord): boolean {
    if (!set.session) return false;
    set.session.tokenExpiresAt = this.ctx.clock.now();
    this.sessionEnds.get(set.session.id)?.abort();
    this.sessionEnds.set(set.session.id, new AbortController());
    return true;
  }

  /** Ends the scale set's session (deleted, released, or forgotten by a fault): a poll being held ends. */
  endSession(set: ScaleSetRecord): void {
    if (!set.session) return;
    this.sessionEnds.get(set.session.id)?.abort();
    this.sessionEnds.delete(set.session.id);
    set.session = null;
  }

  private liveSession(set: ScaleSetRecord): SessionRecord | undefined {
    if (set.session && !this.alive(set.session)) this.endSession(set);
    return set.session ?? undefined;
  }

  private issueQueueToken(set: ScaleSetRecord, s: SessionRecord): void {
    s.tokenExpiresAt = this.ctx.clock.now() + this.options.queueTokenTtlMs;
    s.token = this.signer.sign({ kind: "queue", ss: set.id, sid: s.id, exp: Math.ceil(s.tokenExpiresAt / 1000) });
  }

  queueUrl(set: ScaleSetRecord, s: SessionRecord): string {
    return `${this.serviceUrl}_apis/runtime/runnerscalesets/${set.id}/messages?sessionId=${s.id}&api-version=${API_VERSION}`;
  }

  // ---- messages ----

  /** Long poll on behalf of `session`, which reported `capacity`. */
  async poll(set: ScaleSetRecord, session: SessionRecord, lastMessageId: number, capacity: number, clientGone: AbortSignal): Promise<QueuedMessage | null> {
    const ended = this.sessionEnds.get(session.id)?.signal;
    const stop = ended ? AbortSignal.any([clientGone, ended]) : clientGone;
    session.polling++;
    try {
      set.maxCapacity = capacity;
      this.jobs.capacityChanged(set);
      const slow = this.slowPolls;
      if (slow && slow.times !== 0) {
        if (slow.times !== null) slow.times--;
        await this.ctx.clock.sleep(slow.ms, stop).catch(() => undefined);
      }
      return await this.queue(set.id).poll(lastMessageId, this.options.pollWaitMs, this.ctx.clock, stop);
    } finally {
      session.polling--;
      session.lastSeen = this.ctx.clock.now();
    }
  }

  deleteMessage(set: ScaleSetRecord, id: number): "deleted" | "unknown" {
    return this.queue(set.id).delete(id);
  }

  queue(id: number): MessageQueue {
    let q = this.queues.get(id);
    if (!q) {
      q = new MessageQueue(
        () => this.nextMessageId++,
        () => this.options.maxBatch,
      );
      this.queues.set(id, q);
    }
    return q;
  }

  // ---- scale sets and their runners ----

  deleteScaleSet(set: ScaleSetRecord): void {
    this.endSession(set);
    this.registry.delete(set);
    this.queues.get(set.id)?.wakeAll();
    this.queues.delete(set.id);
    this.jobs.release(set);
    // Its runners that are not running a job go with it; a busy one is removed once its job ends (it is ephemeral).
    for (const r of [...this.ctx.state.runners.values()]) if (r.scaleSetId === set.id && r.jobId === null) this.ctx.scheduler.removeRunner(r);
  }

  /** A JIT runner of the scale set: its labels, its runner group, ephemeral. "exists" when the name is taken. */
  generateJitConfig(set: ScaleSetRecord, name: string, workFolder: string): { runner: RunnerRecord; encoded: string } | "exists" {
    if (this.ctx.state.findRunnerByName(set.scope.repo, name)) return "exists";
    const group = this.ctx.state.groups.get(set.groupId) ?? { id: set.groupId, name: "Default" };
    const runner = registerRunner(this.ctx, { name, labels: set.labels.map((l) => l.name), group, scope: set.scope.repo, ephemeral: true, scaleSetId: set.id });
    return { runner, encoded: jitConfigFor(this.ctx, runner, workFolder || "_work") };
  }

  close(): void {
    this.jobs.close();
    for (const set of this.registry.sets.values()) this.endSession(set);
    for (const q of this.queues.values()) q.wakeAll();
  }
}
