import { generateKeyPairSync, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { appJwtSigner } from "./app-jwt.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const pkcs8 = privateKey.export({ type: "pkcs8", format: "pem" }).toString();

function decode(part: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(part ?? "", "base64url").toString()) as Record<string, unknown>;
}

describe("appJwtSigner", () => {
  it("signs an RS256 JWT with iss, iat 30 s back and exp 10 minutes after iat, at the given time", async () => {
    for (const pem of [pkcs1, pkcs8]) {
      const { jwt, expiresAt } = await appJwtSigner(12345, pem)(1_700_000_000.7);
      const [h, p, s] = jwt.split(".");
      expect(decode(h)).toEqual({ alg: "RS256", typ: "JWT" });
      expect(decode(p)).toEqual({ iss: "12345", iat: 1_700_000_000 - 30, exp: 1_700_000_000 + 570 });
      expect(expiresAt).toBe(new Date((1_700_000_000 + 570) * 1000).toISOString());
      expect(verify("RSA-SHA256", Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s ?? "", "base64url"))).toBe(true);
    }
  });

  it("refuses an unreadable key without echoing it", () => {
    const secretish = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-key-SECRETMATERIAL\n-----END RSA PRIVATE KEY-----";
    expect(() => appJwtSigner(1, secretish)).toThrow(/SECRET_KEY_PEM/);
    try {
      appJwtSigner(1, secretish);
    } catch (e) {
      expect(String(e)).not.toContain("SECRETMATERIAL");
    }
  });

  it("refuses a non-RSA key", () => {
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" });
    expect(() => appJwtSigner(1, ec.toString())).toThrow(/RSA/);
  });
});
