/**
 * tornade's two listeners, as configured: the public one (server.*) that GitHub reaches, and the operator one
 * (admin.*) for people and Prometheus. A listener that cannot bind says which key to change.
 */
import type { Hono } from "hono";
import type { Config } from "../config/index.js";
import { listen, type ConnectionLimits, type Listening } from "./node.js";

/** The public listener's limits from server.*; the operator listener keeps the same ones. */
export function limitsOf(server: Config["server"]): ConnectionLimits {
  return {
    maxConnections: server.maxConnections,
    requestTimeoutMs: server.requestTimeoutSeconds * 1000,
    headersTimeoutMs: server.headersTimeoutSeconds * 1000,
    idleTimeoutMs: server.idleTimeoutSeconds * 1000,
  };
}

export function listenPublic(app: Hono, config: Config): Promise<Listening> {
  const { port, host } = config.server;
  return bind(app, { port, host, limits: limitsOf(config.server) }, { port: "PORT (server.port)", host: "TORNADE_HOST (server.host)" });
}

export function listenAdmin(app: Hono, config: Config): Promise<Listening> {
  const { port, host } = config.admin;
  return bind(app, { port, host, limits: limitsOf(config.server) }, { port: "TORNADE_ADMIN_PORT (admin.port)", host: "TORNADE_ADMIN_HOST (admin.host)" });
}

async function bind(app: Hono, at: { port: number; host: string; limits: ConnectionLimits }, keys: { port: string; host: string }): Promise<Listening> {
  try {
    return await listen(app, at);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new Error(`port ${at.port} on ${at.host} is in use. Fix: set ${keys.port} to a free port`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
      throw new Error(`cannot listen on ${at.host}: not an address of this machine (${code}). Fix: set ${keys.host} to one, e.g. 127.0.0.1 or 0.0.0.0`);
    }
    if (code === "EACCES") throw new Error(`not allowed to listen on port ${at.port} (${code}). Fix: set ${keys.port} to a port above 1023`);
    throw e;
  }
}
