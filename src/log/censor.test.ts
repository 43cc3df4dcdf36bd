import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { censorSecrets, SECRET_KEYS } from "./censor.js";
import { createLogger } from "./logger.js";

/** The lines a real logger writes for `log`, parsed. */
function linesOf(log: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n")) if (l !== "") out.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  log(createLogger({ level: "info", destination }));
  return out;
}

describe("censorSecrets", () => {
  it.each([
    ["a top-level key", { jobId: 1, token: "ghs_x" }, { jobId: 1, token: "[redacted]" }],
    ["a key one level down", { req: { authorization: "Bearer x", path: "/a" } }, { req: { authorization: "[redacted]", path: "/a" } }],
    ["every name of the list", Object.fromEntries([...SECRET_KEYS].map((k) => [k, "s"])), Object.fromEntries([...SECRET_KEYS].map((k) => [k, "[redacted]"]))],
    ["nothing secret", { jobId: 1, labels: ["a"], nested: { ok: true } }, { jobId: 1, labels: ["a"], nested: { ok: true } }],
    // As pino's `*.token` path: two levels down is not looked for, nor inside arrays.
    ["two levels down, left", { a: { b: { token: "t" } } }, { a: { b: { token: "t" } } }],
    ["inside an array, left", { list: [{ token: "t" }] }, { list: [{ token: "t" }] }],
  ])("%s", (_name, input, expected) => {
    const before = structuredClone(input);
    expect(JSON.parse(JSON.stringify(censorSecrets(input)))).toEqual(expected);
    // The caller's object is never changed.
    expect(input).toEqual(before);
  });

  it("returns the object itself when it censors nothing (no copy on the hot path)", () => {
    const o = { jobId: 1, nested: { ok: true } };
    expect(censorSecrets(o)).toBe(o);
  });

  it("keeps an Error an Error, with its message, stack and class, when it censors a key of it", () => {
    class GitHubFailure extends Error {
      readonly token = "ghs_secret";
      readonly status = 401;
    }
    const err = new GitHubFailure("bad credentials");
    const out = censorSecrets({ err }) as { err: GitHubFailure };
    expect(out.err).toBeInstanceOf(GitHubFailure);
    expect(out.err).not.toBe(err);
    expect({ message: out.err.message, stack: out.err.stack, status: out.err.status, token: out.err.token }).toEqual({ message: err.message, stack: err.stack, status: 401, token: "[redacted]" });
    expect(err.token).toBe("ghs_secret");
  });
});

describe("the logger's lines", () => {
  it("censor secret-named keys in the line's object, in an error's properties and in a child's bindings", () => {
    class Failure extends Error {
      readonly jitConfig = "eyJ...";
    }
    const [line, errLine, childLine] = linesOf((log) => {
      log.info({ jobId: 7, token: "ghs_abc", request: { authorization: "token ghs_abc", method: "POST" } }, "called GitHub");
      log.error({ err: new Failure("launch failed") }, "launch failed");
      log.child({ jobId: 8, personalToken: "ghp_x" }).warn("a child's line");
    });
    expect(line).toMatchObject({ jobId: 7, token: "[redacted]", request: { authorization: "[redacted]", method: "POST" }, msg: "called GitHub" });
    // pino's err serializer still sees an Error: its type, message and stack are written.
    expect(errLine?.["err"]).toMatchObject({ type: "Failure", message: "launch failed", jitConfig: "[redacted]", stack: expect.stringContaining("launch failed") });
    expect(childLine).toMatchObject({ jobId: 8, personalToken: "[redacted]", msg: "a child's line" });
  });
});
