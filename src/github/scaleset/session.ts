/**
 * A scale set's message session: the one listener the service hands the scale set's job messages to.
 *
 * Semantics (actions/scaleset session_client.go, listener/listener.go):
 * - One session per scale set: opening a second while the first lives is a 409 → ScaleSetError "session-conflict".
 * - The message queue token expires (401): the session is refreshed (PATCH → a new token) and the call made again,
 *   once; a session the service has forgotten answers 404 to the refresh and is created anew (the caller's
 *   `lastMessageId` stays valid: messages belong to the scale set, not to the session).
 * - A poll is held up to about 50 s; 202 means nothing came. `X-ScaleSetMaxCapacity` tells the service how many
 *   runners the scale set may have, so that it assigns no more jobs than that.
 * - A message stays until acknowledged (DELETE), and comes again to a poll whose `lastMessageId` is below it.
 * - `close()` deletes the session, so another listener can open one at once.
 */
import type { z } from "zod";
import { ScaleSetError } from "./errors.js";
import { abortable } from "./retry.js";
import { parseMessage } from "./messages.js";
import { API_VERSION, type CallOptions, type ServiceCalls } from "./service-calls.js";
import type { Answer, Method } from "./transport.js";
import type { ScaleSetMessage, ScaleSetStatistics } from "./types.js";
import { Int64ListWire, MessageWire, SessionWire } from "./wire.js";

const RSS = "_apis/runtime/runnerscalesets";
/** The header the poll reports the scale set's maximum runner count in (client.go HeaderScaleSetMaxCapacity). */
export const MAX_CAPACITY_HEADER = "X-ScaleSetMaxCapacity";

interface SessionState {
  readonly id: string;
  readonly queueUrl: string;
  /** The message queue access token: a credential. */
  readonly token: string;
}

export interface SessionOptions {
  readonly scaleSetId: number;
  readonly ownerName: string;
  /** Real ms a poll may take. */
  readonly pollTimeoutMs: number;
}

export interface PollOptions {
  /** The id of the last message processed; the service hands the oldest undeleted message above it. 0 at first. */
  readonly lastMessageId: number;
  /** The most runners the scale set may have now (an integer ≥ 0). */
  readonly maxCapacity: number;
  readonly signal?: AbortSignal;
}

export class MessageSession {
  #state: SessionState;
  #renewing: Promise<void> | undefined;
  #closed = false;
  /** The statistics the service gave when the session was opened (the public client's listener starts from them). */
  readonly statistics: ScaleSetStatistics | null;

  private constructor(
    private readonly calls: ServiceCalls,
    private readonly o: SessionOptions,
    opened: z.output<typeof SessionWire>,
  ) {
    this.#state = stateOf(opened);
    this.statistics = opened.statistics ?? null;
  }

  static async open(calls: ServiceCalls, o: SessionOptions, signal?: AbortSignal): Promise<MessageSession> {
    const opened = await create(calls, o, signal);
    calls.logger.info({ scaleSetId: o.scaleSetId, sessionId: opened.sessionId, owner: o.ownerName }, "message session opened");
    return new MessageSession(calls, o, opened);
  }

  get id(): string {
    return this.#state.id;
  }

  get scaleSetId(): number {
    return this.o.scaleSetId;
  }

  /** The next message, or null when none came while the service held the poll. */
  async poll(opts: PollOptions): Promise<ScaleSetMessage | null> {
    const op = "poll runner scale set messages";
    if (!Number.isInteger(opts.maxCapacity) || opts.maxCapacity < 0) {
      throw new ScaleSetError("invalid", 0, `${op}: maxCapacity must be an integer ≥ 0 (the scale set's maximum runner count), got ${opts.maxCapacity}`, { operation: op });
    }
    const r = await this.withToken(op, "GET", (s) => {
      const u = new URL(s.queueUrl);
      if (opts.lastMessageId > 0) u.searchParams.set("lastMessageId", String(opts.lastMessageId));
      return u.toString();
    }, {
      ok: [200, 202],
      schema: MessageWire,
      // The poll's api-version rides in its Accept header (session_client.go getMessage).
      headers: { accept: `application/json; api-version=${API_VERSION}`, [MAX_CAPACITY_HEADER]: String(opts.maxCapacity) },
      signal: opts.signal,
      timeoutMs: this.o.pollTimeoutMs,
    });
    return r.value ? parseMessage(r.value, op) : null;
  }

  /** Acknowledges (deletes) a message: it will not come again. Deleting one already deleted is not an error. */
  async acknowledge(messageId: number, signal?: AbortSignal): Promise<void> {
    await this.withToken("acknowledge runner scale set message", "DELETE", (s) => {
      const u = new URL(s.queueUrl);
      u.pathname = `${u.pathname}/${messageId}`;
      return u.toString();
    }, { ok: [204, 200], signal });
  }

  /** Acquires offered jobs by runnerRequestId (JobAvailable); answers the ids acquired, which may be fewer. */
  async acquire(runnerRequestIds: readonly number[], signal?: AbortSignal): Promise<number[]> {
    if (runnerRequestIds.length === 0) return [];
    const url = await this.calls.url(`${RSS}/${this.o.scaleSetId}/acquirejobs`, signal);
    const r = await this.withToken("acquire runner scale set jobs", "POST", () => url, { body: [...runnerRequestIds], ok: [200], schema: Int64ListWire, signal });
    return r.value?.value ?? [];
  }

  /** Deletes the session, so another listener may open one now. Idempotent; a session already gone is fine. */
  async close(signal?: AbortSignal): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.calls.admin("delete message session", "DELETE", `${RSS}/${this.o.scaleSetId}/sessions/${this.#state.id}`, { ok: [204, 200], signal, about: this.about() });
      this.calls.logger.info(this.about(), "message session closed");
    } catch (e) {
      if (!(e instanceof ScaleSetError && e.kind === "not-found")) throw e;
    }
  }

  private about() {
    return { scaleSetId: this.o.scaleSetId, sessionId: this.#state.id };
  }

  /**
   * A call with the session's token; on "expired" the session is renewed (refreshed, or created anew when the
   * service forgot it) and the call made once more.
   */
  private async withToken<S extends z.ZodType>(operation: string, method: Method, url: (s: SessionState) => string, opts: CallOptions<S>): Promise<Answer<z.output<S>>> {
    if (this.#closed) throw new ScaleSetError("invalid", 0, `${operation}: the message session was closed; open a new one`, { operation });
    const used = this.#state;
    try {
      return await this.calls.send(operation, method, url(used), `Bearer ${used.token}`, { ...opts, about: this.about() });
    } catch (e) {
      if (!(e instanceof ScaleSetError && e.kind === "expired")) throw e;
    }
    await this.renew(used, opts.signal);
    const now = this.#state;
    return this.calls.send(operation, method, url(now), `Bearer ${now.token}`, { ...opts, about: this.about() });
  }

  /** Renews the session whose token `expired` was refused — unless a concurrent call already did. */
  private async renew(expired: SessionState, signal?: AbortSignal): Promise<void> {
    if (this.#state.token !== expired.token) return;
    // Shared by every call that found the token refused, so not cut short by one caller's signal (it is bounded
    // by the retry policy); each caller stops waiting when its own signal fires.
    this.#renewing ??= this.refreshOrRecreate().finally(() => (this.#renewing = undefined));
    await abortable(this.#renewing, "renew message session", signal);
  }

  private async refreshOrRecreate(): Promise<void> {
    const path = `${RSS}/${this.o.scaleSetId}/sessions/${this.#state.id}`;
    try {
      const r = await this.calls.admin("refresh message session", "PATCH", path, { ok: [200], schema: SessionWire, about: this.about() });
      this.#state = stateOf(r.value as NonNullable<typeof r.value>);
      this.calls.logger.info(this.about(), "message session refreshed");
    } catch (e) {
      if (!(e instanceof ScaleSetError && e.kind === "not-found")) throw e;
      // The service forgot the session (a later session_client.go re-creates it the same way).
      const old = this.#state.id;
      this.#state = stateOf(await create(this.calls, this.o));
      this.calls.logger.warn({ ...this.about(), previousSessionId: old }, "message session was gone; opened a new one");
    }
  }
}

async function create(calls: ServiceCalls, o: SessionOptions, signal?: AbortSignal): Promise<z.output<typeof SessionWire>> {
  const op = "create message session";
  try {
    const r = await calls.admin(op, "POST", `${RSS}/${o.scaleSetId}/sessions`, { body: { ownerName: o.ownerName }, ok: [200, 201], schema: SessionWire, signal, about: { scaleSetId: o.scaleSetId } });
    return r.value as NonNullable<typeof r.value>;
  } catch (e) {
    if (e instanceof ScaleSetError && (e.kind === "conflict" || e.kind === "session-conflict")) {
      throw new ScaleSetError(
        "session-conflict",
        e.status,
        `runner scale set ${o.scaleSetId} already has a live message session (${e.message}); only one listener may hold it: stop the other, or wait until it closes or stops polling, then open again`,
        e.details,
      );
    }
    throw e;
  }
}

function stateOf(s: z.output<typeof SessionWire>): SessionState {
  return { id: s.sessionId, queueUrl: s.messageQueueUrl, token: s.messageQueueAccessToken };
}
