/**
 * The dashboard's static files (assets/), read once when the module loads. They are plain HTML/CSS/JS with no
 * external URL, because tornade often runs where no CDN is reachable.
 */
import { readFileSync } from "node:fs";

function asset(name: string): string {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
}

export const DASHBOARD_HTML = asset("index.html");
export const DASHBOARD_JS = asset("app.js");
export const DASHBOARD_CSS = asset("style.css");

/**
 * Only our own script, style and fetches; no inline script, no framing. A hostile label that somehow reached the DOM
 * as markup still could not run (the script also never parses strings as HTML).
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
