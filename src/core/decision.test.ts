import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { PayloadError, decideDelivery, decideLabels, isPublicRepository, parseWorkflowJobDelivery, type DeliveryPolicy, type WorkflowJobDelivery } from "./decision.js";
import { explanationOf } from "./explanation.js";
import type { JobDecision } from "./job-decision.js";

/** What `tornade explain` prints for a delivery: the decision serve stores, laid out flat. */
const explain = (p: WorkflowJobDelivery, pol: DeliveryPolicy) => explanationOf(decideDelivery(p, pol));
const specOf = (d: JobDecision) => (d.kind === "launch" ? d.spec : null);

interface ExampleIndex {
  name: string;
  examples: Array<{ action: string; workflow_job: { labels: string[] } }>;
}
const examples = (createRequire(import.meta.url)("@octokit/webhooks-examples") as ExampleIndex[]).find(
  (e) => e.name === "workflow_job",
)!.examples;
const queued = examples.find((e) => e.action === "queued")!;

type Visibility = { private?: boolean; visibility?: string };

/** The published queued example with other labels. Its repository is public; unless told otherwise it is made
 * private here, so the label tests are not refused by the public-repository policy. */
function payload(labels: string[], action = "queued", patch: Record<string, unknown> = {}, repo: Visibility = { private: true, visibility: "private" }): unknown {
  const p = structuredClone(queued) as unknown as Record<string, unknown> & { workflow_job: { labels: string[] }; repository: Record<string, unknown> };
  p.workflow_job.labels = labels;
  delete p.repository["private"];
  delete p.repository["visibility"];
  Object.assign(p.repository, repo);
  return { ...p, action, ...patch };
}

const policy: DeliveryPolicy = { launchLabel: "tornade", defaultBackend: "FARGATE", images: ["default"] };
const ours = ["self-hosted", "tornade", "4242", "runs-on=FARGATE_SPOT", "arch=ARM64"];

describe("parseWorkflowJobDelivery", () => {
  it("reads every published workflow_job example", () => {
    for (const ex of examples) expect(parseWorkflowJobDelivery(ex).workflow_job.labels).toEqual(ex.workflow_job.labels);
  });
  it("refuses a body that is not a workflow_job delivery, saying which field", () => {
    expect(() => parseWorkflowJobDelivery({ action: "opened", pull_request: {} })).toThrow(PayloadError);
    expect(() => parseWorkflowJobDelivery({ action: "opened" })).toThrow(/workflow_job: /);
    expect(() => parseWorkflowJobDelivery("hello")).toThrow(/not a workflow_job webhook body/);
    expect(() => parseWorkflowJobDelivery(payload([1 as unknown as string]))).toThrow(/workflow_job\.labels\.0/);
  });
});

describe("decideDelivery", () => {
  it("launches a queued tornade job", () => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(ours)), policy);
    expect(explanationOf(d)).toEqual({
      launch: true, backend: "FARGATE_SPOT", arch: "ARM64", static: false, cpu: null, memory: null, disk: null,
      size: null, image: "default", fleet: null, runnerLabels: ours, reason: null, error: null, errors: [],
    });
    expect(d.kind).toBe("launch");
    expect(specOf(d)).toMatchObject({ backend: "FARGATE_SPOT", arch: "ARM64", runnerLabels: ours });
    // The commit goes with the decision, for a check run should tornade give up on the job.
    expect(d).toMatchObject({ headSha: parseWorkflowJobDelivery(payload(ours)).workflow_job.head_sha });
  });
  it.each(["in_progress", "completed", "waiting"])("does nothing for action %s", (action) => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(ours, action)), policy);
    const e = explanationOf(d);
    expect(e).toMatchObject({ launch: false, error: null, backend: null });
    expect(e.reason).toContain(`"${action}"`);
    expect(d.kind).toBe("ignored");
    expect(specOf(d)).toBeNull();
  });
  it("ignores a job that is not tornade's (the published example's labels, public repository and all)", () => {
    const e = explain(parseWorkflowJobDelivery(queued), policy);
    expect(e).toMatchObject({ launch: false, static: false, error: null });
    expect(e.reason).toMatch(/lack .*"self-hosted"/);
  });
  it("static: no launch, no error", () => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(["self-hosted", "tornade", "type=static"])), policy);
    expect(explanationOf(d)).toMatchObject({ launch: false, static: true, error: null });
    expect(d.kind).toBe("static");
  });
  it("a label error: no launch, the error named", () => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(["self-hosted", "tornade", "arch=RISCV"])), policy);
    const e = explanationOf(d);
    expect(e).toMatchObject({ launch: false, static: false });
    expect(e.error).toMatch(/^label "arch=RISCV": arch must be X86_64 or ARM64/);
    expect(e.reason).toContain("arch=RISCV");
    expect(d.kind).toBe("rejected");
  });
  it("several bad labels: each in errors, all in error and reason", () => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(["self-hosted", "tornade", "runs-on=LAMBDA", "arch=sparc", "cpu=3", "disk=500"])), policy);
    const e = explanationOf(d);
    // Stored as one reason and, for the check run, each problem on its own.
    expect(d).toMatchObject({ kind: "rejected", reason: e.error, problems: e.errors });
    expect(e.errors).toHaveLength(4);
    expect(e.errors.map((x) => x.slice(0, x.indexOf(":")))).toEqual(['label "runs-on=LAMBDA"', 'label "arch=sparc"', 'label "cpu=3"', 'label "disk=500"']);
    expect(e.error).toBe(e.errors.join("; "));
    for (const x of e.errors) expect(e.reason).toContain(x);
  });

  describe("allow-list", () => {
    const p = parseWorkflowJobDelivery(payload(ours)); // repository Codertocat/Hello-World owned by Octocoders, no organization
    it("allows a listed repository, case-insensitively", () => {
      expect(explain(p, { ...policy, allowedRepositories: ["CODERTOCAT/hello-world"] }).launch).toBe(true);
    });
    it("allows a listed owner", () => {
      expect(explain(p, { ...policy, allowedOrganizations: ["other", "octocoders"] }).launch).toBe(true);
    });
    it("prefers the organization's login when the payload has one", () => {
      const q = parseWorkflowJobDelivery(payload(ours, "queued", { organization: { login: "octo-org" } }));
      expect(explain(q, { ...policy, allowedOrganizations: ["octo-org"] }).launch).toBe(true);
    });
    it("refuses others with a reason, and no label error even for bad labels", () => {
      const e = explain(p, { ...policy, allowedRepositories: ["someone/else"] });
      expect(e).toMatchObject({ launch: false, error: null });
      expect(e.reason).toContain('"Codertocat/Hello-World" is not in');
      const bad = parseWorkflowJobDelivery(payload(["self-hosted", "tornade", "arch=RISCV"]));
      expect(explain(bad, { ...policy, allowedRepositories: ["someone/else"] }).error).toBeNull();
    });
    it("stays silent about foreign jobs that are not tornade's either", () => {
      const e = explain(parseWorkflowJobDelivery(queued), { ...policy, allowedRepositories: ["x/y"] });
      expect(e.reason).toMatch(/not a tornade job/);
    });
  });
});

describe("public repositories", () => {
  const decide = (repo: Visibility, p: DeliveryPolicy = policy) => explain(parseWorkflowJobDelivery(payload(ours, "queued", {}, repo)), p);

  it("the published example is public, and refused by default with the setting that changes it", () => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(ours, "queued", {}, { private: false, visibility: "public" })), policy);
    const e = explanationOf(d);
    expect(e).toMatchObject({ launch: false, static: false, backend: null, runnerLabels: null });
    expect(e.error).toMatch(/^repository "Codertocat\/Hello-World" is public, and a pull request from a fork/);
    expect(e.error).toContain("github.allowPublicRepositories: true (env TORNADE_ALLOW_PUBLIC_REPOSITORIES=true)");
    expect(e.reason).toBe(`rejected: ${e.error}`);
    expect(d.kind).toBe("rejected");
    expect(specOf(d)).toBeNull();
  });
  it.each<[string, Visibility, boolean]>([
    ["visibility public", { visibility: "public" }, false],
    ["visibility PUBLIC (any case)", { visibility: "PUBLIC" }, false],
    ["private false only", { private: false }, false],
    ["neither field: not known to be private", {}, false],
    ["visibility wins over a contradicting private", { private: true, visibility: "public" }, false],
    ["private true only", { private: true }, true],
    ["visibility private", { visibility: "private" }, true],
    ["visibility internal (Enterprise: members only)", { private: true, visibility: "internal" }, true],
  ])("%s", (_name, repo, launches) => {
    expect(decide(repo).launch).toBe(launches);
    expect(isPublicRepository(parseWorkflowJobDelivery(payload(ours, "queued", {}, repo)).repository)).toBe(!launches);
  });
  it("launches a public repository's job when the operator opts in", () => {
    expect(decide({ private: false, visibility: "public" }, { ...policy, allowPublicRepositories: true })).toMatchObject({ launch: true, backend: "FARGATE_SPOT" });
  });
  it("is checked before the labels: a public repository gets no label error", () => {
    const bad = parseWorkflowJobDelivery(payload(["self-hosted", "tornade", "arch=RISCV"], "queued", {}, { visibility: "public" }));
    expect(explain(bad, policy).error).toMatch(/is public/);
  });
  it("stays silent about jobs that are not tornade's, and about repositories outside the allow-list", () => {
    expect(decide({ visibility: "public" }, { ...policy, launchLabel: "other" }).error).toBeNull();
    const outside = decide({ visibility: "public" }, { ...policy, allowedRepositories: ["someone/else"] });
    expect(outside.error).toBeNull();
    expect(outside.reason).toContain("not in this tornade's allowed");
  });
  it("an allow-listed public repository still needs the opt-in", () => {
    const listed = { ...policy, allowedRepositories: ["codertocat/hello-world"] };
    expect(decide({ visibility: "public" }, listed).error).toMatch(/is public/);
    expect(decide({ visibility: "public" }, { ...listed, allowPublicRepositories: true }).launch).toBe(true);
  });
  it("does not decide for other actions: those say why they launch nothing", () => {
    expect(explain(parseWorkflowJobDelivery(payload(ours, "completed", {}, { visibility: "public" })), policy).reason).toMatch(/"completed"/);
  });
});

describe("decideLabels", () => {
  it("matches decideDelivery for a queued delivery with the same labels (but for the commit, which labels do not have)", () => {
    const d = decideDelivery(parseWorkflowJobDelivery(payload(ours)), policy);
    if (d.kind !== "launch") throw new Error(`expected a launch decision, got ${d.kind}`);
    const { headSha: _commit, ...fromDelivery } = d;
    expect(decideLabels(ours, policy)).toEqual(fromDelivery);
  });
  it("carries sizes", () => {
    expect(explanationOf(decideLabels(["self-hosted", "tornade", "cpu=2", "disk=40"], policy))).toMatchObject({ cpu: 2, memory: 4096, disk: 40 });
  });
});
