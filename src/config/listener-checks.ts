/**
 * The two listeners must be safe as configured: the operator listener (dashboard, /api, /metrics, /setup) answers
 * only on loopback unless it has a long bearer token, the two do not share a port, and Node accepts the timeouts.
 * Each problem names its key and the fix (docs/security.md, "Listeners").
 */
import type { Config } from "./schema.js";

/** A token this long from a random source cannot be guessed over HTTP; shorter ones are refused. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function checkListeners(config: Config, where: (key: string) => string): string[] {
  const problems: string[] = [];
  const { admin, server } = config;
  const generate = "e.g. TORNADE_ADMIN_TOKEN=$(openssl rand -hex 32)";
  if (admin.token !== undefined && admin.token.length < ADMIN_TOKEN_MIN_LENGTH) {
    problems.push(`${where("admin.token")}: ${admin.token.length} characters; at least ${ADMIN_TOKEN_MIN_LENGTH} are required. Fix: use a longer random token, ${generate}`);
  } else if (admin.token === undefined && !isLoopbackHost(admin.host)) {
    problems.push(
      `${where("admin.host")}: "${admin.host}" is not a loopback address, so the operator listener (dashboard, /api, /metrics, /setup) ` +
        `needs a bearer token. Fix: set TORNADE_ADMIN_TOKEN (admin.token, at least ${ADMIN_TOKEN_MIN_LENGTH} characters, ${generate}), or bind it to 127.0.0.1`,
    );
  }
  if (admin.port !== 0 && admin.port === server.port) {
    problems.push(`${where("admin.port")}: ${admin.port} is also the public port (server.port). Fix: give the operator listener its own port (TORNADE_ADMIN_PORT), default 9090`);
  }
  // Node refuses a headers timeout longer than the request timeout (http.createServer: ERR_OUT_OF_RANGE).
  if (server.headersTimeoutSeconds > server.requestTimeoutSeconds) {
    problems.push(`${where("server.headersTimeoutSeconds")}: ${server.headersTimeoutSeconds} s is longer than server.requestTimeoutSeconds (${server.requestTimeoutSeconds} s). Fix: make it at most the request timeout`);
  }
  return problems;
}
