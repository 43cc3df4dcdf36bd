import { createPrivateKey } from "node:crypto";
import githubAppJwt from "universal-github-app-jwt";

/**
 * The JSON Web Token a GitHub App authenticates as itself with ("Generating a JSON Web Token (JWT) for a GitHub App",
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app),
 * signed by universal-github-app-jwt — the signer @octokit/auth-app uses itself: RS256, `iss` = App ID, issued 30 s
 * in the past for clock drift, expiring 10 minutes after issue.
 *
 * What this adds: the time is an argument, so auth.ts passes tornade's Clock (the test bed's is compressed); and
 * the key is checked once, up front, with an error that names the setting and never echoes the key.
 */
export function appJwtSigner(appId: number | string, privateKeyPem: string): (nowSeconds: number) => Promise<AppJwt> {
  const privateKey = pkcs8Of(privateKeyPem);
  const id = String(appId);
  return async (nowSeconds) => {
    const { token, expiration } = await githubAppJwt({ id, privateKey, now: Math.floor(nowSeconds) });
    return { jwt: token, expiresAt: new Date(expiration * 1000).toISOString() };
  };
}

/** What @octokit/auth-app's `createJwt` option returns. */
export interface AppJwt {
  readonly jwt: string;
  readonly expiresAt: string;
}

/**
 * The key as PKCS#8 PEM, the one form WebCrypto (and so the library) signs with; GitHub hands out PKCS#1. Converted
 * here once rather than by the library on every token.
 */
function pkcs8Of(privateKeyPem: string): string {
  let key;
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
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}
