/**
 * tornade's client for GitHub's runner scale set API (public preview): runner groups, scale sets, JIT configs for a
 * scale set's runners, runner removal, and message sessions (session.ts). Its semantics follow GitHub's public Go
 * client, github.com/actions/scaleset (client.go, session_client.go); docs/scale-sets.md describes it.
 *
 * It authenticates with tornade's own GitHub clients (auth.ts: App installation tokens or a PAT) for the one REST call
 * the exchange needs, keeps the Actions service's admin token fresh by tornade's clock (admin-connection.ts), retries
 * transient failures a bounded number of times (retry.ts), and takes an AbortSignal on every call.
 */
import { systemClock, type Clock } from "../../clock/clock.js";
import { silentLogger, type GitHubClients, type Logger } from "../auth.js";
import type { JitConfig, RunnerScope } from "../github-port.js";
import { AdminConnection } from "./admin-connection.js";
import { configUrlOf } from "./config-url.js";
import { ScaleSetError } from "./errors.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
import { ServiceCalls } from "./service-calls.js";
import { MessageSession } from "./session.js";
import { toRunnerGroup, toRunnerRef, toScaleSet, type RunnerGroup, type RunnerRef, type ScaleSet, type ScaleSetSpec } from "./types.js";
import { JitRunnerConfigWire, RunnerGroupListWire, RunnerReferenceListWire, RunnerReferenceWire, RunnerScaleSetListWire, RunnerScaleSetWire } from "./wire.js";

export interface ScaleSetClientOptions {
  /** tornade's GitHub clients (createGitHubClients): the registration token is asked for through them. */
  readonly github: GitHubClients;
  /** tornade's GitHub REST root (config github.baseUrl): https://api.github.com, or https://HOST/api/v3. */
  readonly baseUrl: string;
  /** Where the scale sets live: a repository, or an organization (`scope: "org"`, `owner` = the organization). */
  readonly scope: RunnerScope;
  /** The scope's config URL, when it is not the one derived from baseUrl (config-url.ts). */
  readonly configUrl?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly retry?: Partial<RetryPolicy>;
  /** Real ms a call may take; default 100 s. */
  readonly requestTimeoutMs?: number;
  /** Real ms a message poll may take; default 5 minutes (the service holds a poll about 50 s). */
  readonly pollTimeoutMs?: number;
}

export type ScaleSetChange = "created" | "updated" | "unchanged";

const RSS = "_apis/runtime/runnerscalesets";
const AGENTS = "_apis/distributedtask/pools/0/agents";
/** The runner group the public client names when none is given (types.go DefaultRunnerGroup). */
export const DEFAULT_RUNNER_GROUP = "default";

export class ScaleSetClient {
  readonly configUrl: string;
  readonly connection: AdminConnection;
  private readonly calls: ServiceCalls;
  private readonly pollTimeoutMs: number;

  constructor(opts: ScaleSetClientOptions) {
    const clock = opts.clock ?? systemClock;
    const logger = opts.logger ?? silentLogger;
    const retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    const timeoutMs = opts.requestTimeoutMs ?? 100_000;
    this.configUrl = opts.configUrl ?? configUrlOf(opts.baseUrl, opts.scope);
    this.pollTimeoutMs = opts.pollTimeoutMs ?? 5 * 60_000;
    this.connection = new AdminConnection({ github: opts.github, restBaseUrl: opts.baseUrl, scope: opts.scope, configUrl: this.configUrl, clock, logger, retry, timeoutMs });
    this.calls = new ServiceCalls({ connection: this.connection, clock, logger, retry, timeoutMs });
  }

  /** The runner group of that name (case-insensitive); "not-found" when the scope has none. */
  async runnerGroupByName(name: string, signal?: AbortSignal): Promise<RunnerGroup> {
    const op = "get runner group by name";
    const r = await this.calls.admin(op, "GET", `_apis/runtime/runnergroups/?groupName=${encodeURIComponent(name)}`, { ok: [200], schema: RunnerGroupListWire, signal });
    const groups = r.value?.value ?? [];
    if (groups.length === 0) {
      throw new ScaleSetError("not-found", 200, `${op}: ${this.configUrl} has no runner group named ${JSON.stringify(name)}; create it (Settings → Actions → Runner groups) or name an existing one`, { operation: op });
    }
    if (groups.length > 1) throw new ScaleSetError("protocol", 200, `${op}: ${groups.length} runner groups are named ${JSON.stringify(name)}`, { operation: op });
    return toRunnerGroup(groups[0] as (typeof groups)[number]);
  }

  /** The scale set of that name in that runner group, or undefined. */
  async scaleSetByName(runnerGroupId: number, name: string, signal?: AbortSignal): Promise<ScaleSet | undefined> {
    const op = "get runner scale set by name";
    const path = `${RSS}?runnerGroupId=${runnerGroupId}&name=${encodeURIComponent(name)}`;
    const r = await this.calls.admin(op, "GET", path, { ok: [200], schema: RunnerScaleSetListWire, signal });
    const sets = r.value?.value ?? [];
    if (sets.length > 1) throw new ScaleSetError("protocol", 200, `${op}: ${sets.length} scale sets are named ${JSON.stringify(name)} in runner group ${runnerGroupId}`, { operation: op });
    return sets[0] && toScaleSet(sets[0]);
  }

  async scaleSet(id: number, signal?: AbortSignal): Promise<ScaleSet> {
    const r = await this.calls.admin("get runner scale set", "GET", `${RSS}/${id}`, { ok: [200], schema: RunnerScaleSetWire, signal, about: { scaleSetId: id } });
    return toScaleSet(r.value as NonNullable<typeof r.value>);
  }

  /** A new scale set; "conflict" when the runner group has one of that name (names are unique per group). */
  async createScaleSet(spec: { name: string; runnerGroupId: number; labels?: readonly string[] }, signal?: AbortSignal): Promise<ScaleSet> {
    const body = { name: spec.name, runnerGroupId: spec.runnerGroupId, ...wanted(spec.labels ?? []) };
    const r = await this.calls.admin("create runner scale set", "POST", RSS, { body, ok: [200, 201], schema: RunnerScaleSetWire, signal, about: { scaleSet: spec.name } });
    return toScaleSet(r.value as NonNullable<typeof r.value>);
  }

  /** Replaces what is given: the name, the runner group, the labels (and tornade's runner settings). */
  async updateScaleSet(id: number, change: { name?: string; runnerGroupId?: number; labels?: readonly string[] }, signal?: AbortSignal): Promise<ScaleSet> {
    const body = { ...(change.name ? { name: change.name } : {}), ...(change.runnerGroupId ? { runnerGroupId: change.runnerGroupId } : {}), ...wanted(change.labels ?? []) };
    const r = await this.calls.admin("update runner scale set", "PATCH", `${RSS}/${id}`, { body, ok: [200], schema: RunnerScaleSetWire, signal, about: { scaleSetId: id } });
    return toScaleSet(r.value as NonNullable<typeof r.value>);
  }

  /** Deletes a scale set (its session ends; its idle runners go). One already gone is not an error. */
  async deleteScaleSet(id: number, signal?: AbortSignal): Promise<void> {
    await ignoreNotFound(this.calls.admin("delete runner scale set", "DELETE", `${RSS}/${id}`, { ok: [204, 200], signal, about: { scaleSetId: id } }));
  }

  /**
   * Brings the scale set named `spec.name` in its runner group to `spec`: creates it, or updates its labels and
   * settings when they differ, or leaves it. Two replicas doing this at once end with one scale set: a create that
   * finds the name taken reads the one that won and updates it.
   */
  async ensureScaleSet(spec: ScaleSetSpec, signal?: AbortSignal): Promise<{ scaleSet: ScaleSet; change: ScaleSetChange }> {
    const group = await this.runnerGroupByName(spec.runnerGroup ?? DEFAULT_RUNNER_GROUP, signal);
    const labels = spec.labels ?? [];
    let existing = await this.scaleSetByName(group.id, spec.name, signal);
    if (!existing) {
      try {
        return { scaleSet: await this.createScaleSet({ name: spec.name, runnerGroupId: group.id, labels }, signal), change: "created" };
      } catch (e) {
        if (!(e instanceof ScaleSetError && e.kind === "conflict")) throw e;
        existing = await this.scaleSetByName(group.id, spec.name, signal);
        if (!existing) throw e;
      }
    }
    if (sameLabels(existing.labels, labels) && existing.disableUpdate) return { scaleSet: existing, change: "unchanged" };
    return { scaleSet: await this.updateScaleSet(existing.id, { labels }, signal), change: "updated" };
  }

  /**
   * Registers an ephemeral runner in the scale set (its group, its labels) and returns its JIT config — a secret that
   * lets whoever holds it take the scale set's next job: never log or store it. A taken name → "conflict".
   */
  async generateJitConfig(scaleSetId: number, runnerName: string, opts: { workFolder?: string; signal?: AbortSignal } = {}): Promise<JitConfig & { runnerName: string }> {
    const body = { name: runnerName, workFolder: opts.workFolder ?? "_work" };
    const r = await this.calls.admin("generate JIT config for a scale set runner", "POST", `${RSS}/${scaleSetId}/generatejitconfig`, {
      body,
      ok: [200, 201],
      schema: JitRunnerConfigWire,
      signal: opts.signal,
      about: { scaleSetId, runnerName },
    });
    const jit = r.value as NonNullable<typeof r.value>;
    return { runnerId: jit.runner.id, runnerName: jit.runner.name, encodedJitConfig: jit.encodedJITConfig };
  }

  /** A runner by id, or undefined when the service does not know it. */
  async runner(id: number, signal?: AbortSignal): Promise<RunnerRef | undefined> {
    const r = await ignoreNotFound(this.calls.admin("get runner", "GET", `${AGENTS}/${id}`, { ok: [200], schema: RunnerReferenceWire, signal, about: { runnerId: id } }));
    return r?.value && toRunnerRef(r.value);
  }

  async runnerByName(name: string, signal?: AbortSignal): Promise<RunnerRef | undefined> {
    const r = await this.calls.admin("get runner by name", "GET", `${AGENTS}?agentName=${encodeURIComponent(name)}`, { ok: [200], schema: RunnerReferenceListWire, signal, about: { runnerName: name } });
    const found = r.value?.value ?? [];
    return found[0] && toRunnerRef(found[0]);
  }

  /** Removes a runner. One already gone is not an error; one running a job → "busy" (remove it once the job ends). */
  async removeRunner(id: number, signal?: AbortSignal): Promise<void> {
    await ignoreNotFound(this.calls.admin("remove runner", "DELETE", `${AGENTS}/${id}`, { ok: [204, 200], signal, about: { runnerId: id } }));
  }

  /**
   * Opens the scale set's message session. `ownerName` says who holds it (the public client's listener uses the host
   * name). "session-conflict" when another listener holds it: it is released when that one closes it, or stops
   * polling for a while (the public client's listener tries again every 30 s, 10 times).
   */
  openSession(scaleSetId: number, ownerName: string, signal?: AbortSignal): Promise<MessageSession> {
    return MessageSession.open(this.calls, { scaleSetId, ownerName, pollTimeoutMs: this.pollTimeoutMs }, signal);
  }
}

/** The members of a create or update body that say what tornade wants of the scale set beyond its name. */
function wanted(labels: readonly string[]) {
  // Labels are "System" labels, as the public client defaults them (applyDefaultLabelTypes). tornade's runners run a
  // pinned image: they must not update themselves mid-job.
  return { labels: labels.map((name) => ({ type: "System", name })), RunnerSetting: { disableUpdate: true } };
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  const norm = (l: readonly string[]) => [...new Set(l.map((x) => x.toLowerCase()))].sort().join("\n");
  return norm(a) === norm(b);
}

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ScaleSetError && e.kind === "not-found") return undefined;
    throw e;
  }
}
