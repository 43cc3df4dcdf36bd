/**
 * Who may use the operator listener. With a token (required when it is bound anywhere but loopback), every request
 * carries `Authorization: Bearer <token>` — browsers, curl and Prometheus alike — compared in constant time. Without
 * one it is on loopback, and the Host header must name loopback too: a web page the operator visits cannot rebind
 * its own host name to 127.0.0.1 and read the dashboard through the operator's browser (DNS rebinding).
 */
import type { MiddlewareHandler } from "hono";
import { isLoopbackHost } from "../config/index.js";
import { sameSecret } from "./same-secret.js";

export type AdminAccess = { readonly kind: "token"; readonly token: string } | { readonly kind: "loopback" };

/** The host name of a Host header ("127.0.0.1:9090", "[::1]:9090", "localhost"), without the port. */
function hostName(header: string): string {
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(header) ?? /^([^:]*)(?::\d+)?$/.exec(header);
  return m?.[1] ?? header;
}

export function adminGuard(access: AdminAccess): MiddlewareHandler {
  return async (c, next) => {
    if (access.kind === "token") {
      const m = /^Bearer[ ]+(\S+)$/i.exec(c.req.header("authorization") ?? "");
      if (!m?.[1] || !sameSecret(m[1], access.token)) {
        return c.json({ error: "this listener requires Authorization: Bearer <TORNADE_ADMIN_TOKEN>" }, 401, { "www-authenticate": 'Bearer realm="tornade"' });
      }
      return next();
    }
    const host = c.req.header("host") ?? "";
    if (!isLoopbackHost(hostName(host))) {
      return c.json({ error: "this listener answers only requests addressed to 127.0.0.1, localhost or [::1]" }, 421);
    }
    return next();
  };
}
