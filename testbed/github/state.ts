/** The simulator's memory: repositories, runners, runs, jobs and id counters. No behaviour beyond look-ups. */
import { randomBytes } from "node:crypto";
import { DEFAULT_GROUP, type RunnerGroup } from "./runner-groups.js";
import type { CheckRunRecord, JobRecord, RepoRecord, RunRecord, RunnerRecord } from "./types.js";

/** GitHub ids of jobs and runs passed 2^32 long ago; starting above it catches code that assumes 32-bit ids. */
export type PermissionLevel = "read" | "write";

const FIRST_RUN_ID = 9_000_000_001;
const FIRST_JOB_ID = 25_000_000_001;

export class SimState {
  readonly repos = new Map<string, RepoRecord>();
  readonly runners = new Map<number, RunnerRecord>();
  readonly runs = new Map<number, RunRecord>();
  readonly jobs = new Map<number, JobRecord>();
  /** Every organization has the "Default" runner group with id 1 (GitHub REST "Self-hosted runner groups"). */
  readonly groups = new Map<number, RunnerGroup>([[DEFAULT_GROUP.id, { ...DEFAULT_GROUP, selectedRepositories: [] }]]);
  readonly checkRuns: CheckRunRecord[] = [];
  /**
   * The permissions the installation grants (as GET /app, the installation and its tokens show them). tornade's App
   * manifest asks for these (src/setup/manifest.ts); a test takes one away with control.setPermission.
   */
  readonly permissions = new Map<string, PermissionLevel>([
    ["actions", "write"],
    ["administration", "write"],
    ["organization_self_hosted_runners", "write"],
    ["checks", "write"],
    ["metadata", "read"],
  ]);
  /** Runner registration tokens issued (REST "Create a registration token"), by token: the runner scope (a repository
   *  name, or null for the organization) and the expiry. The scale set client trades one for an Actions service token. */
  readonly registrationTokens = new Map<string, { repo: string | null; expiresAt: number }>();
  /**
   * Every JIT config a runner process presented to open a session (by the clientId of its credentials), with the
   * runner it names and how often it was presented. A config is single-use: presented twice means two processes (or
   * one twice) ran with it, whatever GitHub answered the second time (409 while the first is online, 401 once it is
   * gone). The chaos run asserts there is none (control.jitConfigReuses).
   */
  readonly jitConfigUses = new Map<string, { runner: string; uses: number }>();
  /** The repositories the installation covers ("Only select repositories"), or null for all of the owner's. */
  selectedRepos: Set<string> | null = null;
  private nextRunnerId = 1;
  private nextRunId = FIRST_RUN_ID;
  private nextJobId = FIRST_JOB_ID;
  private nextRepoId = 700_000_001;
  private nextRunNumber = 1;
  private seq = 1;

  constructor(readonly owner: string, readonly ownerId: number) {}

  repo(name: string): RepoRecord {
    const key = name.toLowerCase();
    let r = this.repos.get(key);
    if (!r) {
      const id = this.nextRepoId++;
      r = { id, name, nodeId: nodeId("R_kgDO", id), visibility: "private" };
      this.repos.set(key, r);
    }
    return r;
  }

  findRepo(name: string): RepoRecord | undefined {
    return this.repos.get(name.toLowerCase());
  }

  /** Whether the installation covers this repository of its owner (it exists and is selected, or all are). */
  coversRepo(name: string): boolean {
    return this.findRepo(name) !== undefined && (this.selectedRepos === null || this.selectedRepos.has(name.toLowerCase()));
  }

  /** Whether the installation grants `permission` at `level` or above (write includes read). */
  grants(permission: string, level: PermissionLevel): boolean {
    const granted = this.permissions.get(permission);
    return granted === "write" || (level === "read" && granted === "read");
  }

  runnerId(): number {
    return this.nextRunnerId++;
  }
  runId(): number {
    return this.nextRunId++;
  }
  jobId(): number {
    return this.nextJobId++;
  }
  runNumber(): number {
    return this.nextRunNumber++;
  }
  /** A strictly increasing number for ordering (queue order, idle order). */
  nextSeq(): number {
    return this.seq++;
  }

  runnersIn(repo: string | null): RunnerRecord[] {
    const key = repo?.toLowerCase() ?? null;
    return [...this.runners.values()].filter((r) => (r.repo?.toLowerCase() ?? null) === key);
  }

  findRunnerByName(repo: string | null, name: string): RunnerRecord | undefined {
    const lower = name.toLowerCase();
    return this.runnersIn(repo).find((r) => r.name.toLowerCase() === lower);
  }

  jobsOfRun(runId: number): JobRecord[] {
    const run = this.runs.get(runId);
    if (!run) return [];
    return run.jobIds.map((id) => this.jobs.get(id)).filter((j): j is JobRecord => j !== undefined);
  }

  /** The latest attempt of each job of a run (what `filter=latest` lists). */
  latestJobsOfRun(runId: number): JobRecord[] {
    return this.jobsOfRun(runId).filter((j) => !j.superseded);
  }
}

/** GitHub node ids are opaque base64 strings with a type prefix; the shape, not the content, matters to clients. */
export function nodeId(prefix: string, id: number): string {
  return prefix + Buffer.from(`${id}:${randomBytes(3).toString("hex")}`).toString("base64url");
}
