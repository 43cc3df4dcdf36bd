/**
 * Reads the JSON shape of Go struct types from Go source, as encoding/json sees them: each field's JSON name (its
 * `json:"…"` tag, else the Go name), whether it has `omitempty`, and its type, with embedded structs' fields promoted
 * into the embedding struct. Enough of Go for the flat declarations of github.com/actions/scaleset's types.go and
 * errors.go; scripts/extract-scaleset-types.ts uses it to write testbed/spec/scaleset-types.json.
 */

export type GoType =
  | { kind: "string" | "integer" | "number" | "boolean" | "time" | "uuid" | "any"; nullable?: true }
  | { kind: "array"; items: GoType; nullable?: true }
  | { kind: "map"; values: GoType; nullable?: true }
  | { kind: "ref"; ref: string; nullable?: true };

export interface GoField {
  /** The member name on the wire. */
  json: string;
  /** The Go field name (the embedded type's name for a promoted field's origin is in `from`). */
  go: string;
  type: GoType;
  omitempty: boolean;
  /** The embedded struct the field was promoted from, if any. */
  from?: string;
}

export interface GoStruct {
  file: string;
  fields: GoField[];
}

interface RawField {
  names: string[];
  type: string;
  tag: string | null;
  embedded: boolean;
}

const BASIC: Record<string, GoType["kind"]> = {
  string: "string",
  bool: "boolean",
  int: "integer",
  int8: "integer",
  int16: "integer",
  int32: "integer",
  int64: "integer",
  uint: "integer",
  uint8: "integer",
  uint16: "integer",
  uint32: "integer",
  uint64: "integer",
  float32: "number",
  float64: "number",
  "time.Time": "time",
  "uuid.UUID": "uuid",
  "json.RawMessage": "any",
  any: "any",
  "interface{}": "any",
};

function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"`])\/\/.*$/gm, "$1");
}

/** The struct bodies of one file: named types (`type X struct {`) and anonymous ones bound in a function
 *  (`body := struct {`, named `<function>.<variable>`). Also named basic types (`type MessageType string`). */
function scan(src: string): { structs: Map<string, RawField[]>; aliases: Map<string, string> } {
  const structs = new Map<string, RawField[]>();
  const aliases = new Map<string, string>();
  const lines = stripComments(src).split("\n");
  let fn = "";
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    const f = /^func\s+(?:\([^)]*\)\s*)?(\w+)\s*[[(]/.exec(line);
    if (f?.[1]) fn = f[1];
    const named = /^type\s+(\w+)\s+struct\s*\{\s*$/.exec(line);
    const anon = /^(\w+)\s*:?=\s*struct\s*\{\s*$/.exec(line);
    const alias = /^type\s+(\w+)\s+([\w.]+)\s*$/.exec(line);
    if (alias?.[1] && alias[2]) aliases.set(alias[1], alias[2]);
    const name = named?.[1] ?? (anon?.[1] && fn ? `${fn}.${anon[1]}` : undefined);
    if (!name) continue;
    const fields: RawField[] = [];
    for (i++; i < lines.length && !/^\}/.test((lines[i] ?? "").trim()); i++) {
      const field = parseField((lines[i] ?? "").trim());
      if (field) fields.push(field);
    }
    structs.set(name, fields);
  }
  return { structs, aliases };
}

function parseField(line: string): RawField | null {
  if (line === "") return null;
  const tagMatch = /`([^`]*)`\s*$/.exec(line);
  const tag = tagMatch?.[1] ?? null;
  const rest = (tagMatch ? line.slice(0, tagMatch.index) : line).trim();
  if (!/\s/.test(rest)) return { names: [], type: rest, tag, embedded: true };
  // `Name[, Name…] Type`, where the type may itself hold spaces (`chan int`): the names are identifiers and commas.
  const m = /^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+(.+)$/.exec(rest);
  if (!m?.[1] || !m[2]) return { names: [], type: rest, tag, embedded: false };
  return { names: m[1].split(",").map((n) => n.trim()), type: m[2].trim(), tag, embedded: false };
}

function jsonTag(tag: string | null): { name: string | null; omitempty: boolean; skip: boolean } {
  const m = tag ? /(?:^|\s)json:"([^"]*)"/.exec(tag) : null;
  if (!m) return { name: null, omitempty: false, skip: false };
  const [name = "", ...opts] = (m[1] ?? "").split(",");
  return { name: name === "" ? null : name, omitempty: opts.includes("omitempty"), skip: name === "-" && opts.length === 0 };
}

function typeOf(expr: string, aliases: Map<string, string>, problems: string[], where: string): GoType {
  if (expr.startsWith("*")) return { ...typeOf(expr.slice(1), aliases, problems, where), nullable: true };
  if (expr.startsWith("[]")) return { kind: "array", items: typeOf(expr.slice(2), aliases, problems, where) };
  const map = /^map\[string\](.+)$/.exec(expr);
  if (map?.[1]) return { kind: "map", values: typeOf(map[1], aliases, problems, where) };
  const basic = BASIC[expr];
  if (basic) return { kind: basic } as GoType;
  const alias = aliases.get(expr);
  if (alias) return typeOf(alias, aliases, problems, where);
  if (/^[A-Za-z_]\w*$/.test(expr)) return { kind: "ref", ref: expr };
  problems.push(`${where}: type ${expr} is not understood`);
  return { kind: "any" };
}

/**
 * Every struct with a JSON shape in `files` (at least one field with a json tag, or promoted from one), keyed by
 * type name. Throws naming every construct it could not read.
 */
export function parseGoStructs(files: readonly { path: string; source: string }[]): Record<string, GoStruct> {
  const raw = new Map<string, { file: string; fields: RawField[] }>();
  const aliases = new Map<string, string>();
  for (const f of files) {
    const s = scan(f.source);
    for (const [name, fields] of s.structs) raw.set(name, { file: f.path, fields });
    for (const [k, v] of s.aliases) aliases.set(k, v);
  }
  const problems: string[] = [];
  const out: Record<string, GoStruct> = {};
  const resolve = (name: string, seen: string[]): GoField[] => {
    const r = raw.get(name);
    if (!r) return [];
    if (seen.includes(name)) {
      problems.push(`${name}: embeds itself`);
      return [];
    }
    const fields: GoField[] = [];
    for (const f of r.fields) {
      const tag = jsonTag(f.tag);
      if (tag.skip) continue;
      if (f.embedded && tag.name === null) {
        const embedded = f.type.replace(/^\*/, "");
        if (!raw.has(embedded)) problems.push(`${name}: embedded ${embedded} is not declared in the files given`);
        fields.push(...resolve(embedded, [...seen, name]).map((x) => ({ ...x, from: x.from ?? embedded })));
        continue;
      }
      if (!f.embedded && f.names.length === 0) problems.push(`${name}: cannot read the field "${f.type}"`);
      for (const goName of f.embedded ? [f.type.replace(/^\*/, "")] : f.names) {
        if (!/^[A-Z]/.test(goName)) continue; // unexported: not marshalled
        fields.push({ json: tag.name ?? goName, go: goName, type: typeOf(f.type, aliases, problems, `${name}.${goName}`), omitempty: tag.omitempty });
      }
    }
    return fields;
  };
  for (const [name, r] of raw) {
    const tagged = (n: string, seen: string[]): boolean =>
      (raw.get(n)?.fields ?? []).some((f) => jsonTag(f.tag).name !== null || (f.embedded && !seen.includes(n) && tagged(f.type.replace(/^\*/, ""), [...seen, n])));
    if (!tagged(name, [])) continue;
    out[name] = { file: r.file, fields: resolve(name, []) };
  }
  for (const [name, s] of Object.entries(out)) {
    const walk = (t: GoType, at: string) => {
      if (t.kind === "ref" && !out[t.ref]) problems.push(`${at}: refers to ${t.ref}, which has no JSON shape in the files given`);
      if (t.kind === "array") walk(t.items, at);
      if (t.kind === "map") walk(t.values, at);
    };
    for (const f of s.fields) walk(f.type, `${name}.${f.go}`);
  }
  if (problems.length > 0) throw new Error(`cannot read the Go types:\n  ${problems.join("\n  ")}`);
  return out;
}
