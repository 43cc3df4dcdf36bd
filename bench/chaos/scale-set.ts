/**
 * The chaos run with jobs taken in through runner scale sets (`npm run chaos -- --intake scale-set`, issue 15 point 4;
 * docs/scale-sets.md). tornade listens to two scale sets and takes no webhook at all (TORNADE_INTAKE=scale-sets); each
 * job's `runs-on` names one, and the test bed's scale set service offers and assigns it. Spot capacity failures and
 * interruptions, GitHub 5xx and the SIGKILLs still apply (faults.ts, run.ts); the webhook faults do not. On top, the
 * message path is attacked where it can break:
 *
 * - a job message lost for good (a JobAvailable or JobAssigned never queued): the requeue or the statistics make up;
 * - a job message queued twice;
 * - a poll's answer lost after the service handed the message (dropped before acknowledgement): it comes again;
 * - an acknowledgement failing on every try: the message stays, and comes again to the next session;
 * - the message queue token expiring, the service forgetting the session, a rogue listener taking the session (the
 *   holder's new session refused with 409 while the rogue's lives);
 * - broker 5xx on a share of the service's calls.
 *
 * Message faults hit every `every`-th message (as standby.ts's handoff faults, so even a small run has each), seen
 * through the test bed's fault hooks; session faults come at seeded moments while jobs arrive and run. The hooks also
 * tell which REST job each message is about, so the measurement can name a scale set job's runners by GitHub's job id.
 */
import type { TestBed } from "../../testbed/index.js";
import type { HandedMessage, PublishedMessage } from "../../testbed/github/scaleset/broker.js";
import type { SimResponseInfo } from "../../testbed/github/types.js";
import { scaleSetJobId } from "../../src/core/scale-set.js";
import { armShare } from "./faults.js";
import { allJobs, prng, type ChaosPlan } from "./plan.js";
import { everyNth as hit, type EveryNth } from "./standby.js";

/** The scale sets of the run (plan.ts SCALE_SET_KINDS names them): max runners far above what the jobs need. */
export const CHAOS_SCALE_SETS = "chaos-fargate=FARGATE/X86_64:0-1000,chaos-spot=FARGATE_SPOT/X86_64:0-1000";

/** tornade's environment for scale-set intake on this test bed: the scale sets, their repository, no webhooks. */
export function scaleSetEnv(bed: TestBed, sets: string): Record<string, string> {
  const gh = bed.github;
  return {
    TORNADE_INTAKE: "scale-sets",
    TORNADE_SCALE_SETS: sets,
    TORNADE_SCALE_SETS_OWNER: gh.owner,
    TORNADE_SCALE_SETS_REPO: gh.repo,
    TORNADE_SCALE_SETS_INSTALLATION_ID: String(gh.installationId),
  };
}

export interface ScaleSetFaultRates {
  /** Of the JobAvailable and JobAssigned messages published: lost for good. */
  messagesLost: EveryNth;
  /** Of every job message published: queued twice. */
  messagesDuplicated: EveryNth;
  /** Of the messages handed to a poll for the first time: the answer lost (502 after handing; the message stays). */
  answersLost: EveryNth;
  /** Of the messages delivered: the next acknowledgement fails on every try (the client's 5). */
  acksFailed: EveryNth;
  /** Share of the service's calls answered 5xx (before taking effect). */
  broker5xx: number;
  /** Over the run, each on a scale set drawn: queue tokens expired, sessions forgotten, sessions taken by a rogue. */
  tokensExpired: number;
  sessionsEnded: number;
  rogueSessions: number;
}

export const DEFAULT_SCALE_SET_RATES: ScaleSetFaultRates = {
  messagesLost: { every: 100, at: 7 },
  messagesDuplicated: { every: 40, at: 3 },
  answersLost: { every: 30, at: 2 },
  acksFailed: { every: 40, at: 5 },
  broker5xx: 0.01,
  tokensExpired: 3,
  sessionsEnded: 3,
  rogueSessions: 3,
};

export interface ScaleSetFaultCounts {
  /** Job messages the service published. */
  messages: number;
  messagesLost: number;
  messagesDuplicated: number;
  /** Poll answers lost after the service handed a message: messages dropped before acknowledgement. */
  answersLost: number;
  /** Acknowledgements made to fail on every try. */
  acksFailed: number;
  /** Messages the service handed again, never acknowledged (an answer lost, a failed acknowledgement and a new session, a
   *  restart): tornade must take each in as if it had not seen it. */
  redelivered: number;
  broker5xx: number;
  tokensExpired: number;
  sessionsEnded: number;
  rogueSessions: number;
  /** Session opens the service refused with 409 (tornade's, after a rogue took the session or a SIGKILL left one). */
  sessionConflicts: number;
}

const RSS = "/_apis/runtime/runnerscalesets";
const MESSAGES = `${RSS}/{scaleSetId}/messages`;
const ACK = `${MESSAGES}/{messageId}`;
const SESSION_OPEN = `POST ${RSS}/{scaleSetId}/sessions`;
/** The client's tries per call (1 + go-retryablehttp's 4 retries): an acknowledgement failing on all of them. */
const CLIENT_TRIES = 5;
const ROGUE = "chaos-rogue";
/** The service's calls, as its stats key them: its /_apis routes and the registration exchange. */
const isServiceRoute = (key: string) => / \/_apis\//.test(key) || key.endsWith(" /actions/runner-registration");

type SessionFault = "token" | "end" | "rogue";

export class ScaleSetChaos {
  private readonly counts: ScaleSetFaultCounts = {
    messages: 0,
    messagesLost: 0,
    messagesDuplicated: 0,
    answersLost: 0,
    acksFailed: 0,
    redelivered: 0,
    broker5xx: 0,
    tokensExpired: 0,
    sessionsEnded: 0,
    rogueSessions: 0,
    sessionConflicts: 0,
  };
  /** Request id → REST job id, from every message published (a re-run's attempt gets a request id of its own). */
  private readonly jobOfRequest = new Map<number, number>();
  private offers = 0;
  private handed = 0;
  private delivered = 0;
  private readonly due: { at: number; kind: SessionFault }[] = [];
  private readonly rogueUntil = new Map<number, number>();
  private readonly rnd: () => number;
  private stopped = false;

  /** `faults` null: only watch (the baseline). Install before the first job is queued. */
  constructor(
    private readonly bed: TestBed,
    plan: ChaosPlan,
    private readonly faults: ScaleSetFaultRates | null,
  ) {
    this.rnd = prng(plan.seed ^ 0x5ca1e);
    if (!faults) return;
    // While jobs arrive and run, from 10 % to 85 % of the planned span, as the SIGKILLs (plan.ts).
    const span = plan.arrivalSeconds + Math.max(0, ...allJobs(plan).map((j) => j.durationSeconds));
    const start = bed.clock.now();
    const plant = (n: number, kind: SessionFault) => {
      for (let i = 0; i < n; i++) this.due.push({ at: start + Math.round((0.1 + this.rnd() * 0.75) * span) * 1000, kind });
    };
    plant(faults.tokensExpired, "token");
    plant(faults.sessionsEnded, "end");
    plant(faults.rogueSessions, "rogue");
    this.due.sort((a, b) => a.at - b.at);
  }

  install(): void {
    const ss = this.bed.github.control.scaleSets;
    ss.interceptMessages((m) => this.fate(m));
    ss.loseAnswers((m) => this.loseAnswer(m));
  }

  /** The test bed's scale set answer hook (github.onScaleSetResponse): a message delivered arms the failed acks. */
  onResponse(r: SimResponseInfo): void {
    if (r.method !== "GET" || r.route !== MESSAGES || r.status !== 200) return;
    this.delivered++;
    if (this.faults && !this.stopped && hit(this.faults.acksFailed, this.delivered)) {
      // Armed as the answer leaves: the listener's next acknowledgement (this message's, after storing it) fails.
      this.bed.github.control.scaleSets.fail({ method: "DELETE", route: ACK, status: 503, times: CLIENT_TRIES });
      this.counts.acksFailed++;
    }
  }

  /** Session faults when due, and broker 5xx at their share; called by the run loop. */
  tick(): void {
    if (this.stopped || !this.faults) return;
    const now = this.bed.clock.now();
    for (const [id, until] of this.rogueUntil) if (now >= until) this.releaseRogue(id);
    const ss = this.bed.github.control.scaleSets;
    const due = this.due.filter((x) => x.at <= now);
    const held = due.length === 0 ? [] : ss.list().filter((s) => s.session?.alive && s.session.ownerName !== ROGUE);
    // Due with no session of tornade's to hit (it is restarting, or a rogue has one): the next tick tries again.
    for (const d of due) {
      const victim = held[Math.floor(this.rnd() * held.length)];
      if (!victim) break;
      this.due.splice(this.due.indexOf(d), 1);
      held.splice(held.indexOf(victim), 1);
      if (d.kind === "token" && ss.expireToken(victim.id)) this.counts.tokensExpired++;
      if (d.kind === "end" && ss.endSession(victim.id)) this.counts.sessionsEnded++;
      if (d.kind === "rogue" && ss.takeSession(victim.id, ROGUE)) {
        // Held 20–90 s, past one or two of tornade's 30 s conflict retries.
        this.rogueUntil.set(victim.id, now + (20 + Math.floor(this.rnd() * 70)) * 1000);
        this.counts.rogueSessions++;
      }
    }
    const requests = Object.entries(this.bed.github.control.stats().requests).filter(([k]) => isServiceRoute(k));
    this.counts.broker5xx = armShare(requests, this.faults.broker5xx, this.counts.broker5xx, this.rnd, (f) => ss.fail({ ...f, times: 1 }));
  }

  /** No new faults from here on; a rogue still holding a session lets it go. */
  stop(): void {
    this.stopped = true;
    for (const id of [...this.rogueUntil.keys()]) this.releaseRogue(id);
  }

  finish(): ScaleSetFaultCounts {
    this.counts.sessionConflicts = this.bed.github.control.stats().responses[`${SESSION_OPEN} 409`] ?? 0;
    return { ...this.counts };
  }

  /** The REST job a stored scale set job id (the negated request id, core/scale-set.ts) stands for, if known. */
  restJobOf(storedId: number): number | undefined {
    return this.jobOfRequest.get(-storedId);
  }

  /** The ids tornade stores these REST jobs under: one per request the service made for them. */
  storedIdsOf(restIds: Set<number>): Set<number> {
    return new Set([...this.jobOfRequest].filter(([, job]) => restIds.has(job)).map(([request]) => scaleSetJobId(request)));
  }

  /** Why a job with these REST ids was not served, as the scale set service saw it. */
  evidence(restIds: Set<number>, launched: number): string {
    const held = this.bed.github.control.scaleSets.jobs().filter((j) => restIds.has(j.jobId));
    if (this.storedIdsOf(restIds).size === 0) return "no scale set took it (its runs-on matched none)";
    const last = held[held.length - 1];
    if (!last) return "the scale set service no longer holds it, and GitHub never completed it";
    if (last.state === "available") return `offered ${last.requeues + 1} time(s), never acquired`;
    return launched === 0 ? `assigned to the scale set; no task or build was launched for it` : `assigned to the scale set; ${launched} launches, but no runner took it`;
  }

  private fate(m: PublishedMessage): "drop" | "duplicate" | undefined {
    this.jobOfRequest.set(m.runnerRequestId, m.jobId);
    this.counts.messages++;
    const f = this.faults;
    if (!f || this.stopped) return undefined;
    if (m.messageType === "JobAvailable" || m.messageType === "JobAssigned") {
      if (hit(f.messagesLost, ++this.offers)) {
        this.counts.messagesLost++;
        return "drop";
      }
    }
    if (!hit(f.messagesDuplicated, this.counts.messages)) return undefined;
    this.counts.messagesDuplicated++;
    return "duplicate";
  }

  /** Every message a poll is about to hand comes here: redeliveries are counted, and some first answers lost. */
  private loseAnswer(m: HandedMessage): boolean {
    if (m.deliveries > 1) this.counts.redelivered++;
    if (!this.faults || this.stopped || m.deliveries !== 1) return false;
    if (!hit(this.faults.answersLost, ++this.handed)) return false;
    this.counts.answersLost++;
    return true;
  }

  private releaseRogue(scaleSetId: number): void {
    this.rogueUntil.delete(scaleSetId);
    const ss = this.bed.github.control.scaleSets;
    // Released already (unpolled past the idle timeout) and maybe taken by tornade since: leave that one alone.
    if (ss.list().find((s) => s.id === scaleSetId)?.session?.ownerName === ROGUE) ss.endSession(scaleSetId);
  }
}
