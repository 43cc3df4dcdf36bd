/**
 * The runner image's shell scripts: shellcheck-clean (Debian's `shellcheck`, which CI installs), and the entrypoint's
 * behaviour run for real with bash against a stand-in runner directory (a fake run.sh) and a stand-in `aws` command
 * on PATH — the image itself needs Docker to build, which this machine does not have.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRYPOINT = join(ROOT, "runner-image/entrypoint.sh");
const JIT_ENV = "ACTIONS_RUNNER_INPUT_JITCONFIG";

function shellScripts(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === ".git" || name === "cdk.out") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) shellScripts(path, out);
    else if (name.endsWith(".sh")) out.push(path);
  }
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A runner home whose run.sh records its argv and environment, then behaves as `body` says. */
function fakeRunner(body: string): { home: string; bin: string; record: string } {
  const home = mkdtempSync(join(tmpdir(), "tornade-runner-"));
  dirs.push(home);
  const record = join(home, "record");
  writeFileSync(
    join(home, "run.sh"),
    `#!/usr/bin/env bash
printf 'argv=%s\\n' "$*" >> "${record}"
printf 'jit=%s\\n' "\${${JIT_ENV}:-}" >> "${record}"
printf 'trap=%s\\n' "\${RUNNER_MANUALLY_TRAP_SIG:-}" >> "${record}"
${body}
`,
  );
  chmodSync(join(home, "run.sh"), 0o755);
  const bin = join(home, "bin");
  mkdirSync(bin);
  // The AWS CLI stand-in: records each call and its retry settings; get-parameter prints the stored value (failing as
  // the CLI does, exit 254, when there is none), delete-parameter removes it.
  writeFileSync(
    join(bin, "aws"),
    `#!/usr/bin/env bash
printf 'aws %s\\n' "$*" >> "${record}"
printf 'aws-retry=%s/%s\\n' "\${AWS_RETRY_MODE:-}" "\${AWS_MAX_ATTEMPTS:-}" >> "${record}"
case "$2" in
  get-parameter)
    if [[ -f "${home}/parameter" ]]; then cat "${home}/parameter"; else echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter $4 not found." >&2; exit 254; fi ;;
  delete-parameter) rm "${home}/parameter" ;;
esac
`,
  );
  chmodSync(join(bin, "aws"), 0o755);
  return { home, bin, record };
}

function baseEnv(home: string, bin: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: `${bin}:/usr/bin:/bin`, RUNNER_HOME: home, ...extra };
}

describe("runner image scripts", () => {
  it("pass shellcheck with no findings", () => {
    const scripts = shellScripts(ROOT);
    expect(scripts.map((s) => relative(ROOT, s))).toEqual(expect.arrayContaining(["runner-image/entrypoint.sh", "runner-image/start-dockerd.sh"]));
    const which = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
    if (which.error) {
      throw new Error("shellcheck is not installed: apt-get install shellcheck (CI's .ci/run installs it)");
    }
    const result = spawnSync("shellcheck", ["--severity=style", "--external-sources", ...scripts], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("starts run.sh with the JIT config in the environment, never on its command line", () => {
    const { home, bin, record } = fakeRunner("exit 0");
    const result = spawnSync("bash", [ENTRYPOINT], { env: baseEnv(home, bin, { [JIT_ENV]: "c2VjcmV0LWppdA==" }), encoding: "utf8" });
    expect(result.status).toBe(0);
    const lines = readFileSync(record, "utf8").split("\n");
    expect(lines).toContain("argv=");
    expect(lines).toContain("jit=c2VjcmV0LWppdA==");
    expect(lines).toContain("trap=1");
    expect(result.stderr).not.toContain("c2VjcmV0LWppdA==");
  });

  it("reads the JIT config from the SSM parameter and deletes the parameter", () => {
    const { home, bin, record } = fakeRunner("exit 0");
    writeFileSync(join(home, "parameter"), "from-ssm-jit\n");
    const result = spawnSync("bash", [ENTRYPOINT], {
      env: baseEnv(home, bin, { TORNADE_JITCONFIG_SSM_PARAMETER: "/tornade/jit/42" }),
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    const lines = readFileSync(record, "utf8").split("\n");
    expect(lines).toContain("aws ssm get-parameter --name /tornade/jit/42 --with-decryption --query Parameter.Value --output text");
    expect(lines).toContain("aws ssm delete-parameter --name /tornade/jit/42");
    expect(lines).toContain("jit=from-ssm-jit");
    // Throttling is retried, for these calls only.
    expect(lines.filter((l) => l.startsWith("aws-retry="))).toEqual(["aws-retry=standard/8", "aws-retry=standard/8"]);
    expect(existsSync(join(home, "parameter"))).toBe(false);
    expect(result.stderr).not.toContain("from-ssm-jit");
  });

  it("on CodeBuild, where the platform resolved the parameter already, only deletes it", () => {
    const { home, bin, record } = fakeRunner("exit 0");
    writeFileSync(join(home, "parameter"), "resolved-by-codebuild\n");
    const result = spawnSync("bash", [ENTRYPOINT], {
      env: baseEnv(home, bin, { TORNADE_JITCONFIG_SSM_PARAMETER: "/tornade/jit/43", [JIT_ENV]: "resolved-by-codebuild" }),
      encoding: "utf8",
    });
    expect(result.status).toBe(0);
    const lines = readFileSync(record, "utf8").split("\n");
    expect(lines.filter((l) => l.startsWith("aws ssm"))).toEqual(["aws ssm delete-parameter --name /tornade/jit/43"]);
    expect(lines).toContain("jit=resolved-by-codebuild");
    expect(existsSync(join(home, "parameter"))).toBe(false);
  });

  it("exits 78 without starting the runner when the parameter cannot be read", () => {
    const { home, bin, record } = fakeRunner("exit 0");
    const result = spawnSync("bash", [ENTRYPOINT], { env: baseEnv(home, bin, { TORNADE_JITCONFIG_SSM_PARAMETER: "/tornade/jit/gone" }), encoding: "utf8" });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain("ParameterNotFound");
    expect(result.stderr).toContain("could not read SSM parameter /tornade/jit/gone");
    expect(readFileSync(record, "utf8").split("\n").some((l) => l.startsWith("argv="))).toBe(false);
  });

  it("refuses to start without a JIT config, exit 78, naming both variables", () => {
    const { home, bin, record } = fakeRunner("exit 0");
    const result = spawnSync("bash", [ENTRYPOINT], { env: baseEnv(home, bin, {}), encoding: "utf8" });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain(JIT_ENV);
    expect(result.stderr).toContain("TORNADE_JITCONFIG_SSM_PARAMETER");
    expect(existsSync(record)).toBe(false);
  });

  it("passes the runner's exit status through", () => {
    const { home, bin } = fakeRunner("exit 3");
    const result = spawnSync("bash", [ENTRYPOINT], { env: baseEnv(home, bin, { [JIT_ENV]: "x" }), encoding: "utf8" });
    expect(result.status).toBe(3);
  });

  it("forwards SIGTERM to the runner and exits when the runner does", async () => {
    // The fake runner announces itself, then waits; on SIGTERM it records the signal and exits 0 (a graceful stop).
    const { home, bin, record } = fakeRunner(
      `trap 'echo got=TERM >> "${"$"}{0%/*}/record"; exit 0' TERM\necho ready >> "${"$"}{0%/*}/record"\nwhile true; do sleep 0.05; done`,
    );
    const child = spawn("bash", [ENTRYPOINT], { env: baseEnv(home, bin, { [JIT_ENV]: "x" }), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
    while (!(existsSync(record) && readFileSync(record, "utf8").includes("ready"))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(readFileSync(record, "utf8").split("\n")).toContain("got=TERM");
    expect(stderr).toContain("received SIGTERM");
  });

  describe("as a standby (docs/standby.md)", () => {
    const standbyEnv = (home: string, bin: string, until: number) =>
      baseEnv(home, bin, { TORNADE_JITCONFIG_SSM_PARAMETER: "/tornade/jit/standby-1", TORNADE_STANDBY_UNTIL: String(until), TORNADE_STANDBY_POLL_SECONDS: "0.05" });
    const getCalls = (record: string) => (existsSync(record) ? readFileSync(record, "utf8").split("\n").filter((l) => l.startsWith("aws ssm get-parameter")).length : 0);

    it("polls quietly until its parameter is written, then starts the runner with it and deletes it", async () => {
      const { home, bin, record } = fakeRunner("exit 0");
      const child = spawn("bash", [ENTRYPOINT], { env: standbyEnv(home, bin, Date.now() + 600_000), stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      while (getCalls(record) < 3) await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(record, "utf8")).not.toContain("argv=");
      writeFileSync(join(home, "parameter"), "handed-to-standby\n");
      expect(await exited).toBe(0);
      const lines = readFileSync(record, "utf8").split("\n");
      expect(lines).toContain("jit=handed-to-standby");
      expect(lines).toContain("aws ssm delete-parameter --name /tornade/jit/standby-1");
      expect(stderr).toContain("standby: waiting for a JIT config");
      // ParameterNotFound is the normal answer while it waits: not reported.
      expect(stderr).not.toContain("ParameterNotFound");
      expect(stderr).not.toContain("handed-to-standby");
    });

    it("warms the runner up while it waits, without the JIT config, and starts the runner only once the warm-up is over", async () => {
      const { home, bin, record } = fakeRunner("exit 0");
      // A stand-in Runner.Listener: records its arguments and whether it saw a JIT config, then stays up until released.
      writeFileSync(
        join(bin, "Runner.Listener"),
        `#!/usr/bin/env bash
printf 'listener argv=%s jit=%s\\n' "$*" "\${${JIT_ENV}:-}" >> "${record}"
while [[ ! -f "${home}/release-warmup" ]]; do sleep 0.02; done
printf 'warmup done\\n' >> "${record}"
`,
      );
      chmodSync(join(bin, "Runner.Listener"), 0o755);
      const child = spawn("bash", [ENTRYPOINT], { env: standbyEnv(home, bin, Date.now() + 600_000), stdio: ["ignore", "ignore", "ignore"] });
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      while (!(existsSync(record) && readFileSync(record, "utf8").includes("listener argv="))) await new Promise((r) => setTimeout(r, 20));
      writeFileSync(join(home, "parameter"), "handed-to-standby\n");
      // Whichever ends first, the warm-up or the wait for the config, the runner starts after both.
      writeFileSync(join(home, "release-warmup"), "");
      expect(await exited).toBe(0);
      const lines = readFileSync(record, "utf8").split("\n");
      expect(lines).toContain("listener argv=--warmup jit=");
      expect(lines).toContain("jit=handed-to-standby");
      // The runner started after the warm-up had finished.
      expect(lines.indexOf("warmup done")).toBeGreaterThan(-1);
      expect(lines.indexOf("warmup done")).toBeLessThan(lines.findIndex((l) => l.startsWith("argv=")));
    });

    it("exits 0 without starting the runner when nothing was handed to it by its deadline", () => {
      const { home, bin, record } = fakeRunner("exit 0");
      const result = spawnSync("bash", [ENTRYPOINT], { env: standbyEnv(home, bin, Date.now() - 1), encoding: "utf8" });
      expect(result.status).toBe(0);
      expect(result.stderr).toContain("no job was handed to it by its deadline");
      expect(readFileSync(record, "utf8")).not.toContain("argv=");
    });

    it("stops waiting at SIGTERM, exit 143", async () => {
      const { home, bin, record } = fakeRunner("exit 0");
      const child = spawn("bash", [ENTRYPOINT], { env: standbyEnv(home, bin, Date.now() + 600_000), stdio: ["ignore", "ignore", "ignore"] });
      const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
      while (getCalls(record) < 1) await new Promise((r) => setTimeout(r, 20));
      child.kill("SIGTERM");
      expect(await exited).toBe(143);
    });

    it("refuses a deadline that is not a time, exit 78", () => {
      const { home, bin } = fakeRunner("exit 0");
      const env = { ...standbyEnv(home, bin, 0), TORNADE_STANDBY_UNTIL: "tomorrow" };
      const result = spawnSync("bash", [ENTRYPOINT], { env, encoding: "utf8" });
      expect(result.status).toBe(78);
      expect(result.stderr).toContain("TORNADE_STANDBY_UNTIL must be a time in ms since the epoch");
    });
  });
});
