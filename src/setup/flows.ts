/**
 * Setup flows in progress: each GitHub manifest flow's `state`, bound to the browser session that started it (an
 * HttpOnly cookie), so a callback from any other browser — or a stranger replaying GitHub's callback URL — is refused.
 * Bounded per session and in total, and never by evicting someone else's: a session past its share loses only its own
 * oldest flow, and when every session slot is taken new sessions are refused, not the operator's dropped.
 */
import { randomBytes } from "node:crypto";
import type { RunnerScope } from "./manifest.js";

/** GitHub's manifest code lives one hour ("Registering a GitHub App from a manifest"); a flow lives as long. */
export const FLOW_TTL_MS = 60 * 60 * 1000;
/** Flows one browser may have open (a retry with a corrected name, another tab). */
export const FLOWS_PER_SESSION = 3;
/** Browser sessions at once. Only holders of the setup code start one, so this bounds memory, not strangers. */
export const MAX_SESSIONS = 16;

export interface Flow {
  readonly state: string;
  readonly session: string;
  readonly scope: RunnerScope;
  readonly at: number;
}

export type Started = { readonly ok: true; readonly state: string; readonly session: string } | { readonly ok: false; readonly reason: string };
export type Claimed =
  | { readonly ok: true; readonly flow: Flow }
  | { readonly ok: false; readonly why: "unknown" | "expired" | "foreign" };

const token = () => randomBytes(24).toString("base64url");

export class SetupFlows {
  private readonly flows = new Map<string, Flow>();

  /** Opens a flow for `session` (a new session when it has none, or one this process does not know). */
  start(session: string | undefined, scope: RunnerScope, now: number): Started {
    this.prune(now);
    const mine = [...this.flows.values()].filter((f) => f.session === session);
    let id = session;
    if (id === undefined || mine.length === 0) {
      if (this.sessions().size >= MAX_SESSIONS) {
        return { ok: false, reason: `${MAX_SESSIONS} setups are already in progress; finish one, or wait up to an hour for them to expire` };
      }
      id = token();
    }
    // Map order is insertion order: the first of this session's flows is its oldest.
    if (mine.length >= FLOWS_PER_SESSION && mine[0]) this.flows.delete(mine[0].state);
    const state = token();
    this.flows.set(state, { state, session: id, scope, at: now });
    return { ok: true, state, session: id };
  }

  /** The flow `state` names, if it belongs to `session` and is not expired. Leaves it in place (see `finish`). */
  claim(state: string, session: string | undefined, now: number): Claimed {
    const flow = this.flows.get(state);
    if (!flow) return { ok: false, why: "unknown" };
    if (now - flow.at > FLOW_TTL_MS) {
      this.flows.delete(state);
      return { ok: false, why: "expired" };
    }
    // A foreign callback leaves the flow alone: whoever learnt the state must not be able to cancel the operator's setup.
    if (session === undefined || session !== flow.session) return { ok: false, why: "foreign" };
    return { ok: true, flow };
  }

  /** A flow's code was spent: it can never be used again. */
  finish(state: string): void {
    this.flows.delete(state);
  }

  get size(): number {
    return this.flows.size;
  }

  private sessions(): Set<string> {
    return new Set([...this.flows.values()].map((f) => f.session));
  }

  private prune(now: number): void {
    for (const [state, f] of this.flows) if (now - f.at > FLOW_TTL_MS) this.flows.delete(state);
  }
}
