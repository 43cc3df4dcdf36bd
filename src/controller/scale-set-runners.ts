/**
 * The scale sets' side of a runner's registration: a runner of a scale set gets its JIT config from the scale set
 * (generatejitconfig: it registers in the scale set's group with the scale set's labels, so any of its runners takes
 * any of its jobs) instead of from GitHub's REST generate-jitconfig. The launcher, the standby handoff and the stop of
 * a runner ask here by scale set name; failures come back as GitHubErrors of the same meaning, so the launch path
 * decides on them exactly as on a REST failure (a retryable one → transient, a refused one → permanent).
 */
import { GitHubError, type GitHubErrorKind } from "../github/errors.js";
import type { GitHubPort, JitConfig, JitConfigRequest } from "../github/github-port.js";
import { ScaleSetError, type ScaleSetClient } from "../github/scaleset/index.js";

/** A runner start whose registration is a scale set's (RunnerStart.registration). */
export interface ScaleSetRegistration {
  readonly scaleSet: string;
}

export interface ScaleSetRunners {
  /** An ephemeral runner of the scale set named `runnerName`, and its JIT config (a secret: never log or store it). */
  jitConfig(scaleSet: string, runnerName: string): Promise<JitConfig>;
  /** Removes a runner of the scale set; one already gone is fine, a busy one is left (GitHubError "invalid"). */
  removeRunner(runnerId: number): Promise<void>;
  /** Removes the runner called `name`, if the service has it: "busy" when it runs a job. */
  removeByName(name: string): Promise<"removed" | "absent" | "busy">;
}

/**
 * The scale sets' ids by name, on one client (one scope): told by this replica's listeners once they ensured them, and
 * otherwise looked up by name. A replica that does not hold a scale set's lease — another replica's, or the lapsing
 * lease of this one's previous life after a crash — never ensures it, yet its workers launch the scale set's stored
 * jobs: without the look-up each such launch failed until its attempts ran out.
 */
export class ScaleSetRunnerSource implements ScaleSetRunners {
  private readonly ids = new Map<string, number>();
  /** Look-ups in flight, by lower-cased name: a burst of launches asks GitHub once. */
  private readonly finding = new Map<string, Promise<number | undefined>>();

  constructor(
    private readonly client: Pick<ScaleSetClient, "generateJitConfig" | "removeRunner" | "runnerByName" | "runnerGroupByName" | "scaleSetByName">,
    /** The runner group the scale sets are in (scaleSets.runnerGroup). */
    private readonly runnerGroup: string,
  ) {}

  /** Told by each listener once its scale set exists (ensureScaleSet). */
  known(name: string, id: number): void {
    this.ids.set(name.toLowerCase(), id);
  }

  async jitConfig(scaleSet: string, runnerName: string): Promise<JitConfig> {
    const op = `generate a JIT config in scale set ${scaleSet}`;
    const id = await this.idOf(scaleSet).catch((e: unknown) => {
      throw asGitHubError(`${op}: find the scale set by name`, e);
    });
    if (id === undefined) throw new GitHubError("transient", 0, `${op}: no scale set of that name exists yet (the replica holding its lease creates it); will retry`, { operation: op });
    try {
      const jit = await this.client.generateJitConfig(id, runnerName);
      return { runnerId: jit.runnerId, encodedJitConfig: jit.encodedJitConfig };
    } catch (e) {
      if (e instanceof ScaleSetError && e.kind === "conflict") {
        // A retried generatejitconfig whose first answer was lost: that registration's config is gone with it.
        await this.removeByName(runnerName).catch(() => undefined);
      }
      throw asGitHubError(op, e);
    }
  }

  /** The scale set's id: known, or looked up by name (undefined when it does not exist yet). */
  private async idOf(scaleSet: string): Promise<number | undefined> {
    const key = scaleSet.toLowerCase();
    const known = this.ids.get(key);
    if (known !== undefined) return known;
    let finding = this.finding.get(key);
    if (!finding) {
      finding = (async () => {
        const group = await this.client.runnerGroupByName(this.runnerGroup);
        return (await this.client.scaleSetByName(group.id, scaleSet))?.id;
      })().finally(() => this.finding.delete(key));
      this.finding.set(key, finding);
    }
    const id = await finding;
    if (id !== undefined && !this.ids.has(key)) this.ids.set(key, id);
    return id;
  }

  async removeRunner(runnerId: number): Promise<void> {
    try {
      await this.client.removeRunner(runnerId);
    } catch (e) {
      throw asGitHubError(`remove scale set runner ${runnerId}`, e);
    }
  }

  async removeByName(name: string): Promise<"removed" | "absent" | "busy"> {
    const op = `remove scale set runner ${name}`;
    try {
      const runner = await this.client.runnerByName(name);
      if (!runner) return "absent";
      await this.client.removeRunner(runner.id);
      return "removed";
    } catch (e) {
      if (e instanceof ScaleSetError && e.kind === "busy") return "busy";
      throw asGitHubError(op, e);
    }
  }
}

/** A ScaleSetError as the GitHubError of the same meaning; anything else as it is. */
function asGitHubError(operation: string, e: unknown): unknown {
  if (!(e instanceof ScaleSetError)) return e;
  const kinds: Record<ScaleSetError["kind"], GitHubErrorKind> = {
    "session-conflict": "conflict",
    conflict: "conflict",
    busy: "invalid",
    expired: "unauthorized",
    unauthorized: "unauthorized",
    forbidden: "forbidden",
    "not-found": "not-found",
    invalid: "invalid",
    "rate-limited": "rate-limited",
    transient: "transient",
    unreachable: "unreachable",
    aborted: "transient",
    protocol: "transient",
  };
  return new GitHubError(kinds[e.kind], e.status, `${operation}: ${e.message}`, { operation, ...(e.details.retryAt !== undefined ? { retryAt: e.details.retryAt } : {}), cause: e });
}

/** Where a runner's JIT config comes from: its scale set, or GitHub's REST API for the job's repository or organization. */
export interface JitSources {
  readonly github: Pick<GitHubPort, "generateJitConfig" | "deleteRunner">;
  readonly scaleSets?: ScaleSetRunners | undefined;
}

export type JitRegistration = Omit<JitConfigRequest, "name" | "labels"> | ScaleSetRegistration;

/** A JIT config for the runner `name`: the scale set's (with its labels), or GitHub's with exactly `labels`. */
export function issueJit(src: JitSources, registration: JitRegistration, name: string, labels: readonly string[]): Promise<JitConfig> {
  if (!("scaleSet" in registration)) return src.github.generateJitConfig({ ...registration, name, labels });
  if (!src.scaleSets) throw new GitHubError("invalid", 0, `runner ${name} belongs to scale set ${registration.scaleSet}, but no scale set is configured`);
  return src.scaleSets.jitConfig(registration.scaleSet, name);
}

/** Removes a registration `issueJit` made whose runner will never start. */
export function removeIssued(src: JitSources, registration: JitRegistration, runnerId: number): Promise<void> {
  if (!("scaleSet" in registration)) return src.github.deleteRunner(registration, runnerId);
  return src.scaleSets ? src.scaleSets.removeRunner(runnerId) : Promise.resolve();
}
