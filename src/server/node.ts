/** Serves the Hono app on a Node HTTP server (the embedded and replicated modes; Lambda has its own adapter). */
import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";

export interface Listening {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(app: Hono, port: number, host = "0.0.0.0"): Promise<Listening> {
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // GitHub waits 10 s for an answer; a client that sends its body slower than that is not GitHub.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return {
    port: addr.port,
    url: `http://${shown}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
