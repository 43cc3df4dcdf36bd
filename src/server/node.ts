/**
 * Serves a Hono app on a Node HTTP server (the embedded and replicated modes; Lambda has its own adapter), with the
 * limits a listener facing the internet needs: a cap on connections, and request, header and idle timeouts that fire
 * when they say they do (docs/security.md, "Intake").
 */
import { createAdaptorServer } from "@hono/node-server";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";

export interface ConnectionLimits {
  /** Connections held at once; Node closes any beyond on arrival. */
  readonly maxConnections: number;
  /** Headers and body must have arrived within this (Node answers 408 and closes the connection otherwise). */
  readonly requestTimeoutMs: number;
  /** Headers must have arrived within this; at most requestTimeoutMs (Node refuses more). */
  readonly headersTimeoutMs: number;
  /** A kept-alive connection with no request in flight is closed after this. */
  readonly idleTimeoutMs: number;
}

/** Node's own defaults but for the checking interval: for tests and tools that serve an app briefly. */
export const DEFAULT_LIMITS: ConnectionLimits = { maxConnections: 256, requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, idleTimeoutMs: 5_000 };

/**
 * How often Node looks for requests past their timeouts. Its default is 30 s (http.createServer's
 * `connectionsCheckingInterval`), so a 10 s request timeout fired after up to 40 s; at 250 ms the timeouts fire within
 * a quarter of a second of their stated time. Each check walks the open connections, at most maxConnections of them.
 */
export const TIMEOUT_CHECK_INTERVAL_MS = 250;

export interface ListenOptions {
  readonly port: number;
  readonly host: string;
  readonly limits?: ConnectionLimits;
}

export interface Listening {
  /** The port actually bound (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** The address actually bound, as the system reports it: "0.0.0.0", "127.0.0.1", "::". */
  readonly host: string;
  /** `host:port` as bound, for logs ("[::]:8080" for IPv6). */
  readonly address: string;
  /** A URL that reaches the listener from this machine (a wildcard address is reached through loopback). */
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(app: Hono, opts: ListenOptions): Promise<Listening> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const server = createAdaptorServer({
    fetch: app.fetch,
    serverOptions: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
  }) as Server;
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const v6 = addr.family === "IPv6";
  const bracket = (h: string) => (v6 ? `[${h}]` : h);
  const wildcard = addr.address === "0.0.0.0" || addr.address === "::";
  const reach = wildcard ? (v6 ? "::1" : "127.0.0.1") : addr.address;
  return {
    port: addr.port,
    host: addr.address,
    address: `${bracket(addr.address)}:${addr.port}`,
    url: `http://${bracket(reach)}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
