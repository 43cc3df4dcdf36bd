/**
 * What goes to GitHub (issue 11 point 7), end to end: the simulated GitHub queues a job whose name and labels carry
 * Markdown and HTML, and one over a cost ceiling; AWS refuses another's launch with an error naming ARNs and the
 * account. The check runs tornade writes are read back from the simulated GitHub: every problem is there, the hostile
 * text only inside code, and no ARN or account id — while the operator's own view (the store behind the dashboard)
 * keeps AWS's words in full.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type QueuedJob, type Sandbox } from "../../src/sandbox/sandbox.js";
import { E2E_SPEED, until } from "./helpers.js";

const ACCOUNT = "123456789012";
const AWS_WORDS =
  `User: arn:aws:sts::${ACCOUNT}:assumed-role/tornade-controller/i-0abc is not authorized to perform: ecs:RunTask ` +
  `on resource: arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/tornade-runner-x86_64:1`;
const HOSTILE_NAME = "## deploy <img src=x onerror=alert(1)> [click](http://evil.example)";
const HOSTILE_LABELS = ["## x [link](http://evil.example)", "<img src=x onerror=alert(1)>", "cpu=16"];

let s: Sandbox;
let jobs: QueuedJob[];
beforeAll(async () => {
  s = await startSandbox({ speed: E2E_SPEED, logger: silentLogger, port: 0 });
  // The one launch of this run (the hostile job is rejected before any) is refused as AWS refuses it.
  s.bed.aws.control.failNext({ service: "ecs", operation: "RunTask", error: "AccessDeniedException", message: AWS_WORDS });
  jobs = await s.queueScenario({
    jobs: [
      { name: HOSTILE_NAME, labels: ["self-hosted", "tornade", ...HOSTILE_LABELS], durationSeconds: 30, count: 1 },
      { name: "denied", labels: ["self-hosted", "tornade", "runs-on=FARGATE"], durationSeconds: 30, count: 1 },
    ],
  });
});
afterAll(async () => {
  await s?.close();
});

/** The summary with its code spans and fenced blocks taken out: the only part GitHub renders as Markdown. */
function interpreted(summary: string): string {
  return summary.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, "").replace(/(`+) [^\n]*? \1/g, "");
}

function checkRunOf(name: string) {
  return until(`the check run of "${name}"`, () => s.bed.github.control.listCheckRuns().find((c) => c.name === `tornade: ${name}`));
}

describe("check runs on GitHub", () => {
  it("a job with Markdown and HTML in its name and labels: every problem named, nothing of theirs rendered", async () => {
    const check = await checkRunOf(HOSTILE_NAME);
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("tornade will not run this job");
    const summary = check.output.summary ?? "";
    // Both bad labels, the ceiling one naming the setting to raise.
    expect(summary).toMatch(/label "<img src=x onerror=alert\(1\)>": unknown key/);
    expect(summary).toMatch(/label "cpu=16": asks for 16 vCPU, above this tornade's ceiling of 8 vCPU\. Fix: ask for less, or raise limits\.maxCpu \(env TORNADE_MAX_CPU\)/);
    // Shown as code, never as Markdown or HTML.
    expect(summary).toContain(`\` ${HOSTILE_NAME} \``);
    expect(summary).toContain("` ## x [link](http://evil.example) `");
    const rendered = interpreted(summary);
    for (const danger of ["<img", "](http", "evil.example", "## "]) expect(rendered).not.toContain(danger);
  });

  it("a launch AWS refused: its words without ARNs or the account id; the operator's store keeps them", async () => {
    const check = await checkRunOf("denied");
    expect(check.output.title).toBe("tornade could not start a runner for this job");
    const summary = check.output.summary ?? "";
    expect(summary).toContain("AccessDeniedException");
    expect(summary).toContain("is not authorized to perform: ecs:RunTask");
    expect(summary).not.toMatch(/arn:aws/);
    expect(summary).not.toContain(ACCOUNT);
    const denied = jobs.find((j) => j.name === "denied")!;
    // The check run is written before the job's record says so.
    const stored = await until("the report on record", async () => {
      const j = await s.tornade.built.store.getJob(denied.jobId);
      return j?.decision?.kind === "failed" && j.decision.reported === "check-run" ? j.decision : undefined;
    });
    expect(stored).toMatchObject({ kind: "failed" });
    expect(stored.reason).toContain(`arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition`);
  });
});
