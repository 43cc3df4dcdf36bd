// docs/architecture.md names the modules, types and functions a newcomer opens first. Each must exist as named — a
// rename that forgets the map breaks here (its paths are checked with every doc's, links.test.ts) — and what the map
// says does not exist yet must still be absent, so that building it means updating the map.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { codeSpans } from "../support/markdown.js";

const root = resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(join(root, file), "utf8");
const MAP = "docs/architecture.md";

/** Names the map's "Known gaps" says the code does not have yet (none of those it names today). */
const NOT_YET: string[] = [];

/** The production sources the map describes (tests and contract suites left out), by path. */
function sources(dir: string, found = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) sources(path, found);
    else if (path.endsWith(".ts") && !/\.(test|contract)\.ts$/.test(path)) found.set(path, read(path));
  }
  return found;
}
const SOURCES = new Map([...sources("src"), ...sources("testbed")]);
const ALL = [...SOURCES.values()];

const escaped = (name: string) => name.replace(/[$]/g, "\\$&");
/** The name as a whole token (a hyphen joins tokens: `spot-interrupted`). */
const token = (name: string) => new RegExp(`(?<![\\w$-])${escaped(name)}(?![\\w$-])`);
/** Declared (function, class, type, constant, member, field), imported, or a string literal of its own. */
function declaration(name: string): RegExp {
  const n = escaped(name);
  return new RegExp(
    [
      `\\b(?:function\\*?|class|interface|type|const|let|enum)\\s+${n}\\b`,
      `^\\s*(?:(?:export|private|protected|public|readonly|static|async|get|override)\\s+)*${n}\\s*\\??\\s*[(<:=]`,
      `import\\s+(?:type\\s+)?\\{[^}]*\\b${n}\\b[^}]*\\}\\s*from`,
      `["']${n}["']`,
    ].join("|"),
    "m",
  );
}
const camel = (name: string) => /[a-z]/.test(name) && /[A-Z]/.test(name) && !name.includes("-");

/** Why the map's `name` finds nothing in the code, or null when it does. */
function problem(name: string): string | null {
  const [owner, member] = name.split(".");
  if (member !== undefined && /^[A-Z]/.test(owner!)) {
    const homes = [...SOURCES].filter(([, text]) => new RegExp(`\\b(?:class|interface|type)\\s+${escaped(owner!)}\\b`).test(text));
    if (homes.length === 0) return `${name}: no class, interface or type ${owner}`;
    return homes.some(([, text]) => token(member).test(text)) ? null : `${name}: ${owner} (${homes.map(([p]) => p).join(", ")}) has no ${member}`;
  }
  for (const part of member === undefined ? [owner!] : [owner!, member]) {
    const found = camel(part) ? ALL.some((text) => declaration(part).test(text)) : ALL.some((text) => token(part).test(text));
    if (!found) return camel(part) ? `${name}: ${part} is declared nowhere in src/ or testbed/` : `${name}: ${part} appears nowhere in src/ or testbed/`;
  }
  return null;
}

describe("docs/architecture.md", () => {
  const names = [...new Set(codeSpans(read(MAP)).map((span) => span.replace(/\(.*\)$/, "")))]
    // Identifiers and `Owner.member`; paths, commands, key layouts and expressions are not names.
    .filter((span) => /^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$]*)?$/.test(span) && !/\.(ts|md)$/.test(span));

  it("names enough of the code to be a map", () => {
    expect(names.length).toBeGreaterThan(100);
  });

  it("names only modules, types, functions and values that exist", () => {
    const problems = names.filter((n) => !NOT_YET.includes(n)).map(problem).filter((p) => p !== null);
    expect(problems).toEqual([]);
  });

  it("says is missing only what is still missing (update its Known gaps when it comes)", () => {
    for (const name of NOT_YET) {
      expect(names).toContain(name);
      expect(ALL.filter((text) => declaration(name).test(text)).length, `${name} is declared now`).toBe(0);
    }
  });

  it("shows takeIn as the one intake: declared once, called by the HTTP app, the sweeper, the reconciler and the events function", () => {
    expect(names).toContain("takeIn");
    const declaring = [...SOURCES].filter(([, text]) => /\bexport function createTakeIn\b/.test(text)).map(([path]) => path);
    expect(declaring).toEqual(["src/controller/take-in.ts"]);
    const callers = ["src/server/app.ts", "src/controller/sweeper.ts", "src/controller/reconciler.ts", "src/lambda/events.ts"];
    expect(callers.filter((path) => !/\.takeIn\(\{ kind: "/.test(SOURCES.get(path) ?? ""))).toEqual([]);
    // No intake beside it: no forged webhook deliveries, and no receiver.
    for (const gone of ["syntheticDelivery", "createReceiver", "WebhookReceiver"]) {
      expect(ALL.filter((text) => declaration(gone).test(text)).length, `${gone} is declared again`).toBe(0);
    }
  });

  it("is linked from the README and from the docs of its parts", () => {
    const linking = ["README.md", "docs/reliability.md", "docs/scale-out.md", "docs/static-pool.md", "docs/scale-sets.md", "docs/testbed.md", "docs/deploy-aws.md"];
    expect(linking.filter((file) => !/\]\((?:docs\/)?architecture\.md[#)]/.test(read(file)))).toEqual([]);
  });
});
