import { describe, expect, it } from "vitest";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, signInAdmin } from "../support/http";

describe("cities", () => {
  it("operator creates a city covering H3 cells; anyone lists it", async () => {
    const admin = await signInAdmin();
    const res = await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "Test City", timeZone: "Asia/Shanghai", center: freshCenter(), radiusKm: 30 },
    });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^cty_/);
    expect(res.body.resolution).toBe(5);
    expect(res.body.cells.length).toBeGreaterThan(5);
    const list = await call("GET", "/v1/cities");
    expect(list.status).toBe(200);
    expect(list.body.items.find((c: { id: string }) => c.id === res.body.id)?.cells).toEqual(res.body.cells);
  });

  it("rejects an unknown time zone and impossible coordinates, changing nothing", async () => {
    const admin = await signInAdmin();
    const before = (await call("GET", "/v1/cities")).body.items.length;
    const tz = await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "X", timeZone: "Mars/Olympus", center: freshCenter(), radiusKm: 10 },
    });
    expectProblem(tz, 400, "VALIDATION_FAILED");
    expect(tz.body.errors[0].path).toBe("body.timeZone");
    const lat = await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "X", timeZone: "UTC", center: { lat: 95, lng: 0 }, radiusKm: 10 },
    });
    expectProblem(lat, 400, "VALIDATION_FAILED");
    expect(lat.body.errors.map((e: { path: string }) => e.path)).toContain("body.center.lat");
    expectProblem(
      await call("POST", "/v1/admin/cities", {
        token: admin.token,
        body: { name: "X", timeZone: "UTC", center: freshCenter(), radiusKm: -1 },
      }),
      400,
    );
    expect((await call("GET", "/v1/cities")).body.items.length).toBe(before);
  });

  it("refuses a city that overlaps another with 409 CITY_OVERLAP", async () => {
    const admin = await signInAdmin();
    const center = freshCenter();
    expect(
      (await call("POST", "/v1/admin/cities", { token: admin.token, body: { name: "A", timeZone: "UTC", center, radiusKm: 20 } })).status,
    ).toBe(201);
    const res = await call("POST", "/v1/admin/cities", {
      token: admin.token,
      body: { name: "B", timeZone: "UTC", center: { lat: center.lat + 0.05, lng: center.lng }, radiusKm: 20 },
    });
    expectProblem(res, 409, "CITY_OVERLAP");
  });

  it("needs a token (401) and an operator role (403)", async () => {
    const body = { name: "X", timeZone: "UTC", center: freshCenter(), radiusKm: 10 };
    expectProblem(await call("POST", "/v1/admin/cities", { body }), 401);
    const customer = await signIn();
    expectProblem(await call("POST", "/v1/admin/cities", { token: customer.token, body }), 403, "FORBIDDEN");
  });
});
