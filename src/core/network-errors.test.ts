import { describe, expect, it } from "vitest";
import { networkFailure } from "./network-errors.js";

const sysError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe("networkFailure", () => {
  it("finds Node's code under Octokit's wrapping: RequestError → TypeError fetch failed → the socket's error", () => {
    const fetchFailed = new TypeError("fetch failed", { cause: sysError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9") });
    const requestError = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { status: 500, cause: fetchFailed });
    expect(networkFailure(requestError)).toEqual({ kind: "refused", code: "ECONNREFUSED", text: "connection refused (ECONNREFUSED)" });
  });

  it("reads the AWS SDK's bare socket error and its TimeoutError", () => {
    expect(networkFailure(Object.assign(sysError("ENOTFOUND"), { $metadata: {} }))?.kind).toBe("dns");
    const timeout = Object.assign(new Error("the request socket did not establish a connection"), { name: "TimeoutError" });
    expect(networkFailure(timeout)).toEqual({ kind: "timeout", code: "TimeoutError", text: "timed out (TimeoutError)" });
  });

  it("looks inside an AggregateError (a host with several addresses) and undici's own codes", () => {
    const agg = Object.assign(new AggregateError([sysError("ECONNREFUSED"), sysError("ECONNREFUSED")]), { code: undefined });
    expect(networkFailure(new TypeError("fetch failed", { cause: agg }))?.code).toBe("ECONNREFUSED");
    expect(networkFailure(new TypeError("fetch failed", { cause: sysError("UND_ERR_CONNECT_TIMEOUT") }))?.kind).toBe("timeout");
    expect(networkFailure(sysError("CERT_HAS_EXPIRED"))?.text).toBe("its TLS certificate was not accepted (CERT_HAS_EXPIRED)");
  });

  it("is undefined for an answered error, a plain value and a cycle", () => {
    expect(networkFailure(Object.assign(new Error("Not Found"), { status: 404 }))).toBeUndefined();
    expect(networkFailure(new TypeError("fetch failed"))).toBeUndefined();
    expect(networkFailure("ECONNREFUSED")).toBeUndefined();
    const a: { cause?: unknown } = new Error("a");
    a.cause = a;
    expect(networkFailure(a)).toBeUndefined();
  });
});
