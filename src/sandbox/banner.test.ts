import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { sandboxBanner, sandboxWarning, shellQuote, signedPostCommand } from "./banner.js";

const input = {
  speed: 20,
  eventsUrl: "http://127.0.0.1:8080",
  dashboardUrl: "http://127.0.0.1:9090",
  setupCode: "ABCD-EFGH",
  webhookSecret: "s3cr3t",
  delivery: { jobId: 25000000007, path: "/tmp/x/delivery.json" },
};

describe("the sandbox banner", () => {
  it("says the world is simulated, at which speed", () => {
    expect(sandboxWarning(20)).toContain("*** SANDBOX *** tornade is running against a SIMULATED GitHub and AWS (clock 20x)");
  });

  it("names both listeners: the public one for deliveries, the operator one for the dashboard and the wizard's code", () => {
    expect(sandboxBanner(input)).toContain(
      "  tornade: http://127.0.0.1:8080   (public: POST /events, GET /healthz)\n" +
        "  operator: http://127.0.0.1:9090   (dashboard at /, /api/state, /metrics; /setup asks for code ABCD-EFGH)\n",
    );
  });

  it("prints the webhook secret, the held-back job and the line that posts it", () => {
    const text = sandboxBanner(input);
    expect(text).toContain("webhook secret: s3cr3t");
    expect(text).toContain("job 25000000007 is queued on the simulated GitHub");
    expect(text).toContain(`\n  ${signedPostCommand(input.eventsUrl, "s3cr3t", input.delivery.path)}\n`);
  });
});

describe("signedPostCommand", () => {
  it("posts to /events with GitHub's headers, signing the file it sends", () => {
    const line = signedPostCommand("http://127.0.0.1:8080", "s3cr3t", "/tmp/x/delivery.json");
    expect(line).toMatch(/^curl -sS -X POST 'http:\/\/127\.0\.0\.1:8080\/events' /);
    expect(line).toContain("-H 'X-GitHub-Event: workflow_job'");
    expect(line).toContain(`-H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 -hmac 's3cr3t' -r '/tmp/x/delivery.json' | cut -d' ' -f1)"`);
    expect(line).toMatch(/--data-binary @'\/tmp\/x\/delivery\.json'$/);
  });

  it("quotes for the shell whatever a path or secret holds", () => {
    for (const s of ["it's", "a b", "$(reboot)", "`x`", '"q"']) {
      expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(s)}`], { encoding: "utf8" })).toBe(s);
    }
  });
});
