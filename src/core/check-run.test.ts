import { describe, expect, it } from "vitest";
import { checkRunOutput, codeBlock, codeSpan, redactAwsIdentifiers, SUMMARY_MAX_CHARS } from "./check-run.js";

const spec = { backend: "FARGATE", arch: "X86_64", image: "default", runnerLabels: ["self-hosted"] } as const;
const hostileLabel = "## x [link](http://evil) <img src=x onerror=alert(1)>";

/** The parts of a summary outside code spans and fenced blocks: the only Markdown GitHub would interpret. */
function interpreted(summary: string): string {
  const fences = summary.replace(/^(`{3,})text\n[\s\S]*?\n\1$/gm, "");
  return fences.replace(/(`+) [^\n]*? \1/g, "");
}

describe("checkRunOutput: labels and names are shown, never interpreted", () => {
  const rejected = {
    kind: "rejected" as const,
    reason: `label "${hostileLabel}": unknown key "## x [link](http"; label "cpu=16": asks for 16 vCPU`,
    problems: [`label ${JSON.stringify(hostileLabel)}: unknown key "## x [link](http"`, 'label "cpu=16": asks for 16 vCPU, above this tornade\'s ceiling of 8 vCPU. Fix: ask for less, or raise limits.maxCpu (env TORNADE_MAX_CPU)'],
    headSha: "abc",
  };
  const out = checkRunOutput(rejected, { name: "build <b>now</b> [x](http://evil)", labels: ["self-hosted", "tornade", hostileLabel] });

  it("keeps the title tornade's own", () => {
    expect(out.title).toBe("tornade will not run this job");
  });
  it("lists every problem, each on its own line inside one fenced block", () => {
    expect(out.summary).toContain(`\`\`\`text\n${rejected.problems[0]}\n${rejected.problems[1]}\n\`\`\``);
    expect(out.summary).toMatch(/raise limits\.maxCpu \(env TORNADE_MAX_CPU\)/);
  });
  it("shows the name and labels as code spans, and nothing of theirs outside code", () => {
    expect(out.summary).toContain("` build <b>now</b> [x](http://evil) `");
    expect(out.summary).toContain(`\` ${hostileLabel} \``);
    const rest = interpreted(out.summary);
    for (const danger of ["<img", "<b>", "](http", "http://evil", "##"]) expect(rest).not.toContain(danger);
  });
});

describe("codeSpan / codeBlock", () => {
  it("fence longer than any backtick run inside, so the text cannot close it", () => {
    expect(codeSpan("a ``` b")).toBe("```` a ``` b ````");
    expect(codeSpan("`x`")).toBe("`` `x` ``");
    expect(codeBlock("```\n# heading\n```")).toBe("````text\n```\n# heading\n```\n````");
  });
  it("line breaks, control characters and bidirectional overrides cannot reshape the text", () => {
    expect(codeSpan("a\n# b")).toBe("` a # b `");
    expect(codeSpan("x\u202etxt.exe\u0000")).toBe("` x\\u202etxt.exe\\u0000 `");
  });
});

describe("no ARNs or account ids go to GitHub", () => {
  const awsText =
    "ECS: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/tornade-controller/i-0abc is not authorized to perform: " +
    "ecs:RunTask on resource: arn:aws:ecs:us-east-1:123456789012:task-definition/runner-x86_64:3 because no identity-based policy allows it; " +
    "image 123456789012.dkr.ecr.us-east-1.amazonaws.com/runner:latest";
  it("redacts ARNs (any partition) and 12-digit account ids, keeping the rest of AWS's words", () => {
    const r = redactAwsIdentifiers(awsText);
    expect(r).not.toMatch(/arn:aws/);
    expect(r).not.toContain("123456789012");
    expect(r).toContain("AccessDeniedException: User: <an AWS ARN> is not authorized to perform: ecs:RunTask on resource: <an AWS ARN> because");
    expect(r).toContain("image <an AWS account>.dkr.ecr.us-east-1.amazonaws.com/runner:latest");
    expect(redactAwsIdentifiers("arn:aws-us-gov:iam::210987654321:role/x, next")).toBe("<an AWS ARN>, next");
    // Shorter or longer digit runs are not account ids: a run id or a job id of 11 digits stays.
    expect(redactAwsIdentifiers("job 29679449876 of run 1234567890123")).toBe("job 29679449876 of run 1234567890123");
  });
  it("a given-up job's check run carries AWS's words without them", () => {
    const out = checkRunOutput({ kind: "failed", reason: awsText, spec, headSha: "abc" }, { name: "build", labels: ["self-hosted", "tornade"] });
    expect(out.title).toBe("tornade could not start a runner for this job");
    expect(out.summary).toContain("AccessDeniedException");
    expect(out.summary).not.toMatch(/arn:aws|123456789012/);
  });
});

it("stays within GitHub's 65,535 characters, whatever the reasons", () => {
  const problems = Array.from({ length: 100 }, (_, i) => `label "${"x".repeat(200)}${i}": ${"y".repeat(1000)}`);
  const out = checkRunOutput({ kind: "rejected", reason: problems.join("; "), problems }, { name: "n", labels: problems });
  expect(out.summary.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS);
  expect(out.summary).toMatch(/cut here; the tornade log has the rest\)\n```$/m);
  expect(out.summary).toMatch(/and 80 more\)/);
});
