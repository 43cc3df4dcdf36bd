/**
 * The scale sets themselves: create, read, update, delete within a runner scope, and which scale set a queued job
 * targets.
 *
 * A scale set answers to its name and its labels (`labels` of RunnerScaleSet; the client gives each a type, "System"
 * by default, applyDefaultLabelTypes in client.go). A job targets it when every label of the job's `runs-on` is among
 * them, compared case-insensitively as GitHub compares runner labels; `self-hosted` is not implied. The scale set must
 * also be allowed to serve the job's repository: a repository scale set serves only its repository, an organization
 * one the repositories its runner group admits. When several scale sets qualify, the oldest is chosen.
 */
import type { Clock } from "../../../src/clock/clock.js";
import { groupAdmits } from "../runner-groups.js";
import type { SimState } from "../state.js";
import type { JobRecord } from "../types.js";
import type { LabelRecord, ScaleSetRecord, Scope } from "./types.js";

export interface ScaleSetInput {
  name: string;
  groupId: number;
  labels: LabelRecord[];
  runnerSetting: Record<string, boolean>;
}

export const sameScope = (a: Scope, b: Scope): boolean => (a.repo?.toLowerCase() ?? null) === (b.repo?.toLowerCase() ?? null);

export class ScaleSetRegistry {
  readonly sets = new Map<number, ScaleSetRecord>();
  private nextId = 1;

  constructor(
    private readonly state: SimState,
    private readonly clock: Clock,
  ) {}

  inScope(scope: Scope): ScaleSetRecord[] {
    return [...this.sets.values()].filter((s) => sameScope(s.scope, scope));
  }

  get(scope: Scope, id: number): ScaleSetRecord | undefined {
    const s = this.sets.get(id);
    return s && sameScope(s.scope, scope) ? s : undefined;
  }

  /** Scale set names are unique within a runner group (CreateRunnerScaleSet's doc comment), compared as GitHub
   *  compares names, case-insensitively. */
  named(scope: Scope, groupId: number, name: string): ScaleSetRecord | undefined {
    const lower = name.toLowerCase();
    return this.inScope(scope).find((s) => s.groupId === groupId && s.name.toLowerCase() === lower);
  }

  create(scope: Scope, input: ScaleSetInput): ScaleSetRecord {
    const set: ScaleSetRecord = {
      id: this.nextId++,
      name: input.name,
      groupId: input.groupId,
      scope: { repo: scope.repo },
      labels: withName(input.labels, input.name),
      runnerSetting: { ...input.runnerSetting },
      createdAt: this.clock.now(),
      maxCapacity: null,
      session: null,
    };
    this.sets.set(set.id, set);
    return set;
  }

  update(set: ScaleSetRecord, input: Partial<ScaleSetInput>): void {
    if (input.name !== undefined) set.name = input.name;
    if (input.groupId !== undefined) set.groupId = input.groupId;
    if (input.labels !== undefined) set.labels = withName(input.labels, set.name);
    if (input.runnerSetting !== undefined) set.runnerSetting = { ...input.runnerSetting };
  }

  delete(set: ScaleSetRecord): void {
    this.sets.delete(set.id);
  }

  /** The scale set a queued job is for, if any. */
  targetOf(job: JobRecord): ScaleSetRecord | undefined {
    const repoName = this.state.runs.get(job.runId)?.repo;
    if (repoName === undefined || job.labels.length === 0) return undefined;
    const wanted = job.labels.map((l) => l.toLowerCase());
    for (const set of [...this.sets.values()].sort((a, b) => a.id - b.id)) {
      if (set.scope.repo !== null && set.scope.repo.toLowerCase() !== repoName.toLowerCase()) continue;
      const group = set.scope.repo === null ? this.state.groups.get(set.groupId) : undefined;
      if (group && !groupAdmits(group, this.state.repo(repoName))) continue;
      const have = new Set([set.name, ...set.labels.map((l) => l.name)].map((l) => l.toLowerCase()));
      if (wanted.every((l) => have.has(l))) return set;
    }
    return undefined;
  }
}

/** A scale set created without labels answers to its name alone, as ARC creates them (one System label, the name). */
function withName(labels: readonly LabelRecord[], name: string): LabelRecord[] {
  return labels.length > 0 ? labels.map((l) => ({ type: l.type || "System", name: l.name })) : [{ type: "System", name }];
}
