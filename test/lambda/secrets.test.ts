import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { resolveSecrets } from "../../src/lambda/secrets.js";

// Stands in for the AWS Parameters and Secrets Lambda Extension: GetSecretValue's JSON for a known ARN and token.
const SECRETS: Record<string, string> = {
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:tornade/private-key-AbCdEf": "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n",
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:tornade/webhook-secret-GhIjKl": "s3cret",
};
const seen: { secretId: string | null; token: string | undefined }[] = [];
let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const secretId = url.searchParams.get("secretId");
    seen.push({ secretId, token: req.headers["x-aws-parameters-secrets-token"] as string | undefined });
    const value = secretId ? SECRETS[secretId] : undefined;
    if (url.pathname !== "/secretsmanager/get" || value === undefined) return void res.writeHead(400).end("{}");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ARN: secretId, Name: "n", SecretString: value, VersionId: "v" }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A function's environment naming both secrets by ARN, as infra/ sets it on the worker functions. */
const bothArns = () => ({
  PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port),
  AWS_SESSION_TOKEN: "session-token",
  TORNADE_PRIVATE_KEY_SECRET_ARN: Object.keys(SECRETS)[0],
  TORNADE_WEBHOOK_SECRET_ARN: Object.keys(SECRETS)[1],
});

// The extension listens on localhost; tests stay on 127.0.0.1.
const local: typeof fetch = (input, init) => fetch(String(input).replace("//localhost:", "//127.0.0.1:"), init);

it("reads both secrets by ARN through the extension with the session token, into the variables config reads", async () => {
  const env = bothArns();
  const out = await resolveSecrets(env, local);
  expect(out["SECRET_KEY_PEM"]).toContain("BEGIN RSA PRIVATE KEY");
  expect(out["TORNADE_WEBHOOK_SECRET"]).toBe("s3cret");
  expect(seen.every((s) => s.token === "session-token")).toBe(true);
});

it("leaves a secret given by value alone, and names the variable and fix when the extension refuses", async () => {
  const given = await resolveSecrets({ TORNADE_WEBHOOK_SECRET: "by-value", TORNADE_WEBHOOK_SECRET_ARN: "arn:nope" }, local);
  expect(given["TORNADE_WEBHOOK_SECRET"]).toBe("by-value");
  await expect(
    resolveSecrets({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(port), TORNADE_WEBHOOK_SECRET_ARN: "arn:nope" }, local),
  ).rejects.toThrow(/TORNADE_WEBHOOK_SECRET_ARN.*400.*Fix/);
});

it("reads only the secrets it is asked for: the webhook function never fetches the App's private key", async () => {
  const env = bothArns();
  seen.length = 0;
  const out = await resolveSecrets(env, local, ["webhookSecret"]);
  expect(out["TORNADE_WEBHOOK_SECRET"]).toBe("s3cret");
  expect(out["SECRET_KEY_PEM"]).toBeUndefined();
  expect(seen.map((s) => s.secretId)).toEqual([Object.keys(SECRETS)[1]]);
});
