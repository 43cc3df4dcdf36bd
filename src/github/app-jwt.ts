import { createPrivateKey, sign, type KeyObject } from "node:crypto";

/**
 * Signs the JSON Web Token a GitHub App uses to authenticate as itself: RS256, `iss` = App ID, issued 60 s in the
 * past to absorb clock drift and expiring at most 10 minutes after issue, exactly as "Generating a JSON Web Token
 * (JWT) for a GitHub App" asks
 * (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app).
 *
 * We sign it ourselves (rather than letting @octokit/auth-app do it) for one reason: the time comes from tornade's
 * Clock, so the same code runs against a test bed whose clock is compressed.
 */
export function appJwtSigner(appId: number | string, privateKeyPem: string): (nowSeconds: number) => AppJwt {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    // Never echo the key: say what is wrong and where to look.
    throw new Error(
      "the GitHub App private key is not a readable PEM RSA key; check SECRET_KEY_PEM (PEM file, PEM text or base64)",
    );
  }
  if (key.asymmetricKeyType !== "rsa") {
    throw new Error(`the GitHub App private key must be an RSA key, got ${key.asymmetricKeyType ?? "unknown"}`);
  }
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT" }));
  return (nowSeconds) => {
    const now = Math.floor(nowSeconds);
    const iat = now - 60;
    const exp = iat + 10 * 60;
    const payload = b64url(JSON.stringify({ iat, exp, iss: String(appId) }));
    const input = `${header}.${payload}`;
    const signature = sign("RSA-SHA256", Buffer.from(input), key).toString("base64url");
    return { jwt: `${input}.${signature}`, expiresAt: new Date(exp * 1000).toISOString() };
  };
}

export interface AppJwt {
  readonly jwt: string;
  readonly expiresAt: string;
}

function b64url(s: string): string {
  return Buffer.from(s).toString("base64url");
}
