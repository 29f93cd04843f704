/** The API reference page: the app's own OpenAPI 3.1 document, rendered as one self-contained HTML page. */
import { raw } from "hono/html";
import { Prose, SchemaLine, SchemaTree, schemaAnchor, type JsonSchema, type SchemaIndex } from "./docs.schema";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface MediaTypes {
  content?: Record<string, { schema?: JsonSchema }>;
}

interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  operationId?: string;
  deprecated?: boolean;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: MediaTypes & { required?: boolean; description?: string };
  responses?: Record<string, MediaTypes & { description?: string }>;
}

/** The parts of an OpenAPI 3.1 document the reference shows. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Partial<Record<string, Operation>>>;
  components?: { schemas?: SchemaIndex; securitySchemes?: Record<string, { type: string; scheme?: string; bearerFormat?: string }> };
}

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;

interface Entry {
  method: string;
  path: string;
  op: Operation;
  anchor: string;
}

/** Operations grouped by their first tag, in the order the tags first appear in the document. */
function operationsByTag(doc: OpenApiDocument): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? "Other";
      const anchor = `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
      groups.set(tag, [...(groups.get(tag) ?? []), { method, path, op, anchor }]);
    }
  }
  return groups;
}

const tagAnchor = (tag: string) => `tag-${tag.replace(/[^A-Za-z0-9]+/g, "-")}`;

function Auth({ op }: { op: Operation }) {
  const requirements = op.security ?? [];
  if (requirements.length === 0) return <p class="auth open">No authentication.</p>;
  return (
    <p class="auth locked">
      {requirements.map((req) =>
        Object.entries(req).map(([scheme, roles]) => (
          <>
            Requires <code>Authorization: Bearer &lt;access token&gt;</code> ({scheme})
            {roles.length > 0 ? <> with a role among {roles.join(", ")}</> : null}.{" "}
          </>
        )),
      )}
      401 without a valid token, 403 when the account's roles may not use it.
    </p>
  );
}

function Parameters({ params }: { params: Parameter[] }) {
  if (params.length === 0) return null;
  return (
    <>
      <h4>Parameters</h4>
      <ul class="props">
        {params.map((p) => (
          <li>
            <code class="name">{p.name}</code> <span class="in">in {p.in}</span> {p.schema ? <SchemaLine schema={p.schema} /> : null}
            {p.required ? <span class="req">required</span> : <span class="opt">optional</span>}
            {p.description || p.schema?.description ? (
              <div class="desc">
                <Prose text={p.description ?? p.schema?.description} />
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </>
  );
}

function Body({ body, schemas }: { body: NonNullable<Operation["requestBody"]>; schemas: SchemaIndex }) {
  return (
    <>
      <h4>Request body {body.required ? <span class="req">required</span> : <span class="opt">optional</span>}</h4>
      {Object.entries(body.content ?? {}).map(([type, media]) => (
        <div class="media">
          <code class="ctype">{type}</code>{" "}
          {media.schema ? (
            <>
              <SchemaLine schema={media.schema} />
              <SchemaTree schema={media.schema} schemas={schemas} />
            </>
          ) : null}
        </div>
      ))}
    </>
  );
}

function Responses({ responses, schemas }: { responses: NonNullable<Operation["responses"]>; schemas: SchemaIndex }) {
  return (
    <>
      <h4>Responses</h4>
      <ul class="responses">
        {Object.entries(responses).map(([status, res]) => (
          <li>
            <span class={`status s${status[0]}`}>{status}</span> <Prose text={res.description} />
            {Object.entries(res.content ?? {}).map(([type, media]) => (
              <div class="media">
                <code class="ctype">{type}</code> {media.schema ? <SchemaLine schema={media.schema} /> : null}
                {/* Problem documents share one schema, listed once under Schemas; successes are expanded here. */}
                {media.schema && status.startsWith("2") ? <SchemaTree schema={media.schema} schemas={schemas} /> : null}
              </div>
            ))}
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * The try-it form of an operation: its parameters and JSON body as fields, sent by /docs-assets/try-it.js
 * (through the SDK, with the token and language at the top of the page). Without scripts it does nothing.
 */
function TryIt({ entry }: { entry: Entry }) {
  const { method, path, op } = entry;
  const params = (op.parameters ?? []).filter((p) => p.in === "path" || p.in === "query" || p.in === "header");
  const content = op.requestBody?.content ?? {};
  const json = "application/json" in content;
  const otherBody = !json && Object.keys(content).length > 0;
  return (
    <details class="try">
      <summary>Try it</summary>
      {otherBody ? (
        <p class="note">This operation takes a {Object.keys(content).join(" or ")} body: send it with curl or the SDK.</p>
      ) : (
        <form class="try-it" data-method={method} data-path={path} data-operation={op.operationId}>
          {params.map((p) => (
            <label>
              <code>{p.name}</code> <span class="in">{p.in}</span>
              <input
                name={`${p.in}:${p.name}`}
                data-in={p.in}
                data-name={p.name}
                data-idempotency-key={p.in === "header" && p.name.toLowerCase() === "idempotency-key" ? "" : undefined}
                placeholder={p.schema?.example !== undefined ? String(p.schema.example) : p.required ? "required" : "optional"}
              />
            </label>
          ))}
          {json ? (
            <label class="body">
              JSON body
              <textarea name="body" rows={4} spellcheck={false}>
                {op.requestBody?.required ? "{}" : ""}
              </textarea>
            </label>
          ) : null}
          <button type="submit">
            Send {method.toUpperCase()} {path}
          </button>
          <output class="try-out" />
        </form>
      )}
    </details>
  );
}

function OperationView({ entry, schemas }: { entry: Entry; schemas: SchemaIndex }) {
  const { method, path, op } = entry;
  return (
    <article class="op" id={entry.anchor}>
      <h3>
        <span class={`method ${method}`}>{method.toUpperCase()}</span> <code class="path">{path}</code>
        {op.operationId ? <code class="opid">{op.operationId}</code> : null}
      </h3>
      {op.summary ? <p class="summary">{op.summary}</p> : null}
      {op.deprecated ? <p class="deprecated">Deprecated.</p> : null}
      {op.description ? (
        <p>
          <Prose text={op.description} />
        </p>
      ) : null}
      <Auth op={op} />
      <Parameters params={op.parameters ?? []} />
      {op.requestBody ? <Body body={op.requestBody} schemas={schemas} /> : null}
      {op.responses ? <Responses responses={op.responses} schemas={schemas} /> : null}
      <TryIt entry={entry} />
    </article>
  );
}

const CSS = `
:root{color-scheme:light dark;--fg:#1d1f23;--muted:#5d6470;--bg:#fff;--card:#f6f7f9;--line:#dde1e6;--accent:#0b63c5}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#a0a7b2;--bg:#14161a;--card:#1d2026;--line:#2e333b;--accent:#6cb0ff}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:60rem;margin:0 auto;padding:1rem}
a{color:var(--accent)}
code{font:0.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
h1{font-size:1.6rem;margin:.5rem 0}h2{margin-top:2.5rem;border-bottom:1px solid var(--line);padding-bottom:.3rem}
h3{font-size:1.05rem;margin:0 0 .4rem;display:flex;gap:.5rem;align-items:baseline;flex-wrap:wrap}
h4{font-size:.85rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:1rem 0 .3rem}
nav ul{padding-left:1.2rem}nav li{margin:.15rem 0}
.op{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.9rem 1rem;margin:1rem 0}
.method{font:700 .75rem ui-monospace,monospace;padding:.15rem .45rem;border-radius:4px;color:#fff;background:#6b7280}
.get{background:#1a7f37}.post{background:#0b63c5}.put{background:#9a6700}.patch{background:#8250df}.delete{background:#cf222e}
.path{font-size:1rem}.summary{font-weight:600;margin:.2rem 0}
.auth{font-size:.9rem;padding:.35rem .6rem;border-radius:6px;border:1px solid var(--line)}
.props,.responses,.variants{margin:.3rem 0;padding-left:1.1rem}
.props li,.responses li,.variants li{margin:.25rem 0}
.props .props,.variants .props{border-left:2px solid var(--line);padding-left:.8rem}
.name{font-weight:600}.type{color:var(--accent);font-family:ui-monospace,monospace;font-size:.85em}
.facts,.in,.opt,.note,.desc{color:var(--muted);font-size:.85em}
.req{color:#cf222e;font-size:.75em;font-weight:600;margin-left:.3rem}.opt{margin-left:.3rem}
.desc{margin:.1rem 0 .2rem}
.status{display:inline-block;min-width:2.6rem;text-align:center;font:700 .8rem ui-monospace,monospace;border-radius:4px;padding:.05rem .3rem;border:1px solid var(--line)}
.s2{color:#1a7f37}.s4{color:#9a6700}.s5{color:#cf222e}
.media{margin:.2rem 0 .2rem .4rem}.ctype{color:var(--muted)}
.deprecated{color:#cf222e;font-weight:600}
.opid{color:var(--muted);font-size:.8em;margin-left:auto}
.try summary{cursor:pointer;color:var(--accent);margin-top:.6rem}
.try-it{display:grid;gap:.4rem;margin-top:.4rem}.try-it label{display:grid;gap:.15rem;font-size:.85em}
.try-it input,.try-it textarea,.try-box input,.try-box select{font:.9em ui-monospace,monospace;padding:.3rem;border:1px solid var(--line);border-radius:4px;background:var(--bg);color:var(--fg)}
.try-it button{justify-self:start;padding:.35rem .8rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
.try-out{display:block;white-space:pre-wrap;font:.85em ui-monospace,monospace;max-height:24rem;overflow:auto}
.try-box{position:sticky;top:0;z-index:1;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem .8rem;display:flex;gap:.6rem;flex-wrap:wrap;align-items:center;font-size:.9em}
.try-box input{flex:1;min-width:12rem}
`;

/** A page-specific policy: inline styles, the try-it script of this origin and calls to this origin only. */
export const DOCS_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The whole reference page, doctype included. */
export function DocsPage({ doc }: { doc: OpenApiDocument }) {
  const groups = operationsByTag(doc);
  const schemas = doc.components?.schemas ?? {};
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${doc.info.title} ${doc.info.version} reference`}</title>
          <style>{raw(CSS)}</style>
          <script type="module" src="/docs-assets/try-it.js"></script>
        </head>
        <body>
          <main>
            <h1>
              {doc.info.title} <small>{doc.info.version}</small>
            </h1>
            <p>
              <Prose text={doc.info.description} />
            </p>
            <p>
              OpenAPI {doc.openapi} document: <a href="/openapi.json">/openapi.json</a>. Sign in with <code>POST /v1/auth/otp</code> then{" "}
              <code>POST /v1/auth/token</code>; send the access token as <code>Authorization: Bearer …</code>. Errors are{" "}
              <code>application/problem+json</code> (<a href={`#${schemaAnchor("Problem")}`}>Problem</a>); human-readable text follows{" "}
              <code>Accept-Language</code> (<code>zh-CN</code> default, <code>en</code>).
            </p>
            <p>
              Typed client: the <code>@doorstep/sdk</code> package (<code>sdk/</code> in the repository). Also: error codes (
              <code>docs/errors.md</code>), WebSocket messages (<code>docs/websockets.md</code>), coordinates (
              <code>docs/coordinates.md</code>). Every operation has a <em>Try it</em> form that calls this server: sign in with{" "}
              <code>POST /v1/auth/otp</code> and <code>POST /v1/auth/token</code> there and the token is kept for the next calls.
            </p>
            <div class="try-box">
              <label for="try-token">Bearer token</label>
              <input id="try-token" autocomplete="off" placeholder="access token (kept for this tab)" />
              <label for="try-language">Language</label>
              <select id="try-language">
                <option value="zh-CN">zh-CN</option>
                <option value="en">en</option>
              </select>
            </div>
            <nav>
              <h2>Contents</h2>
              <ul>
                {[...groups].map(([tag, entries]) => (
                  <li>
                    <a href={`#${tagAnchor(tag)}`}>{tag}</a>
                    <ul>
                      {entries.map((e) => (
                        <li>
                          <a href={`#${e.anchor}`}>
                            <code>
                              {e.method.toUpperCase()} {e.path}
                            </code>
                          </a>{" "}
                          {e.op.summary}
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
                <li>
                  <a href="#schemas">Schemas</a>
                </li>
              </ul>
            </nav>
            {[...groups].map(([tag, entries]) => (
              <section id={tagAnchor(tag)}>
                <h2>{tag}</h2>
                {entries.map((entry) => (
                  <OperationView entry={entry} schemas={schemas} />
                ))}
              </section>
            ))}
            <section id="schemas">
              <h2>Schemas</h2>
              {Object.entries(schemas).map(([name, schema]) => (
                <article class="op" id={schemaAnchor(name)}>
                  <h3>
                    <code>{name}</code> <SchemaLine schema={schema} />
                  </h3>
                  {schema.description ? (
                    <p>
                      <Prose text={schema.description} />
                    </p>
                  ) : null}
                  <SchemaTree schema={schema} schemas={schemas} seen={[name]} />
                </article>
              ))}
            </section>
          </main>
        </body>
      </html>
    </>
  );
}
