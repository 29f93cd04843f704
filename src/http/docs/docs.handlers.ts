import { exports } from "cloudflare:workers";
import { createRouter } from "../openapi";
import { DOCS_CSP, DocsPage, type OpenApiDocument } from "./docs.page";

/**
 * GET /docs: the human-readable API reference, rendered on the server from the document this same
 * Worker serves at /openapi.json (fetched through its own entrypoint, so the page can never drift
 * from the document). Registered with plain `get`, it stays out of the OpenAPI document itself.
 */
export default createRouter().get("/docs", async (c) => {
  const res = await exports.default.fetch(
    new Request(new URL("/openapi.json", c.req.url), { headers: { "X-Request-Id": c.get("requestId") } }),
  );
  if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`);
  const doc = await res.json<OpenApiDocument>();
  c.header("Content-Security-Policy", DOCS_CSP);
  c.header("Cache-Control", "no-cache");
  return c.html(DocsPage({ doc }), 200);
});
