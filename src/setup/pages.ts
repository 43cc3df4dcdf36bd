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
  /** Non-null when the server already runs with an App (not in the sandbox). */
  readonly configuredAppId: number | null;
}

export function startPage(f: StartForm): string {
  const warn =
    f.configuredAppId === null
      ? ""
      : `<p class="err">This tornade already runs with GitHub App ${esc(f.configuredAppId)}. The wizard creates a new App only when none is configured.</p>`;
  const errors = f.errors.map((e) => `<p class="err">${esc(e)}</p>`).join("");
  return page(
    "Create the GitHub App",
    `${warn}<p>tornade receives <code>workflow_job</code> webhooks from a GitHub App and registers runners through it. This creates
that App on GitHub with exactly the permissions tornade needs, through GitHub's App manifest flow, and stores its
credentials for <code>tornade serve</code>.</p>${errors}
<form method="get" action="/setup">
<label for="name">App name (unique on GitHub, at most 34 characters)</label>
<input type="text" id="name" name="name" value="${esc(f.appName)}" required maxlength="34">
<label for="url">Public URL of this tornade (GitHub sends webhooks to its <code>/events</code>)</label>
<input type="url" id="url" name="url" value="${esc(f.publicUrl)}" required>
<label for="org">Organization (leave empty for your personal account and repository runners)</label>
<input type="text" id="org" name="org" value="${esc(f.org)}" maxlength="39">
<button type="submit">Review the manifest</button>
</form>`,
  );
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
<li>Restart tornade: the running process keeps the configuration it started with.</li>
</ol>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<p class="err">${esc(message)}</p><p><a href="/setup">Start again</a></p>`);
}
