import { describe, expect, it } from "vitest";
import { call, expectProblem, signInAdmin } from "../support/http";

// The benchmark routes belong to the benchmark Worker (bench/worker.ts) only.
describe("the production Worker has no benchmark routes", () => {
  it("answers 404 ROUTE_NOT_FOUND for every /v1/bench route, even to an admin, and lists none in the OpenAPI document", async () => {
    const admin = await signInAdmin();
    for (const [method, path] of [
      ["GET", "/v1/bench/noop"],
      ["GET", "/v1/bench/cells/abc/ping"],
      ["POST", "/v1/bench/naive-orders"],
      ["GET", "/v1/bench/naive-orders/audit"],
      ["POST", "/v1/bench/cells/abc/bookings"],
      ["GET", "/v1/bench/cells/abc/presence"],
    ] as const) {
      expectProblem(await call(method, path, { token: admin.token, body: method === "POST" ? {} : undefined }), 404, "ROUTE_NOT_FOUND");
    }
    const doc = await call("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths).filter((p) => p.includes("/bench"))).toEqual([]);
  });
});
