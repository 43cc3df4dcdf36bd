/**
 * The setup wizard's pages, rendered on the server. Every value that comes from outside (names typed into the form,
 * what GitHub answered) goes through `esc`; the App's private key and webhook secret never reach a page.
 */
import type { AppManifest } from "./manifest.js";

const ENTITIES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d232b}
h1{font-size:1.4rem}label{display:block;margin:.7rem 0 .2rem;font-weight:600}input[type=text],input[type=url]{width:100%;padding:.35rem}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem}pre{background:#f3f4f6;padding:.7rem;overflow-x:auto;font-size:.8rem}
.err{color:#cf222e}.ok{color:#1a7f37}code{background:#f3f4f6;padding:0 .2rem}.muted{color:#66707c}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · tornade</title><style>${STYLE}</style></head>
<body><p class="muted"><a href="/">← dashboard</a></p><h1>${esc(title)}</h1>
${body}</body></html>`;
}

export interface StartForm {
  readonly appName: string;
  readonly publicUrl: string;
  readonly org: string;
  readonly errors: readonly string[];
}

export function startPage(f: StartForm): string {
  const errors = f.errors.map((e) => `<p class="err">${esc(e)}</p>`).join("");
  return page(
    "Create the GitHub App",
    `<p>tornade receives <code>workflow_job</code> webhooks from a GitHub App and registers runners through it. This creates
that App on GitHub with exactly the permissions tornade needs, through GitHub's App manifest flow, and stores its
credentials for <code>tornade serve</code>.</p>${errors}
<form method="post" action="/setup">
<label for="code">Setup code (printed on tornade's console when the wizard started)</label>
<input type="text" id="code" name="code" value="" required autocomplete="off" spellcheck="false" maxlength="64">
<label for="name">App name (unique on GitHub, at most 34 characters)</label>
<input type="text" id="name" name="name" value="${esc(f.appName)}" required maxlength="34">
<label for="url">Public URL of this tornade: GitHub sends webhooks to its <code>/events</code> (the public listener, not this page's)</label>
<input type="url" id="url" name="url" value="${esc(f.publicUrl)}" required placeholder="https://tornade.example.com">
<label for="org">Organization (leave empty for your personal account and repository runners)</label>
<input type="text" id="org" name="org" value="${esc(f.org)}" maxlength="39">
<button type="submit">Review the manifest</button>
</form>`,
  );
}

/** Shown instead of the wizard once GitHub credentials are configured (or the wizard has just written them). */
export function closedPage(reason: string): string {
  return page("Setup is closed", `<p>${esc(reason)}</p><p>The setup wizard runs only under <code>tornade serve --setup</code> while no GitHub App or token is configured.</p>`);
}

export function reviewPage(manifest: AppManifest, action: string, org: string | null): string {
  const json = JSON.stringify(manifest, null, 2);
  return page(
    "Review and create",
    `<p>GitHub will show this App for ${org === null ? "your personal account" : `the organization <b>${esc(org)}</b>`}
and ask you to confirm. Then it sends you back here.</p>
<pre>${esc(json)}</pre>
<form method="post" action="${esc(action)}">
<input type="hidden" name="manifest" value="${esc(JSON.stringify(manifest))}">
<button type="submit">Create the GitHub App on GitHub</button>
</form>`,
  );
}

export interface DoneInfo {
  readonly appId: number;
  readonly name: string;
  readonly htmlUrl: string;
  readonly owner: string | null;
  readonly path: string;
}

export function donePage(d: DoneInfo): string {
  return page(
    "GitHub App created",
    `<p class="ok">GitHub App <b>${esc(d.name)}</b> (App ID ${esc(d.appId)}${d.owner ? `, owned by ${esc(d.owner)}` : ""}) exists.
Its App ID, private key and webhook secret are in <code>${esc(d.path)}</code> (mode 0600). Keep that file secret;
this page does not show them.</p>
<h2>Next steps</h2>
<ol>
<li>Install the App on the repositories or organization whose jobs tornade should run:
<a href="${esc(d.htmlUrl)}/installations/new">${esc(d.htmlUrl)}/installations/new</a></li>
<li>Point tornade at the file and give it the AWS side (cluster, subnets, task definitions, CodeBuild projects):
<pre>TORNADE_CONFIG=${esc(d.path)} \\
TORNADE_ECS_CLUSTER=… TORNADE_SUBNETS=… TORNADE_TASK_DEFINITION_X86_64=… \\
tornade serve</pre>
or copy its <code>github</code> section into your own configuration file.</li>
<li>Stop this <code>tornade serve --setup</code> and start <code>tornade serve</code> as above: the wizard is closed now.</li>
</ol>`,
  );
}

export function errorPage(title: string, message: string, again = true): string {
  return page(title, `<p class="err">${esc(message)}</p>${again ? `<p><a href="/setup">Start again</a></p>` : ""}`);
}
