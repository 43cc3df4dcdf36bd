/**
 * The fixture of the scale set client's types and the checks built on it: the Go reader behind
 * scripts/extract-scaleset-types.ts, the committed fixture's provenance and coverage of the routes, and the
 * validators — which must accept what the client's own tests send and catch what the client would misread.
 */
import { describe, expect, it } from "vitest";
import { buildFixture } from "../../scripts/extract-scaleset-types.js";
import { parseGoStructs } from "./go-structs.js";
import { ERROR_TYPE, INT64_ARRAY, loadScaleSetTypes, SCALE_SET_ROUTES, validateScaleSetBody, validateScaleSetResponse } from "./scaleset-types.js";

const GO = `package x

import "time"

type Kind string

// Base is embedded.
type Base struct {
	Kind   Kind      \`json:"kind"\`
	At     time.Time \`json:"at"\`
	hidden string
}

type Thing struct {
	ID      int64             \`json:"id,omitempty"\`
	Tags    []string          \`json:"tags"\`
	Parent  *Thing            \`json:"parent,omitempty"\`
	Extra   map[string]bool   \`json:"extra"\`
	Skipped string            \`json:"-"\`
	Plain   bool
	Base
}

type untagged struct {
	A int
}

func (c *Client) register() error {
	body := struct {
		URL string \`json:"url"\`
	}{URL: "x"}
	return nil
}
`;

describe("parseGoStructs", () => {
  it("reads JSON names, omitempty, pointers, slices, maps, aliases and promoted fields, as encoding/json does", () => {
    const t = parseGoStructs([{ path: "x.go", source: GO }]);
    expect(Object.keys(t).sort()).toEqual(["Base", "Thing", "register.body"]);
    expect(t["Thing"]?.fields).toEqual([
      { json: "id", go: "ID", type: { kind: "integer" }, omitempty: true },
      { json: "tags", go: "Tags", type: { kind: "array", items: { kind: "string" } }, omitempty: false },
      { json: "parent", go: "Parent", type: { kind: "ref", ref: "Thing", nullable: true }, omitempty: true },
      { json: "extra", go: "Extra", type: { kind: "map", values: { kind: "boolean" } }, omitempty: false },
      { json: "Plain", go: "Plain", type: { kind: "boolean" }, omitempty: false },
      { json: "kind", go: "Kind", type: { kind: "string" }, omitempty: false, from: "Base" },
      { json: "at", go: "At", type: { kind: "time" }, omitempty: false, from: "Base" },
    ]);
    expect(t["register.body"]?.fields).toEqual([{ json: "url", go: "URL", type: { kind: "string" }, omitempty: false }]);
  });

  it("names every type it cannot read instead of guessing", () => {
    const bad = `package x
type A struct {
	C chan int \`json:"c"\`
	D Missing  \`json:"d"\`
}`;
    expect(() => parseGoStructs([{ path: "a.go", source: bad }])).toThrow(/A\.C: type chan[\s\S]*A\.D: refers to Missing/);
  });

  it("makes the fixture with its provenance, and the transcribed client.go shapes", () => {
    const f = buildFixture([{ path: "/tmp/x/types.go", commit: "a".repeat(40), source: GO }]) as { source: { files: { path: string }[] }; types: Record<string, unknown> };
    expect(f.source.files.map((x) => x.path)).toEqual(["types.go", "client.go"]);
    expect(Object.keys(f.types)).toEqual(expect.arrayContaining(["Thing", "actionsServiceAdminConnection", "getActionsServiceAdminConnection.body"]));
  });
});

describe("the committed fixture", () => {
  it("comes from actions/scaleset's types.go and errors.go at named commits", () => {
    const f = loadScaleSetTypes();
    expect(f.source.repository).toBe("actions/scaleset");
    expect(f.source.files.map((x) => `${x.path}@${x.commit.slice(0, 8)}`)).toEqual(["types.go@39ffa2e5", "errors.go@2d4ce79c", "client.go@0015641f"]);
  });

  it("has every type the routes name", () => {
    const types = loadScaleSetTypes().types;
    const named = Object.values(SCALE_SET_ROUTES).flatMap((r) => [r.request, ...Object.values(r.responses)]).filter((t): t is string => typeof t === "string");
    for (const t of [...named, ERROR_TYPE].filter((x) => x !== INT64_ARRAY)) expect(types[t], t).toBeDefined();
  });
});

describe("validateScaleSetBody", () => {
  it("accepts the bodies the client's own tests serve (client_runner_scale_set_session_test.go)", () => {
    const session = { ownerName: "foo", runnerScaleSet: { id: 1, name: "ScaleSet" }, messageQueueUrl: "http://fake.github.com/123", messageQueueAccessToken: "fake.jwt.here" };
    expect(validateScaleSetBody("RunnerScaleSetSession", session, "response")).toEqual([]);
    expect(validateScaleSetBody(ERROR_TYPE, { typeName: "CSharpExceptionNameHere", message: "could not do something" }, "response")).toEqual([]);
  });

  it("catches a member under the wrong case, a wrong type, a missing member and a bad time", () => {
    const set = { id: 1, name: "x", runnerSetting: {}, createdOn: "yesterday", labels: [{ name: "x" }] };
    const errors = validateScaleSetBody("RunnerScaleSet", set, "response");
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("must NOT have additional properties (runnerSetting)"),
        expect.stringContaining('/createdOn must match format "date-time"'),
        expect.stringContaining("/labels/0 must have required property 'type'"),
      ]),
    );
    // Requests may leave members out: the service defaults them.
    expect(validateScaleSetBody("RunnerScaleSet", { name: "x", labels: [{ name: "x" }] }, "request")).toEqual([]);
    expect(validateScaleSetBody(INT64_ARRAY, [1, 2.5], "request")).toEqual(["[]int64 (request): /1 must be integer"]);
  });

  it("takes Go's zero time, which an unset time.Time marshals to", () => {
    const stats = { totalAvailableJobs: 0, totalAcquiredJobs: 0, totalAssignedJobs: 0, totalRunningJobs: 0, totalRegisteredRunners: 0, totalBusyRunners: 0, totalIdleRunners: 0 };
    expect(validateScaleSetBody("RunnerScaleSet", { id: 1, createdOn: "0001-01-01T00:00:00Z", statistics: stats }, "response")).toEqual([]);
  });
});

describe("validateScaleSetResponse", () => {
  const route = "/_apis/runtime/runnerscalesets/{scaleSetId}/messages";
  const base = {
    messageType: "JobStarted",
    runnerRequestId: 1,
    repositoryName: "r",
    ownerName: "o",
    jobId: "j",
    jobWorkflowRef: "o/r/.github/workflows/ci.yml@refs/heads/main",
    jobDisplayName: "d",
    workflowRunId: 2,
    eventName: "push",
    requestLabels: ["x"],
    queueTime: "2026-01-05T12:00:00Z",
    scaleSetAssignTime: "0001-01-01T00:00:00Z",
    runnerAssignTime: "0001-01-01T00:00:00Z",
    finishTime: "0001-01-01T00:00:00Z",
  };
  const message = (jobs: unknown[], messageType = "RunnerScaleSetJobMessages") => ({ messageId: 3, messageType, body: JSON.stringify(jobs), statistics: null });

  it("checks each job message inside a message's body by its type", () => {
    expect(validateScaleSetResponse("GET", route, 200, message([{ ...base, runnerId: 4, runnerName: "n" }]))).toEqual([]);
    const missing = validateScaleSetResponse("GET", route, 200, message([base]));
    expect(missing).toEqual(expect.arrayContaining([expect.stringContaining("body[0]: JobStarted (response): / must have required property 'runnerId'")]));
    expect(validateScaleSetResponse("GET", route, 200, message([{ ...base, messageType: "JobQueued" }]))[0]).toContain("JobQueued is not one the client handles");
    expect(validateScaleSetResponse("GET", route, 200, message([], "Other"))[0]).toContain("is not RunnerScaleSetJobMessages");
  });

  it("flags a status the client does not expect, a body where none belongs, and a route the client does not call", () => {
    expect(validateScaleSetResponse("GET", route, 201, {})[0]).toContain("does not expect this status");
    expect(validateScaleSetResponse("GET", route, 202, { x: 1 })[0]).toContain("must have no body");
    expect(validateScaleSetResponse("GET", "/_apis/other", 200, {})[0]).toContain("not a route of the client");
    expect(validateScaleSetResponse("GET", route, 503, { typeName: "X", message: "m" })).toEqual([]);
    expect(validateScaleSetResponse("POST", "/actions/runner-registration", 401, { message: "Bad credentials" })).toEqual([]);
  });
});
