// The scenario loader refuses label lists that explain and serve refuse, with the same figures (core/label-limits.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_JOB_LABELS, MAX_LABEL_LENGTH } from "../core/label-limits.js";
import { loadScenario, ScenarioError } from "./scenario.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-scenario-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenarioWith(labels: string[]): string {
  const path = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ jobs: [{ name: "j", labels }] }));
  return path;
}

describe("loadScenario: label limits", () => {
  const ours = ["self-hosted", "tornade"];
  it("accepts the limits themselves", () => {
    const full = [...ours, ...Array.from({ length: MAX_JOB_LABELS - 2 }, (_, i) => `l${i}`)];
    expect(loadScenario(scenarioWith(full)).jobs[0]?.labels).toHaveLength(MAX_JOB_LABELS);
    expect(loadScenario(scenarioWith([...ours, "x".repeat(MAX_LABEL_LENGTH)])).jobs).toHaveLength(1);
  });
  it("refuses 101 labels, naming GitHub's limit", () => {
    const many = [...ours, ...Array.from({ length: MAX_JOB_LABELS - 1 }, (_, i) => `l${i}`)];
    expect(() => loadScenario(scenarioWith(many))).toThrow(ScenarioError);
    expect(() => loadScenario(scenarioWith(many))).toThrow(/jobs\.0\.labels: the job has 101 labels; a runner registers with at most 100 \(GitHub's generate-jitconfig takes 1–100 labels\)/);
  });
  it("refuses a label over 200 characters, quoting it short", () => {
    expect(() => loadScenario(scenarioWith([...ours, "y".repeat(5000)]))).toThrow(/label "y{60}…" \(5000 characters\) is 5000 characters long; tornade accepts labels of at most 200 characters/);
  });
});

describe("loadScenario: standby", () => {
  const write = (body: unknown) => {
    const path = join(dir, `st${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(body));
    return path;
  };
  const jobs = [{ name: "j", labels: ["self-hosted", "tornade"] }];
  it("takes standbys in TORNADE_STANDBY's grammar", () => {
    expect(loadScenario(write({ standby: "FARGATE/X86_64=2,CODEBUILD=1", jobs })).standby).toBe("FARGATE/X86_64=2,CODEBUILD=1");
    expect(loadScenario(write({ jobs })).standby).toBeUndefined();
  });
  it("refuses a standby the grammar refuses, naming the file and the key", () => {
    const path = write({ standby: "FARGATE/X86_64", jobs });
    expect(() => loadScenario(path)).toThrow(ScenarioError);
    expect(() => loadScenario(path)).toThrow(new RegExp(`--scenario ${path}: standby: .*"FARGATE/X86_64" is not BACKEND\\[/ARCH\\[/SIZE\\[/IMAGE\\]\\]\\]=COUNT`));
  });
});
