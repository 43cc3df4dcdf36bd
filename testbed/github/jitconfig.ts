/**
 * The just-in-time runner configuration. GitHub's `encoded_jit_config` is base64 of a JSON object whose keys are the
 * runner's files (".runner", ".credentials", ".credentials_rsaparams") and whose values are each file's content in
 * base64 (see actions/runner's JIT config handling). The sim fills the same files with what its simulated runner needs:
 * where the sim is, which runner this is, and a per-runner secret.
 */
import { randomBytes } from "node:crypto";
import { isRecord } from "./http.js";

export interface RunnerFile {
  agentId: number;
  agentName: string;
  poolId: number;
  poolName: string;
  serverUrl: string;
  gitHubUrl: string;
  workFolder: string;
  ephemeral: boolean;
}

export interface CredentialsFile {
  scheme: "OAuth";
  data: { clientId: string; clientSecret: string; authorizationUrl: string; requireFipsCryptography: "False" };
}

export interface JitConfig {
  runner: RunnerFile;
  credentials: CredentialsFile;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export function encodeJitConfig(c: JitConfig, rsaParams: string): string {
  const files = {
    ".runner": b64(JSON.stringify(c.runner)),
    ".credentials": b64(JSON.stringify(c.credentials)),
    ".credentials_rsaparams": b64(rsaParams),
  };
  return b64(JSON.stringify(files));
}

/**
 * `.credentials_rsaparams` as actions/runner writes it: its RSAParametersSerializable of the runner's 2048-bit key, the
 * fields d, dp, dq, exponent, inverseQ, modulus, p, q each base64 of the big-endian integer. The simulated runner
 * authenticates with its client secret and never signs, so the fields hold random bytes of the real lengths (256 bytes
 * for d and the modulus, 128 for the CRT parts, exponent 65537): the encoded config then has a real one's size, about
 * 4 KB, which is what the AWS limits it travels through (SSM parameter tiers, RunTask's 8,192-character overrides)
 * care about. Real keys would cost ~50 ms of CPU per runner.
 */
export function simulatedRsaParameters(): string {
  const field = (bytes: number) => randomBytes(bytes).toString("base64");
  return JSON.stringify({
    d: field(256),
    dp: field(128),
    dq: field(128),
    exponent: "AQAB",
    inverseQ: field(128),
    modulus: field(256),
    p: field(128),
    q: field(128),
  });
}

export class JitConfigError extends Error {}

/** Decodes and checks a JIT config; throws JitConfigError saying what is wrong (never echoing the secret). */
export function decodeJitConfig(encoded: string): JitConfig {
  const parse = (text: string, what: string): unknown => {
    try {
      return JSON.parse(Buffer.from(text, "base64").toString("utf8"));
    } catch {
      throw new JitConfigError(`${what} is not base64-encoded JSON`);
    }
  };
  const files = parse(encoded.trim(), "the JIT config");
  if (!isRecord(files)) throw new JitConfigError("the JIT config is not a JSON object of runner files");
  const runnerText = files[".runner"];
  const credText = files[".credentials"];
  if (typeof runnerText !== "string" || typeof credText !== "string") {
    throw new JitConfigError("the JIT config lacks the .runner or .credentials file");
  }
  const runner = parse(runnerText, ".runner");
  const cred = parse(credText, ".credentials");
  if (
    !isRecord(runner) ||
    typeof runner["agentId"] !== "number" ||
    typeof runner["agentName"] !== "string" ||
    typeof runner["serverUrl"] !== "string"
  ) {
    throw new JitConfigError(".runner lacks agentId, agentName or serverUrl");
  }
  const data = isRecord(cred) ? cred["data"] : undefined;
  if (!isRecord(data) || typeof data["clientId"] !== "string" || typeof data["clientSecret"] !== "string") {
    throw new JitConfigError(".credentials lacks the runner's client id or secret");
  }
  return {
    runner: {
      agentId: runner["agentId"],
      agentName: runner["agentName"],
      poolId: typeof runner["poolId"] === "number" ? runner["poolId"] : 1,
      poolName: typeof runner["poolName"] === "string" ? runner["poolName"] : "Default",
      serverUrl: runner["serverUrl"],
      gitHubUrl: typeof runner["gitHubUrl"] === "string" ? runner["gitHubUrl"] : "",
      workFolder: typeof runner["workFolder"] === "string" ? runner["workFolder"] : "_work",
      ephemeral: runner["ephemeral"] !== false,
    },
    credentials: {
      scheme: "OAuth",
      data: {
        clientId: data["clientId"],
        clientSecret: data["clientSecret"],
        authorizationUrl: typeof data["authorizationUrl"] === "string" ? data["authorizationUrl"] : "",
        requireFipsCryptography: "False",
      },
    },
  };
}
