import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataFileError, readDataFile } from "./data-file.js";
import { findJsonSyntaxError, lineColumn } from "./json-syntax.js";

const dir = mkdtempSync(join(tmpdir(), "tornade-data-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(text: string, format: "json" | "yaml", name = `f.${format}`): DataFileError {
  const path = join(dir, name);
  writeFileSync(path, text);
  try {
    readDataFile(path, format);
  } catch (e) {
    if (e instanceof DataFileError) return e;
    throw e;
  }
  throw new Error(`${JSON.stringify(text)} parsed`);
}

describe("findJsonSyntaxError", () => {
  it("accepts what JSON.parse accepts", () => {
    for (const ok of ['{"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"], "b": {}}', "[]", " 0 ", '"s"']) {
      expect(() => JSON.parse(ok)).not.toThrow();
      expect(findJsonSyntaxError(ok)).toBeUndefined();
    }
  });

  it.each([
    ["{nope", 1, "expected a property name in double quotes"],
    ['{"a": 1,}', 8, "expected a property name in double quotes"],
    ['{"a": 1', 7, "expected , or } after a property value, but the file ends"],
    ["", 0, "expected a value"],
    ['{"a": 1}}', 8, "expected the end of the file"],
    ['{"a": tru}', 6, "expected true"],
    ['{"a": [1, 2 3]}', 12, "expected , or ] after an array element"],
    ['{"a": "x\ny"}', 8, "raw control character"],
    ['{"a": "\\q"}', 8, "expected an escape"],
    ['{"a": 01}', 7, "expected , or }"],
    ["{'a': 1}", 1, "expected a property name in double quotes"],
  ])("%j: offset %i", (text, offset, problem) => {
    expect(() => JSON.parse(text)).toThrow();
    const e = findJsonSyntaxError(text);
    expect(e?.offset).toBe(offset);
    expect(e?.problem).toContain(problem);
  });

  it("counts lines and columns from 1", () => {
    expect(lineColumn("ab\ncd\nef", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd\nef", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("ab\ncd\nef", 6)).toEqual({ line: 3, column: 1 });
  });
});

describe("readDataFile", () => {
  it("names the file, the line and the column of a JSON error", () => {
    const e = errorOf('{\n  "jobs": [\n    {"name": "a" "labels": []}\n  ]\n}\n', "json", "scenario.json");
    expect(e.message).toBe(`${join(dir, "scenario.json")}:3:18: not valid JSON: expected , or } after a property value, found "\\""`);
    expect(e.at).toEqual({ line: 3, column: 18 });
  });

  it("names the file, the line and the column of a YAML error, without the yaml package's code frame", () => {
    const e = errorOf("aws:\n  region: us-east-1\n  region: eu-west-1\n", "yaml", "tornade.yaml");
    expect(e.message).toBe(`${join(dir, "tornade.yaml")}:3:3: not valid YAML: Map keys must be unique`);
  });

  it("says why a file cannot be read", () => {
    expect(() => readDataFile(join(dir, "missing.json"), "json")).toThrow(`${join(dir, "missing.json")}: cannot read it: no such file (ENOENT)`);
    expect(() => readDataFile(dir, "json")).toThrow(`${dir}: cannot read it: is a directory, not a file (EISDIR)`);
  });

  it("reads JSON that starts with a byte order mark", () => {
    const path = join(dir, "bom.json");
    writeFileSync(path, '\ufeff{"a": 1}');
    expect(readDataFile(path, "json")).toEqual({ a: 1 });
  });
});
