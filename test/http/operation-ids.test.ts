import { describe, expect, it } from "vitest";
import committed from "../../sdk/openapi.json";
import { call } from "../support/http";

type Document = { paths: Record<string, Record<string, { operationId?: string }>> };

describe("operationIds in /openapi.json", () => {
  it("every operation has one, camelCase and unique", async () => {
    const res = await call<Document>("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const ids = Object.entries(res.body.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, id: op.operationId })),
    );
    expect(ids.length).toBeGreaterThan(100);
    expect(ids.filter((o) => !/^[a-z][A-Za-z0-9]+$/.test(o.id ?? "")).map((o) => o.at)).toEqual([]);
    const repeated = ids.filter((o, i) => ids.findIndex((p) => p.id === o.id) !== i).map((o) => `${o.id} (${o.at})`);
    expect(repeated).toEqual([]);
  });

  it("the served document is the one the SDK was generated from (npm run sdk after changing a route)", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.body).toEqual(committed);
  });
});
