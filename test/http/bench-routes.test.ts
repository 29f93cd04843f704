import { describe, expect, it } from "vitest";
import * as benchRoutes from "../../bench/worker/bench.routes";
import { call, expectProblem, signInAdmin } from "../support/http";

/** Every route the benchmark Worker adds (bench/worker/bench.routes.ts), as a concrete request. */
const BENCH_ROUTES = Object.values(benchRoutes)
  .filter((r): r is { method: string; path: string } & typeof r => typeof r === "object" && r !== null && "method" in r && "path" in r)
  .map((r) => ({ method: String(r.method).toUpperCase(), path: String(r.path).replace(/\{\w+\}/g, "abc") }));

// The benchmark routes belong to the benchmark Worker (bench/worker.ts) only.
describe("the production Worker has no benchmark routes", () => {
  it("answers 404 ROUTE_NOT_FOUND for every /v1/bench route, anonymous or admin, and lists none in the OpenAPI document", async () => {
    expect(BENCH_ROUTES.length).toBeGreaterThanOrEqual(8);
    const admin = await signInAdmin();
    for (const { method, path } of [
      ...BENCH_ROUTES,
      { method: "GET", path: "/v1/bench" },
      { method: "GET", path: "/v1/bench/anything/else" },
    ]) {
      for (const token of [undefined, admin.token]) {
        const body = method === "POST" ? {} : undefined;
        expectProblem(await call(method, path, { token, body }), 404, "ROUTE_NOT_FOUND");
      }
    }
    const doc = await call("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths).filter((p) => p.includes("/bench"))).toEqual([]);
  });
});
