import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { validateWebhookPayload } from "./github-openapi.js";

interface ExampleSet {
  name: string;
  examples: Record<string, unknown>[];
}

const published = createRequire(import.meta.url)("@octokit/webhooks-examples") as ExampleSet[];
const examplesOf = (event: string): Record<string, unknown>[] => published.find((d) => d.name === event)?.examples ?? [];
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Two published examples are older than the published schemas: ping #0 (a 2019 repository hook) and workflow_job #0
 * (a 2021 in_progress job) lack members GitHub added later (`repository.topics`, `workflow_job.run_attempt`, …).
 * They must fail only for missing members, never for a wrong type or value — that still shows the validator reads
 * real payloads correctly. If the packages are updated and this list changes, the test says so.
 */
const STALE = ["ping#0", "workflow_job#0"];

describe("validateWebhookPayload against @octokit/webhooks-examples", () => {
  for (const event of ["workflow_job", "ping"]) {
    it(`accepts every published ${event} example (stale ones fail only on members added since)`, () => {
      const examples = examplesOf(event);
      expect(examples.length).toBeGreaterThan(0);
      const stale: string[] = [];
      examples.forEach((payload, i) => {
        const errors = validateWebhookPayload(event, payload);
        if (errors.length === 0) return;
        stale.push(`${event}#${i}`);
        for (const e of errors) expect(e).toMatch(/must have required property '[a-z_]+'$/);
      });
      expect(stale).toEqual(STALE.filter((s) => s.startsWith(`${event}#`)));
    });
  }

  it("covers every workflow_job action GitHub sends", () => {
    const actions = new Set(examplesOf("workflow_job").map((e) => e.action));
    expect([...actions].sort()).toEqual(["completed", "in_progress", "queued", "waiting"]);
  });
});

describe("validateWebhookPayload rejects what GitHub would not send", () => {
  const queued = (): Record<string, unknown> & { workflow_job: Record<string, unknown> } => {
    const ex = examplesOf("workflow_job").find((e, i) => e.action === "queued" && i !== 0);
    if (!ex) throw new Error("no queued example published");
    return clone(ex) as Record<string, unknown> & { workflow_job: Record<string, unknown> };
  };

  it("a valid queued payload passes before mutation", () => {
    expect(validateWebhookPayload("workflow_job", queued())).toEqual([]);
  });

  it("a workflow_job without id fails, naming the member", () => {
    const p = queued();
    delete p.workflow_job.id;
    const errors = validateWebhookPayload("workflow_job", p);
    expect(errors).toContain("webhook workflow_job$queued: /workflow_job must have required property 'id'");
  });

  it("an id of the wrong type fails, naming the path", () => {
    const p = queued();
    p.workflow_job.id = "42";
    expect(validateWebhookPayload("workflow_job", p)).toContain("webhook workflow_job$queued: /workflow_job/id must be integer");
  });

  it("a queued action carrying a completed job fails", () => {
    const p = queued();
    p.workflow_job.status = "completed";
    expect(validateWebhookPayload("workflow_job", p).length).toBeGreaterThan(0);
  });

  it("an unknown action or a missing action is one error", () => {
    const p = queued();
    p.action = "exploded";
    expect(validateWebhookPayload("workflow_job", p)).toEqual(['workflow_job: no published schema for action "exploded"']);
    delete p.action;
    expect(validateWebhookPayload("workflow_job", p)).toEqual(['workflow_job: payload has no string "action"']);
  });

  it("an unknown event is one error", () => {
    expect(validateWebhookPayload("not_an_event", {})).toEqual(["not_an_event: no published schema for this event"]);
  });

  it("an App's ping needs no hook url / ping_url, a repository hook's ping does (octokit/webhooks#3)", () => {
    const repoPing = clone(examplesOf("ping")[1]) as { hook: Record<string, unknown> };
    expect(repoPing.hook.type).toBe("Repository");
    delete repoPing.hook.url;
    expect(validateWebhookPayload("ping", repoPing)).toEqual(["webhook ping$event: /hook must have required property 'url'", 'webhook ping$event: /hook must match "else" schema']);
    const appPing = clone(repoPing);
    delete appPing.hook.ping_url;
    Object.assign(appPing.hook, { type: "App", app_id: 1 });
    expect(validateWebhookPayload("ping", appPing)).toEqual([]);
  });

  it("a ping without hook_id fails", () => {
    const ping = clone(examplesOf("ping")[1]) as Record<string, unknown>;
    expect(validateWebhookPayload("ping", ping)).toEqual([]);
    delete ping.hook_id;
    expect(validateWebhookPayload("ping", ping)).toContain("webhook ping$event: / must have required property 'hook_id'");
  });
});
