/**
 * Fuzzing every operation of `/openapi.json` (test/security/fuzz-*.test.ts): requests built by
 * fast-check from the operation's own description (its path, query and body parameters) with wrong
 * types, missing fields, huge strings, unicode, path tricks, extreme numbers, wrong content types and
 * malformed JSON; every answer must be below 500, every 4xx a problem+json with a catalogued code,
 * and a run answered only with 4xx must leave every D1 table as it was.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { exports } from "cloudflare:workers";
import { readAnswer, type Called } from "./http";

export interface Operation {
  key: string;
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** Property names of the JSON body, when it takes one. */
  bodyProps: string[] | null;
  /** Media types of a non-JSON body (uploads). */
  uploadTypes: string[];
}

interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> };
}

/** The operations of an OpenAPI document, with their parameters and body fields. */
export function operationsOf(doc: {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> };
}): Operation[] {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const deref = (s: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
    s && typeof s.$ref === "string" ? schemas[s.$ref.split("/").pop()!] : s;
  const propsOf = (s: Record<string, unknown> | undefined): string[] => {
    const schema = deref(s);
    if (!schema) return [];
    const own = Object.keys((schema.properties as Record<string, unknown>) ?? {});
    const alternatives = [...((schema.anyOf as Record<string, unknown>[]) ?? []), ...((schema.oneOf as Record<string, unknown>[]) ?? [])];
    return [...new Set([...own, ...alternatives.flatMap(propsOf)])];
  };
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => {
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const json = content["application/json"];
      return {
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        queryParams: params.filter((p) => p.in === "query").map((p) => p.name),
        bodyProps: json ? propsOf(json.schema) : null,
        uploadTypes: Object.keys(content).filter((t) => t !== "application/json"),
      };
    }),
  );
}

const MB = 1024 * 1024;

/** Values of the wrong type, at the edges, or hostile. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    -0.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    -2147483649,
    "",
    " ",
    "NaN",
    "Infinity",
    "-1",
    "1e309",
    "99999999999999999999999999",
    "0x10",
    "../../../etc/passwd",
    "..%2F..%2Fadmin",
    "a\u0000b",
    "\u202e\u0000\ud83d\ude00",
    "Mars/Olympus_Mons",
    "Etc/GMT+99",
    "2026-02-30",
    "2026-13-45T25:61:61+08:00",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "<script>alert(1)</script>",
    "'; DROP TABLE orders; --",
    "=cmd|'/c calc'!A1",
    "订单🙂",
    [],
    {},
    [null],
    { $ref: "#/x" },
    { __proto__: { admin: true } },
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
  fc.constant("x".repeat(100_000)),
);

/** A value for a path segment: written raw (path tricks) or encoded. */
const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "..",
    "../admin",
    "..%2F..%2Fadmin%2Fcities",
    "%2e%2e%2f%2e%2e",
    "a%2Fb",
    "%00",
    "ord_1%00",
    "%",
    "%zz",
    "%E4%B8",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "%20",
    "null",
    "undefined",
    "__proto__",
    "constructor",
    encodeURIComponent("订单🙂"),
    encodeURIComponent("\u202e"),
    "a".repeat(65),
    "b".repeat(10_000),
  ),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", maxLength: 10 }).map(encodeURIComponent),
);

const queryValue: fc.Arbitrary<string> = hostileValue.map((v) => (typeof v === "string" ? v : (JSON.stringify(v) ?? "")));

export interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body?: BodyInit;
  /** What the body is, for the report. */
  kind: string;
}

const malformed = fc.constantFrom(
  '{"a":',
  "{'a':1}",
  "[]]",
  "\u0000",
  '{"a":1}x',
  "nul",
  '{"a":"\\u12"}',
  '{"__proto__":{"x":1}}',
  "1e99999",
  "\ufeff{}",
);
const contentTypes = fc.constantFrom(
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "image/png",
  "",
);

/** Requests for `op`, its path parameters replaced by `ids` (real ids where one fits) or by hostile text. */
export function requestsFor(op: Operation, ids: (param: string, path: string) => string | undefined): fc.Arbitrary<FuzzRequest> {
  const segments = fc.record(
    Object.fromEntries(
      op.pathParams.map((p) => [
        p,
        ids(p, op.path) ? fc.oneof(fc.constant(encodeURIComponent(ids(p, op.path)!)), pathSegment) : pathSegment,
      ]),
    ),
  ) as fc.Arbitrary<Record<string, string>>;
  const query = fc.dictionary(fc.constantFrom(...(op.queryParams.length ? op.queryParams : ["x"]), "limit", "cursor"), queryValue, {
    maxKeys: 4,
  });
  const props = op.bodyProps?.length ? op.bodyProps : ["x"];
  const body: fc.Arbitrary<{ kind: string; body?: BodyInit; type?: string }> = fc.oneof(
    // the declared fields with values of the wrong type, some missing, some unknown
    fc.dictionary(fc.oneof(fc.constantFrom(...props), fc.string({ maxLength: 8 })), hostileValue, { maxKeys: 6 }).map((b) => ({
      kind: "fields",
      body: JSON.stringify(b),
      type: "application/json",
    })),
    fc.jsonValue({ maxDepth: 3 }).map((b) => ({ kind: "json", body: JSON.stringify(b), type: "application/json" })),
    malformed.map((b) => ({ kind: "malformed", body: b, type: "application/json" })),
    fc.tuple(contentTypes, fc.jsonValue({ maxDepth: 2 })).map(([type, b]) => ({ kind: `type ${type}`, body: JSON.stringify(b), type })),
    fc
      .constantFrom(MB, 64 * 1024 + 1)
      .map((n) => ({ kind: `huge ${n}`, body: JSON.stringify({ [props[0]!]: "x".repeat(n) }), type: "application/json" })),
    fc
      .uint8Array({ maxLength: 64 })
      .chain((bytes) =>
        fc
          .constantFrom(...(op.uploadTypes.length ? op.uploadTypes : ["application/octet-stream"]), "application/json")
          .map((type) => ({ kind: `bytes ${type}`, body: bytes, type })),
      ),
    fc.constant({ kind: "none" }),
  );
  return fc.record({ segments, query, body, idempotency: fc.boolean() }).map(({ segments, query, body, idempotency }) => {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? "x");
    const qs = new URLSearchParams(query).toString();
    const headers: Record<string, string> = {};
    if (body.type !== undefined && body.body !== undefined) headers["Content-Type"] = body.type;
    if (idempotency) headers["Idempotency-Key"] = `fuzz-${Math.random().toString(36).slice(2)}`;
    const withBody = op.method !== "GET" && op.method !== "HEAD";
    return { path: qs ? `${path}?${qs}` : path, headers, body: withBody ? body.body : undefined, kind: withBody ? body.kind : "none" };
  });
}

/** A valid request of an operation (as the authorization matrix builds it), to mutate. */
export interface BaseRequest {
  path: string;
  body?: unknown;
  bytes?: { type: string; bytes: Uint8Array };
}

/** The path's segments that fill the template's `{param}`s, by index. */
function paramSegments(template: string, path: string): number[] {
  const t = template.split("/");
  const p = path.split("?")[0]!.split("/");
  return t.length === p.length ? t.flatMap((seg, i) => (/^\{\w+\}$/.test(seg) ? [i] : [])) : [];
}

/**
 * Requests one step away from a valid one: one body field of the wrong type, missing or unknown; one
 * query parameter hostile; one path parameter replaced; the right body under a wrong content type.
 * Everything else stays valid, so the request gets past validation to the code behind it.
 */
export function mutationsOf(op: Operation, base: BaseRequest): fc.Arbitrary<FuzzRequest> {
  const [basePath, baseQuery = ""] = base.path.split("?") as [string, string?];
  const query = Object.fromEntries(new URLSearchParams(baseQuery));
  const body =
    base.body !== undefined && typeof base.body === "object" && base.body !== null && !Array.isArray(base.body)
      ? (base.body as Record<string, unknown>)
      : {};
  const fields = [...new Set([...Object.keys(body), ...(op.bodyProps ?? [])])];
  const params = paramSegments(op.path, basePath);
  const json = (b: unknown, kind: string, path = base.path): FuzzRequest => ({
    path,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(b),
    kind,
  });
  const asIs = (): FuzzRequest =>
    base.bytes
      ? { path: base.path, headers: { "Content-Type": base.bytes.type }, body: base.bytes.bytes, kind: "upload" }
      : base.body !== undefined || (op.method !== "GET" && op.method !== "DELETE")
        ? json(base.body ?? {}, "valid")
        : { path: base.path, headers: {}, kind: "valid" };
  const choices: fc.Arbitrary<FuzzRequest>[] = [];
  if (fields.length && !base.bytes && op.method !== "GET") {
    choices.push(
      fc.tuple(fc.constantFrom(...fields), hostileValue).map(([f, v]) => json({ ...body, [f]: v }, `field ${f}`)),
      fc.constantFrom(...fields).map((f) => {
        const rest = { ...body };
        delete rest[f];
        return json(rest, `without ${f}`);
      }),
      fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), hostileValue).map(([f, v]) => json({ ...body, [f]: v }, `unknown ${f}`)),
    );
  }
  if (op.queryParams.length) {
    choices.push(
      fc.tuple(fc.constantFrom(...op.queryParams), queryValue).map(([q, v]) => {
        const qs = new URLSearchParams({ ...query, [q]: v }).toString();
        return { ...asIs(), path: `${basePath}?${qs}`, kind: `query ${q}` };
      }),
    );
  }
  if (params.length) {
    choices.push(
      fc.tuple(fc.constantFrom(...params), pathSegment).map(([i, seg]) => {
        const parts = basePath.split("/");
        parts[i] = seg;
        return { ...asIs(), path: `${parts.join("/")}${baseQuery ? `?${baseQuery}` : ""}`, kind: `path ${i}` };
      }),
    );
  }
  if (op.method !== "GET" && op.method !== "DELETE") {
    choices.push(
      contentTypes.map((type) => ({ ...asIs(), headers: { "Content-Type": type }, kind: `as ${type}` })),
      fc.constantFrom(MB, 64 * 1024 + 1).map((n) => json({ ...body, [fields[0] ?? "x"]: "x".repeat(n) }, `huge ${n}`)),
      malformed.map((m) => ({ path: base.path, headers: { "Content-Type": "application/json" }, body: m, kind: "malformed" })),
    );
  }
  if (!choices.length) choices.push(fc.constant(asIs()));
  return fc.oneof(...choices);
}

/** Sends a fuzzed request as the holder of `token` (none when null). */
export async function sendFuzz(method: string, req: FuzzRequest, token: string | null): Promise<Called> {
  const headers = { ...req.headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  return readAnswer(await exports.default.fetch(new Request(`http://doorstep.test${req.path}`, { method, headers, body: req.body })));
}

/**
 * Row counts of every table of the D1 database but the metrics rollup (telemetry: a refused provider
 * webhook is counted there by design, and changes no state).
 */
let tables: { name: string }[] | undefined;
export async function tableCounts(): Promise<Record<string, number>> {
  const results = (tables ??= (
    await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT IN ('d1_migrations', 'metrics_hourly')",
    ).all<{ name: string }>()
  ).results);
  // One batch (one round trip): a column per table, at most 90 columns a statement (D1 refuses a result set of more than 100).
  const parts: { name: string; i: number }[][] = [];
  results.forEach((t, i) => {
    if (i % 90 === 0) parts.push([]);
    parts[parts.length - 1]!.push({ name: t.name, i });
  });
  const rows = await env.DB.batch<Record<string, number>>(
    parts.map((part) => env.DB.prepare(`SELECT ${part.map((t) => `(SELECT count(*) FROM "${t.name}") AS c${t.i}`).join(", ")}`)),
  );
  const row = Object.assign({}, ...rows.map((r) => r.results[0]));
  return Object.fromEntries(results.map((t, i) => [t.name, Number(row[`c${i}`])]));
}

/** Waits until the counts stop changing (the queue consumers and cells finish what set-up started). */
export async function settledCounts(quietMs = 1500, timeoutMs = 30_000): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let last = await tableCounts();
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = await tableCounts();
    if (JSON.stringify(now) === JSON.stringify(last) || Date.now() > deadline) return now;
    last = now;
  }
}

/** The tables whose counts differ. */
export function changedTables(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}
