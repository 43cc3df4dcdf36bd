/**
 * Reading a JSON or YAML file a person wrote — a `--config` file, a sandbox `--scenario`, an `explain --payload` — so
 * that a mistake names the file and, for a syntax error, the line and column, the way an editor or compiler does:
 * `scenario.json:3:17: not valid JSON: expected , or } after a property value, found "\""`.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { findJsonSyntaxError, lineColumn } from "./json-syntax.js";

/**
 * The yaml package, loaded the first time a YAML file is read: most commands read none, and loading it costs a CLI
 * start ~30 ms (tornade explain answers in ~300 ms). Synchronous, like the reads it serves; yaml ships CommonJS.
 */
let yaml: typeof import("yaml") | undefined;
function yamlPackage(): typeof import("yaml") {
  yaml ??= createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml;
}

export type DataFormat = "json" | "yaml";

/** A file that cannot be read or parsed. `message` is the whole sentence; the parts are there for callers that want them. */
export class DataFileError extends Error {
  override readonly name = "DataFileError";
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly at?: { readonly line: number; readonly column: number },
  ) {
    super(`${path}${at ? `:${at.line}:${at.column}` : ""}: ${problem}`);
  }
}

/** Node's error codes for a file that cannot be opened, in words. */
const READ_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOTDIR: "a part of the path is not a directory",
};

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataFileError(path, `cannot read it: ${(code && READ_PROBLEMS[code]) ?? (err as Error).message}${code ? ` (${code})` : ""}`);
  }
}

/** Parses `text` (the content of `path`) as JSON or YAML; a syntax error becomes a DataFileError at its line and column. */
export function parseDataText(path: string, text: string, format: DataFormat): unknown {
  // Editors on Windows may start a UTF-8 file with a byte order mark, which is not JSON.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (format === "yaml") {
    const { YAMLParseError, parse: parseYaml } = yamlPackage();
    try {
      return parseYaml(body);
    } catch (err) {
      if (!(err instanceof YAMLParseError)) throw err;
      // The yaml package ends its message with " at line L, column C:" and a code frame; the location goes in front.
      const problem = (err.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
      const pos = err.linePos?.[0];
      throw new DataFileError(path, `not valid YAML: ${problem}`, pos ? { line: pos.line, column: pos.col } : undefined);
    }
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    const found = findJsonSyntaxError(body);
    if (!found) throw new DataFileError(path, `not valid JSON: ${err.message}`);
    throw new DataFileError(path, `not valid JSON: ${found.problem}`, lineColumn(body, found.offset));
  }
}

/** Reads and parses a JSON or YAML file. */
export function readDataFile(path: string, format: DataFormat): unknown {
  return parseDataText(path, readTextFile(path), format);
}
