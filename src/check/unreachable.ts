/**
 * The check line for a service that did not answer at all (core/network-errors.ts), GitHub's or AWS's alike: it names
 * the URL tried and Node's code, and its fix depends on how it failed — a name that does not resolve is a typo or
 * DNS, a refused connection a wrong port, a timeout a firewall — never the credentials or the resource names.
 */
import type { NetworkFailure } from "../core/network-errors.js";
import { fail, type CheckResult } from "./result.js";

export function unreachable(name: string, service: string, url: string, failure: NetworkFailure, setting: string): CheckResult {
  const fixes: Record<NetworkFailure["kind"], string> = {
    dns: `check the host name in ${setting}, and this machine's DNS`,
    refused: `check the host and port in ${setting}: nothing accepts connections there`,
    timeout: `check that this machine can reach it (firewall, proxy, security group or NACL egress, VPC endpoints) and ${setting}; on a slow link, allow more time with --timeout`,
    connection: `check that this machine can reach it (firewall, proxy, security group or NACL egress), and ${setting}`,
    tls: `check ${setting}; for a private certificate authority, give Node.js its certificate with NODE_EXTRA_CA_CERTS=/path/to/ca.pem`,
  };
  return fail(name, `cannot reach ${service} at ${url}: ${failure.text}`, fixes[failure.kind]);
}
