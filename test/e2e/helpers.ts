/** Shared pieces of the end-to-end tests: a sandbox (real tornade + test bed) and ways to wait on it. */
import { createHmac, randomUUID } from "node:crypto";
import { silentLogger } from "../../src/log/logger.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/sandbox.js";

/** Fast enough to run a 10-minute job in a second; slow enough that a loaded CI machine keeps the order of events. */
export const E2E_SPEED = 300;

export function sandbox(speed = E2E_SPEED): Promise<Sandbox> {
  return startSandbox({ speed, logger: silentLogger, port: 0 });
}

export { until } from "../../testbed/until.js";

/** POSTs a webhook to tornade exactly as GitHub would: signed with the App's webhook secret. */
export async function deliver(
  url: string,
  secret: string,
  event: string,
  body: string,
  guid: string = randomUUID(),
): Promise<Response> {
  const signature = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
  return fetch(`${url}/events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": guid,
      "x-hub-signature-256": signature,
    },
    body,
  });
}
