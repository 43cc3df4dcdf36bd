/**
 * One runner scale set's listener (docs/scale-sets.md): holds the scale set's lease in the store (one replica at a
 * time), its one message session, and long-polls it. Each message's jobs are taken in (takeIn, stored with their
 * "look at job N") BEFORE the message is acknowledged — GitHub's own listener acknowledges first, and a crash between
 * the two would lose the message; here a crash leaves it with the service, which hands it again — then the offered
 * jobs are acquired, then the message acknowledged (one whose acknowledgement fails is tried again after the next
 * message, and comes again, harmlessly, to a new session). Runners are started by the reconciler, as for a
 * webhook's job.
 *
 * Stopping (SIGTERM) aborts a poll the service is holding, closes the session (another replica may open one at once)
 * and gives the lease up. Losing the lease (this replica stalled past it) closes the session too.
 */
import type { Clock } from "../clock/clock.js";
import { ScaleSetError, type MessageSession, type ScaleSetClient, type ScaleSetMessage, type ScaleSetStatistics } from "../github/scaleset/index.js";
import type { Logger } from "../log/logger.js";
import type { Store } from "../store/store.js";
import type { ScaleSetTarget } from "./scale-set-setup.js";
import type { TakeIn } from "./observations.js";

export interface ScaleSetListenerDeps {
  readonly client: Pick<ScaleSetClient, "ensureScaleSet" | "openSession">;
  readonly target: ScaleSetTarget;
  readonly runnerGroup: string;
  readonly installationId: number;
  readonly takeIn: TakeIn;
  readonly leases: Pick<Store, "acquireLease" | "releaseLease">;
  /** This replica, as the lease and the session's owner name it. */
  readonly holder: string;
  readonly leaseMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told the scale set's id once it exists (created, updated or found). */
  readonly found: (name: string, id: number) => void;
  /** Told each message's statistics once its jobs are stored. */
  readonly statistics: (name: string, stats: ScaleSetStatistics) => void;
}

/** How long to wait before opening again when another listener holds the session (GitHub's listener: 30 s). */
const SESSION_CONFLICT_RETRY_MS = 30_000;
const MAX_BACKOFF_MS = 60_000;

/** The lease's name for a scale set. */
export function scaleSetLease(name: string): string {
  return `scale-set:${name.toLowerCase()}`;
}

export class ScaleSetListener {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private session: MessageSession | undefined;
  /** The last message stored and acknowledged; the service hands the oldest unacknowledged one above it. */
  private lastMessageId = 0;
  /** Messages stored whose acknowledgement failed: tried again after each later message. */
  private readonly unacknowledged = new Set<number>();
  /** Jobs acquired (by runnerRequestId) whose assignment message has not come yet, with when they were acquired. */
  private readonly acquired = new Map<number, number>();
  #scaleSetId: number | undefined;
  #holding = false;
  #caughtUp = false;

  constructor(private readonly deps: ScaleSetListenerDeps) {}

  get name(): string {
    return this.deps.target.name;
  }

  /** The scale set's id, once ensured. */
  get scaleSetId(): number | undefined {
    return this.#scaleSetId;
  }

  /** Whether this replica holds the scale set's lease (and so listens). */
  get holding(): boolean {
    return this.#holding;
  }

  /**
   * Whether every message the service holds for the scale set has been taken in: a poll of this session has
   * answered "nothing waiting" (202), and every poll since has answered. False after a (re)start, a failed poll and a
   * new session, until the queue is found empty again: until then statistics may count jobs whose messages are still
   * waiting — for a dead process's session to lapse, for a rogue to let go — and the statistics round waits longer before
   * it counts them as lost (core/scale-set.ts planScaleSet).
   */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * How many jobs this listener acquired at or after `since` and has had no later message of: the statistics count
   * them as assigned already, and their messages (with their own runners) follow. Older ones are forgotten: their
   * message is lost, and the statistics round serves them.
   */
  awaitingSince(since: number): number {
    let n = 0;
    for (const [id, at] of this.acquired) {
      if (at >= since) n++;
      else this.acquired.delete(id);
    }
    return n;
  }

  /** Aborts the poll, closes the session, gives up the lease. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error("tornade is stopping"));
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    const log = this.deps.logger;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!(await this.hold())) {
          await this.deps.clock.sleep(this.deps.leaseMs / 3, signal);
          continue;
        }
        await this.listen(signal);
        failures = 0;
      } catch (e) {
        this.#caughtUp = false;
        if (signal.aborted) break;
        failures++;
        const conflict = e instanceof ScaleSetError && e.kind === "session-conflict";
        const wait = conflict ? SESSION_CONFLICT_RETRY_MS : Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 6));
        log.warn({ scaleSet: this.name, err: e instanceof Error ? e.message : String(e), retryInMs: wait }, conflict ? "scale set's session is held elsewhere; will try again" : "scale set listener failed; will try again");
        if (!conflict) await this.dropSession();
        await this.deps.clock.sleep(wait, signal).catch(() => undefined);
      }
    }
    await this.dropSession();
    if (this.#holding) await this.deps.leases.releaseLease(scaleSetLease(this.name), this.deps.holder).catch(() => undefined);
    this.#holding = false;
  }

  /** Takes or renews the lease; true while this replica holds it. */
  private async hold(): Promise<boolean> {
    const held = await this.deps.leases.acquireLease(scaleSetLease(this.name), this.deps.holder, this.deps.leaseMs);
    if (held !== this.#holding) this.deps.logger.info({ scaleSet: this.name, holder: this.deps.holder }, held ? "holding the scale set's lease" : "another replica holds the scale set's lease");
    this.#holding = held;
    return held;
  }

  /** Polls until stopped or the lease is lost; throws on a failure the caller backs off from. */
  private async listen(stop: AbortSignal): Promise<void> {
    const { client, target } = this.deps;
    if (this.#scaleSetId === undefined) {
      const { scaleSet, change } = await client.ensureScaleSet({ name: target.name, runnerGroup: this.deps.runnerGroup, labels: target.labels }, stop);
      this.#scaleSetId = scaleSet.id;
      this.deps.found(target.name, scaleSet.id);
      this.deps.logger.info({ scaleSet: target.name, id: scaleSet.id, change }, "runner scale set ready");
    }
    const session = (this.session ??= await client.openSession(this.#scaleSetId, this.deps.holder, stop));
    // The lease is renewed while the session lives; losing it ends the listening (another replica takes over).
    const lost = new AbortController();
    const signal = AbortSignal.any([stop, lost.signal]);
    const renewal = this.renewEvery(this.deps.leaseMs / 3, lost, signal);
    try {
      while (!signal.aborted) {
        const message = await session.poll({ lastMessageId: this.lastMessageId, maxCapacity: target.maxRunners, signal });
        if (message) await this.handle(session, message);
        else this.caughtUpNow();
      }
    } catch (e) {
      if (!(e instanceof ScaleSetError && e.kind === "aborted" && signal.aborted)) throw e;
    } finally {
      lost.abort();
      await renewal;
    }
    if (!stop.aborted) {
      // The lease went to another replica: give it the session too.
      this.deps.logger.warn({ scaleSet: target.name }, "lost the scale set's lease; closing its session");
      await this.dropSession();
    }
  }

  /** Stored, then the offers acquired, then acknowledged: a crash anywhere before the end gets the message again. */
  private async handle(session: MessageSession, message: ScaleSetMessage): Promise<void> {
    const { target } = this.deps;
    await this.deps.takeIn({ kind: "scale-set", scaleSet: { name: target.name, spec: target.spec, installationId: this.deps.installationId }, jobs: message.jobs });
    const offered = message.jobs.filter((j) => j.type === "JobAvailable").map((j) => j.job.runnerRequestId);
    for (const j of message.jobs) if (j.type !== "JobAvailable") this.acquired.delete(j.job.runnerRequestId);
    const acquired = offered.length > 0 ? await session.acquire(offered) : [];
    const now = this.deps.clock.now();
    for (const id of acquired) this.acquired.set(id, now);
    // Stored and acquired: the next message may come. One whose acknowledgement fails stays with the service and
    // comes again to the next session (a restart, another replica) — harmless, its jobs are stored — and is
    // acknowledged again after each later message meanwhile.
    this.lastMessageId = Math.max(this.lastMessageId, message.messageId);
    this.unacknowledged.add(message.messageId);
    await this.acknowledgeAll(session);
    this.deps.logger.info(
      { scaleSet: target.name, messageId: message.messageId, jobs: message.jobs.map((j) => `${j.type}:${j.job.runnerRequestId}`), acquired, skipped: message.skipped, assigned: message.statistics.totalAssignedJobs },
      "scale set message taken in",
    );
    this.deps.statistics(target.name, message.statistics);
  }

  /** Acknowledges every message stored but not acknowledged yet; a failure leaves it for the next try. */
  private async acknowledgeAll(session: MessageSession): Promise<void> {
    for (const id of [...this.unacknowledged]) {
      try {
        await session.acknowledge(id);
        this.unacknowledged.delete(id);
      } catch (e) {
        if (!(e instanceof ScaleSetError) || e.kind === "aborted") throw e;
        this.deps.logger.warn({ scaleSet: this.name, messageId: id, err: e.message }, "could not acknowledge a stored message; it will come again, harmlessly");
        return;
      }
    }
  }

  /** Renews the lease every `ms` until `until` fires; a refused renewal fires `lost`. */
  private async renewEvery(ms: number, lost: AbortController, until: AbortSignal): Promise<void> {
    while (!until.aborted) {
      try {
        await this.deps.clock.sleep(ms, until);
      } catch {
        return;
      }
      const held = await this.hold().catch((e: unknown) => {
        this.deps.logger.warn({ scaleSet: this.name, err: String(e) }, "could not renew the scale set's lease");
        return true; // the store may be back before the lease lapses; the next renewal tells
      });
      if (!held) lost.abort(new Error("lease lost"));
    }
  }

  /** A poll found nothing waiting: every message the service held has been taken in. */
  private caughtUpNow(): void {
    if (!this.#caughtUp) this.deps.logger.info({ scaleSet: this.name }, "scale set listener caught up with its queue");
    this.#caughtUp = true;
  }

  /** Closes the session, if one is open. */
  private async dropSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.#caughtUp = false;
    // A new session is handed every unacknowledged message again, from the start.
    this.lastMessageId = 0;
    this.unacknowledged.clear();
    await session?.close().catch((e: unknown) => this.deps.logger.warn({ scaleSet: this.name, err: String(e) }, "could not close the scale set's session"));
  }
}
