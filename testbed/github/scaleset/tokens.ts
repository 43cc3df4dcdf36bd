/**
 * The tokens the simulated Actions service issues: the admin token of `POST /actions/runner-registration` and each
 * session's message queue token. Both are JWTs because the client reads `exp` from the admin token without verifying
 * it (actionsServiceAdminTokenExpiresAt in client.go) to refresh it 60 s early. The sim signs them with HS256 and a
 * secret of its own; only it ever verifies them.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type TokenClaims = Record<string, unknown> & { exp: number };

export class TokenSigner {
  private readonly secret = randomBytes(32);

  /** A JWT carrying `claims`; `exp` is in seconds, as JWTs have it. */
  sign(claims: TokenClaims): string {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const head = `${enc({ alg: "HS256", typ: "JWT" })}.${enc({ ...claims, jti: randomBytes(8).toString("hex") })}`;
    return `${head}.${this.mac(head)}`;
  }

  /** The claims of a token this signer issued and that has not expired at `nowMs`; null otherwise. */
  verify(token: string, nowMs: number): TokenClaims | null {
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    const [h, p, s] = parts as [string, string, string];
    const want = Buffer.from(this.mac(`${h}.${p}`));
    const got = Buffer.from(s);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    } catch {
      return null;
    }
    if (typeof claims !== "object" || claims === null || typeof (claims as { exp?: unknown }).exp !== "number") return null;
    const c = claims as TokenClaims;
    return c.exp * 1000 > nowMs ? c : null;
  }

  private mac(data: string): string {
    return createHmac("sha256", this.secret).update(data).digest("base64url");
  }
}

/** "Authorization: <scheme> <credential>" → the credential, when the scheme matches (case-insensitively). */
export function credentialOf(header: string | string[] | undefined, scheme: string): string | null {
  if (typeof header !== "string") return null;
  const m = new RegExp(`^${scheme}\\s+(\\S+)$`, "i").exec(header.trim());
  return m?.[1] ?? null;
}
