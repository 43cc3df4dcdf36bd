/**
 * Test support for tornade's runner scale set client (src/github/scaleset): the test bed's scale set service with
 * every answer checked against the public client's types, clients built the way production builds them (tornade's
 * GitHub clients, App or PAT, on the test bed's clock), a logger that keeps every line, and every secret the service
 * or GitHub handed out — so a test can say none of them reached a log line or an error message.
 */
import type { Clock } from "../../src/clock/clock.js";
import { createGitHubClients, type Logger } from "../../src/github/auth.js";
import { ScaleSetClient, ScaleSetError, type JobMessage, type MessageSession, type ScaleSetClientOptions } from "../../src/github/scaleset/index.js";
import { closeChecked, startScaleSetSim, STEADY, type CheckedScaleSetSim } from "../../testbed/github/scaleset/test-support.js";
import type { ScaleSetOptions } from "../../testbed/github/scaleset/index.js";
import { leakedFragment } from "./secret-fragments.js";

export interface RecordingLogger extends Logger {
  /** Every line as pino would write it (JSON of the fields and the message). */
  readonly lines: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push(JSON.stringify({ level, ...obj, msg }));
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export interface ClientWorld {
  readonly s: CheckedScaleSetSim;
  readonly clock: Clock;
  readonly logger: RecordingLogger;
  /** Tokens and JIT configs seen in the service's and GitHub's answers so far. */
  readonly secrets: Set<string>;
  /** A client as tornade builds one: `as` App (the default) or PAT, for the organization or one repository. */
  client(opts?: { as?: "app" | "pat"; repo?: string; over?: Partial<ScaleSetClientOptions> }): ScaleSetClient;
  /** The pieces of any secret found in `text` (empty when none). */
  leaks(text: string): string[];
  /** Closes the sim, and expects no answer of it to have strayed from GitHub's description or the client's types. */
  close(): Promise<void>;
}

/** Retries as in production, but waiting a few ms of real time at a compressed clock. */
const QUICK_RETRY = { baseMs: 1_000, maxMs: 5_000 };

export async function startClientWorld(clock: Clock, scaleSets: Partial<ScaleSetOptions> = STEADY): Promise<ClientWorld> {
  const secrets = new Set<string>();
  const keep = (v: unknown) => void (typeof v === "string" && v.length > 0 && secrets.add(v));
  const s = await startScaleSetSim({
    clock,
    scaleSets,
    onScaleSetResponse: (r) => {
      const b = (r.body ?? {}) as Record<string, unknown>;
      keep(b["token"]);
      keep(b["messageQueueAccessToken"]);
      keep(b["encodedJITConfig"]);
    },
    onResponse: (r) => {
      const b = (r.body ?? {}) as Record<string, unknown>;
      if (/registration-token|access_tokens/.test(r.route)) keep(b["token"]);
    },
  });
  keep(s.sim.control.personalToken);
  keep(s.sim.privateKeyPem);
  const logger = recordingLogger();
  return {
    s,
    clock,
    logger,
    secrets,
    client({ as = "app", repo, over = {} } = {}) {
      const sim = s.sim;
      const github = createGitHubClients({
        auth: as === "app" ? { kind: "app", appId: sim.appId, privateKeyPem: sim.privateKeyPem } : { kind: "token", token: sim.control.personalToken },
        baseUrl: sim.url,
        clock,
        writeSpacingMs: 0,
      });
      const scope = repo === undefined ? ({ scope: "org", owner: sim.owner, repo: "", installationId: sim.installationId } as const) : ({ scope: "repo", owner: sim.owner, repo, installationId: sim.installationId } as const);
      return new ScaleSetClient({ github, baseUrl: sim.url, scope, clock, logger, retry: QUICK_RETRY, ...over });
    },
    leaks(text) {
      return [...secrets].map((secret) => leakedFragment(text, secret)).filter((f): f is string => f !== undefined);
    },
    close: () => closeChecked(s),
  };
}

/** The ScaleSetError `p` rejected with; fails when it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<ScaleSetError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ScaleSetError) return e;
    throw e;
  }
  throw new Error("expected the call to fail with a ScaleSetError");
}

/**
 * A listener's loop for tests: polls from `cursor.last`, keeps each message's job messages, acknowledges it, and stops
 * once `done` holds for what it kept (returned, oldest first). Bounded in real time; never an assertion about time.
 */
export async function listenUntil(
  session: MessageSession,
  cursor: { last: number },
  done: (seen: readonly JobMessage[]) => boolean,
  opts: { maxCapacity?: number; timeoutMs?: number } = {},
): Promise<JobMessage[]> {
  const seen: JobMessage[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  while (!done(seen)) {
    if (Date.now() > deadline) throw new Error(`timed out listening; saw ${seen.map((m) => `${m.type}(${m.job.displayName})`).join(", ") || "nothing"}`);
    const m = await session.poll({ lastMessageId: cursor.last, maxCapacity: opts.maxCapacity ?? 10 });
    if (!m) continue;
    seen.push(...m.jobs);
    cursor.last = m.messageId;
    await session.acknowledge(m.messageId);
  }
  return seen;
}
