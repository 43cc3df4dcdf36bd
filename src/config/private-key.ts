/**
 * The GitHub App private key arrives in one of three forms: PEM text (the .pem file GitHub gives you), a path to that
 * file, or base64 of the PEM (the seed's SECRET_KEY_PEM, convenient in an environment variable). All become PEM text.
 */
import { createPrivateKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";

export type PrivateKeyForm = "pem" | "file" | "base64";

export class PrivateKeyFormatError extends Error {
  override readonly name = "PrivateKeyFormatError";
}

/**
 * Returns the key as PEM text. `baseDir` resolves a relative path (the config file's folder, or the working directory
 * for environment variables). Throws PrivateKeyFormatError saying which forms were tried.
 */
export function normalisePrivateKey(value: string, baseDir: string): { pem: string; form: PrivateKeyForm } {
  const v = value.trim();
  if (v.startsWith("-----BEGIN")) {
    // Environment variables often carry the PEM with literal "\n" for newlines.
    return { pem: checked(v.replace(/\\n/g, "\n"), "PEM text"), form: "pem" };
  }
  const path = isAbsolute(v) ? v : resolve(baseDir, v);
  if (!v.includes("\n") && existsSync(path)) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new PrivateKeyFormatError(`cannot read the key file ${path}: ${(err as Error).message}`);
    }
    if (!text.trim().startsWith("-----BEGIN")) throw new PrivateKeyFormatError(`the file ${path} does not hold a PEM key`);
    return { pem: checked(text.trim(), `the file ${path}`), form: "file" };
  }
  if (/^[A-Za-z0-9+/=_\-\s]+$/.test(v)) {
    const decoded = Buffer.from(v.replace(/\s+/g, ""), "base64").toString("utf8").trim();
    if (decoded.startsWith("-----BEGIN")) return { pem: checked(decoded, "the base64 value"), form: "base64" };
  }
  throw new PrivateKeyFormatError(
    "it is neither PEM text (-----BEGIN …), a path to an existing PEM file, nor base64 of a PEM",
  );
}

function checked(pem: string, what: string): string {
  try {
    // GitHub issues PKCS#1 RSA keys ("BEGIN RSA PRIVATE KEY"); PKCS#8 works too. Parsing proves it is a usable key.
    createPrivateKey(pem);
  } catch (err) {
    throw new PrivateKeyFormatError(`${what} looks like PEM but is not a private key Node can read (${(err as Error).message})`);
  }
  return pem.endsWith("\n") ? pem : `${pem}\n`;
}
