/**
 * Where a JSON text stops being JSON, and why, in words a person can act on. V8's own messages name a position only
 * for some errors ("Unexpected token '}', "{"a": tru}" is not valid JSON" names none), and their wording changes
 * between Node.js versions, so the offset comes from this small scanner of the JSON grammar (RFC 8259) instead.
 */

export interface JsonSyntaxError {
  /** Offset (UTF-16 code units) of the first character that cannot be JSON. */
  readonly offset: number;
  readonly problem: string;
}

class Stop extends Error {
  constructor(readonly at: number, readonly problem: string) {
    super(problem);
  }
}

/** The first syntax error of `text`, or undefined when it is JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const stop = (problem: string): never => {
    throw new Stop(i, i >= text.length ? `${problem}, but the file ends` : `${problem}, found ${JSON.stringify(text[i])}`);
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else stop(`expected ${word}`);
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) stop("expected the closing \" of a string");
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else {
          i++;
          stop("expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX) after \\");
        }
      } else if ((c as string).charCodeAt(0) < 0x20) stop("a string cannot hold a raw control character (write \\n, \\t)");
      else i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) stop("expected a value (a string, number, object, array, true, false or null)");
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return string();
    if (c === "t") return literal("true");
    if (c === "f") return literal("false");
    if (c === "n") return literal("null");
    number();
  };
  /** An object or an array: members separated by commas, up to `close`. */
  const members = (close: "}" | "]", member: () => void, after: string) => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      ws();
      if (text[i] === ",") i++;
      else if (text[i] === close) {
        i++;
        return;
      } else stop(`expected , or ${close} after ${after}`);
    }
  };
  const property = () => {
    ws();
    if (text[i] !== '"') stop("expected a property name in double quotes");
    string();
    ws();
    if (text[i] !== ":") stop("expected : after the property name");
    i++;
    value();
  };
  const object = () => members("}", property, "a property value");
  const array = () => members("]", value, "an array element");
  try {
    value();
    ws();
    if (i < text.length) stop("expected the end of the file after the value");
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { offset: e.at, problem: e.problem };
    throw e;
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}
