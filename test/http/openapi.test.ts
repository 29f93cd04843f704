import { describe, expect, it } from "vitest";
import { call } from "../support/http";

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema?: { example?: unknown } }[];
  responses: Record<string, { content?: Record<string, unknown> }>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

async function loadDocument(): Promise<Document> {
  const res = await call<Document>("GET", "/openapi.json");
  expect(res.status).toBe(200);
  return res.body;
}

function operations(doc: Document) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ method, path, op, name: `${method.toUpperCase()} ${path}` })),
  );
}

/** True when the operation may be called without a token (an empty requirement `{}` in `security`). */
const anonymousAllowed = (op: Operation) =>
  !op.security || op.security.length === 0 || op.security.some((r) => Object.keys(r).length === 0);

const escapeHtml = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document whose operations are summarised, tagged, and document their problems", async () => {
    const doc = await loadDocument();
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(5);
    const gaps: string[] = [];
    for (const { name, op } of ops) {
      if (!op.summary?.trim()) gaps.push(`${name}: no summary`);
      if (!op.tags?.length) gaps.push(`${name}: no tags`);
      const required = op.security?.length ? ["400", "401", "403", "500"] : ["400", "500"];
      for (const status of required) {
        if (!op.responses[status]?.content?.["application/problem+json"]) gaps.push(`${name}: no ${status} problem response`);
      }
    }
    expect(gaps).toEqual([]);
  });

  it("lists only routes that exist: each answers a tokenless call with a documented status, never 404 ROUTE_NOT_FOUND or 5xx", async () => {
    const doc = await loadDocument();
    const wrong: string[] = [];
    for (const { method, path, op, name } of operations(doc)) {
      const params = new Map((op.parameters ?? []).filter((p) => p.in === "path").map((p) => [p.name, p.schema?.example]));
      const url = path.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(String(params.get(p) ?? `missing_${p}`)));
      const write = method === "post" || method === "put" || method === "patch";
      const res = await call(method.toUpperCase(), url, write ? { body: {} } : {});
      const said = `${name} → ${res.status} ${res.body?.code ?? ""}`;
      if (res.status === 404 && res.body?.code === "ROUTE_NOT_FOUND") wrong.push(`${said}: documented but not routed`);
      else if (res.status >= 500) wrong.push(`${said}: server error`);
      else if (!op.responses[String(res.status)]) wrong.push(`${said}: status not documented`);
      else if (!anonymousAllowed(op) && res.status !== 401) wrong.push(`${said}: guarded route did not ask for a token`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("GET /docs", () => {
  it("is a self-contained HTML reference naming every path and operation of the document", async () => {
    const doc = await loadDocument();
    const res = await call<string>("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const html = res.body;
    expect(html.startsWith("<!doctype html>")).toBe(true);
    const missing = operations(doc).flatMap(({ path, op, name }) => {
      const out: string[] = [];
      if (!html.includes(escapeHtml(path))) out.push(`${name}: path`);
      if (op.summary && !html.includes(escapeHtml(op.summary))) out.push(`${name}: summary`);
      return out;
    });
    expect(missing).toEqual([]);
    // Works offline: one script, the try-it forms' own from this origin; nothing from anywhere else.
    expect([...html.matchAll(/<script[^>]*>/gi)].map((m) => m[0])).toEqual(['<script type="module" src="/docs-assets/try-it.js">']);
    expect(res.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
    expect(html).not.toMatch(/<link|\b(src|href)="(https?:)?\/\//i);
    // A try-it form per operation that takes JSON or no body.
    expect(html.match(/<form class="try-it"/g)?.length).toBe(
      operations(doc).filter(({ op }) => {
        const body = (op as { requestBody?: { content: Record<string, unknown> } }).requestBody;
        return !body || "application/json" in body.content;
      }).length,
    );
  });

  it("stays out of the OpenAPI document it renders", async () => {
    const doc = await loadDocument();
    expect(Object.keys(doc.paths)).not.toContain("/docs");
  });
});
