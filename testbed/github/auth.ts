/**
 * GitHub App authentication as GitHub documents it:
 * - "Generating a JSON Web Token (JWT) for a GitHub App": RS256, `iss` = the App's (client or app) id, `iat` ideally
 *   60 s in the past, `exp` no more than 10 minutes into the future.
 * - "Generating an installation access token for a GitHub App": tokens expire after one hour.
 * The error messages are the ones GitHub sends for exp / iat problems; @octokit/auth-app matches them to detect clock
 * skew, so they are kept word for word.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";

export const JWT_MAX_LIFETIME_S = 10 * 60;
/** Tolerated clock drift for `iat` in the future (GitHub recommends issuing iat 60 s in the past for the same reason). */
export const IAT_SKEW_S = 60;
export const INSTALLATION_TOKEN_TTL_MS = 60 * 60 * 1000;

export const MSG_UNDECODABLE = "A JSON web token could not be decoded";
export const MSG_EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future";
export const MSG_EXP_INVALID =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
export const MSG_IAT_INVALID =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
/** Not published word for word: GitHub looks the App up by `iss`; an unknown App cannot be authenticated. */
export const MSG_ISS_UNKNOWN = "'Issuer' claim ('iss') must be an Integer identifying a GitHub App";

export interface AppKeys {
  /** PKCS#1 PEM, as GitHub hands out App private keys ("-----BEGIN RSA PRIVATE KEY-----"). */
  privateKeyPem: string;
  publicKey: KeyObject;
}

export function generateAppKeys(): AppKeys {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return { privateKeyPem, publicKey: createPublicKey(privateKey) };
}

export type JwtCheck = { ok: true } | { ok: false; message: string };

function decodePart(part: string): unknown {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Verifies an App JWT at clock time `nowMs`. */
export function verifyAppJwt(token: string, publicKey: KeyObject, appId: number, clientId: string, nowMs: number): JwtCheck {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, message: MSG_UNDECODABLE };
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = decodePart(h);
    payload = decodePart(p);
  } catch {
    return { ok: false, message: MSG_UNDECODABLE };
  }
  if (!isRecord(header) || header["alg"] !== "RS256" || !isRecord(payload)) return { ok: false, message: MSG_UNDECODABLE };
  const iss = payload["iss"];
  // GitHub accepts the App id (number or numeric string) or, since 2024, the App's client id.
  const issOk = (typeof iss === "number" && iss === appId) || (typeof iss === "string" && (iss === String(appId) || iss === clientId));
  if (!issOk) return { ok: false, message: MSG_ISS_UNKNOWN };
  const signed = verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, "base64url"));
  if (!signed) return { ok: false, message: MSG_UNDECODABLE };
  const now = Math.floor(nowMs / 1000);
  const exp = payload["exp"];
  const iat = payload["iat"];
  if (typeof iat !== "number" || !Number.isInteger(iat) || iat > now + IAT_SKEW_S) return { ok: false, message: MSG_IAT_INVALID };
  if (typeof exp !== "number" || exp <= now) return { ok: false, message: MSG_EXP_INVALID };
  if (exp > now + JWT_MAX_LIFETIME_S) return { ok: false, message: MSG_EXP_TOO_FAR };
  return { ok: true };
}

/** Installation tokens: `ghs_` + 36 characters, as GitHub's token format announcement (2021) describes. */
export function newToken(prefix: "ghs_" | "ghp_"): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(36);
  let out = prefix;
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export interface IssuedToken {
  installationId: number;
  expiresAt: number;
}

export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();
  issued = 0;

  issue(installationId: number, nowMs: number): { token: string; expiresAt: number } {
    const token = newToken("ghs_");
    const expiresAt = nowMs + INSTALLATION_TOKEN_TTL_MS;
    this.tokens.set(token, { installationId, expiresAt });
    this.issued++;
    return { token, expiresAt };
  }

  /** The installation a token belongs to, or null when unknown or expired. */
  check(token: string, nowMs: number): IssuedToken | null {
    const t = this.tokens.get(token);
    if (!t) return null;
    if (t.expiresAt <= nowMs) {
      this.tokens.delete(token);
      return null;
    }
    return t;
  }
}

/** Reads the credential from an Authorization header: "Bearer X", "token X" (GitHub accepts both). */
export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim());
  return m?.[1] ?? null;
}
