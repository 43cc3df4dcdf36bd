import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "./webhook-verify.js";

const secret = "It's a Secret to Everybody";
// The worked example from GitHub's "Validating webhook deliveries" page.
const body = "Hello, World!";
const githubExample = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

describe("verifyWebhookSignature", () => {
  it("accepts GitHub's documented example", async () => {
    expect(await verifyWebhookSignature(secret, body, githubExample)).toBe(true);
  });
  it("accepts a Buffer body and an upper-case hex digest", async () => {
    const sig = "sha256=" + createHmac("sha256", secret).update(body).digest("hex").toUpperCase();
    expect(await verifyWebhookSignature(secret, Buffer.from(body), sig)).toBe(true);
    // A view into a larger buffer (as a server's pooled read gives it): only the view's bytes are the body.
    expect(await verifyWebhookSignature(secret, Buffer.from(`xx${body}yy`).subarray(2, 2 + body.length), sig)).toBe(true);
  });
  it("rejects a changed body, a wrong secret and a one-character change", async () => {
    expect(await verifyWebhookSignature(secret, body + " ", githubExample)).toBe(false);
    expect(await verifyWebhookSignature("other", body, githubExample)).toBe(false);
    const flipped = githubExample.slice(0, -1) + (githubExample.endsWith("7") ? "8" : "7");
    expect(await verifyWebhookSignature(secret, body, flipped)).toBe(false);
  });
  it("rejects missing, empty, wrong-prefix, wrong-length and non-hex signatures without throwing", async () => {
    const cases: (string | null | undefined)[] = [
      undefined,
      null,
      "",
      "sha256=",
      githubExample.replace("sha256=", "sha1="),
      githubExample.slice("sha256=".length),
      githubExample.slice(0, -2),
      githubExample + "00",
      "sha256=" + "z".repeat(64),
      "sha256=" + "é".repeat(64),
    ];
    for (const sig of cases) expect(await verifyWebhookSignature(secret, body, sig)).toBe(false);
  });
  it("rejects everything when the secret is empty", async () => {
    const sig = "sha256=" + createHmac("sha256", "").update(body).digest("hex");
    expect(await verifyWebhookSignature("", body, sig)).toBe(false);
  });
  it("survives garbage types from untyped callers", async () => {
    const garbage = [42, {}, [], Symbol("x")] as unknown as string[];
    for (const g of garbage) {
      expect(await verifyWebhookSignature(secret, body, g)).toBe(false);
      expect(await verifyWebhookSignature(secret, g, githubExample)).toBe(false);
    }
  });
});
