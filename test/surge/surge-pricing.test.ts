import { env } from "cloudflare:test";
import { config } from "../../src/config";
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { newCustomer, quote, at } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signInAdmin, signInWithRoles } from "../support/http";
import { cellAt, createWorld } from "../support/world";

async function cellWorld() {
  const p = freshCenter(-50, -45);
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  return createWorld({ lat, lng });
}

/** Records the cell as surging, as the cell-events consumer would. */
async function surging(cell: string, cityId: string) {
  await env.DB.prepare(
    "INSERT INTO surge_states (cell_id, city_id, state, since, demand, supply, ratio) VALUES (?, ?, 'surging', ?, 9, 1, 9)",
  )
    .bind(cell, cityId, Date.now())
    .run();
}

interface Line {
  code: string;
  label: unknown;
  amount: { amount: number; currency: string };
}
const surgeLine = (q: { lines: Line[] }) => q.lines.find((l) => l.code === "surge");

describe("the surge line of a quote", () => {
  it("is added in a surging cell when the city's operators switched it on, within their caps", async () => {
    const w = await cellWorld();
    await surging(cellAt(w.center), w.cityId);
    const admin = await signInAdmin();
    const put = await call("PUT", `/v1/admin/cities/${w.cityId}/surge-settings`, {
      token: admin.token,
      body: { pricing: { enabled: true, percent: 10, maxAmount: 300 } },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      pricing: { enabled: true, percent: 10, maxAmount: 300 },
      notify: { enabled: false, ring: 1, cooldownMinutes: 60 },
      caps: { maxPercent: 20, maxAmount: 5000 },
    });
    const c = await newCustomer(w.center);
    const q = await quote(w, c, at(w, 2, "10:00"));
    const subtotal = (q.lines as Line[])
      .filter((l) => ["base", "units"].includes(l.code) || l.code.startsWith("extra:"))
      .reduce((s, l) => s + l.amount.amount, 0);
    const line = surgeLine(q);
    expect(line).toBeDefined();
    expect(subtotal).toBeGreaterThan(0);
    expect(line!.amount.amount).toBe(Math.min(300, Math.floor((subtotal * 10 + 50) / 100)));
    expect(line!.label).toEqual({ zh: "高峰时段加价", en: "Peak demand surcharge" });
    expect(q.total.amount).toBe((q.lines as Line[]).reduce((s, l) => s + l.amount.amount, 0));
  });

  it("is absent when surge pricing is off (the default), even in a surging cell", async () => {
    const w = await cellWorld();
    await surging(cellAt(w.center), w.cityId);
    const c = await newCustomer(w.center);
    expect(surgeLine(await quote(w, c, at(w, 2, "10:00")))).toBeUndefined();
    const admin = await signInAdmin();
    const got = await call("GET", `/v1/admin/cities/${w.cityId}/surge-settings`, { token: admin.token });
    expect(got.body.pricing).toEqual({ enabled: false, percent: 0, maxAmount: 0 });
  });

  it("is absent in a normal cell even when switched on", async () => {
    const w = await cellWorld();
    const admin = await signInAdmin();
    await call("PUT", `/v1/admin/cities/${w.cityId}/surge-settings`, {
      token: admin.token,
      body: { pricing: { enabled: true, percent: 20, maxAmount: 5000 } },
    });
    const c = await newCustomer(w.center);
    expect(surgeLine(await quote(w, c, at(w, 2, "10:00")))).toBeUndefined();
  });
});

describe("surge settings", () => {
  it("refuses more than the deployment's caps and changes nothing", async () => {
    const w = await cellWorld();
    const admin = await signInAdmin();
    const url = `/v1/admin/cities/${w.cityId}/surge-settings`;
    const above = await call("PUT", url, { token: admin.token, body: { pricing: { enabled: true, percent: 21, maxAmount: 5001 } } });
    expectProblem(above, 400, "SURGE_ABOVE_CAP");
    // each field above its cap is named, so a form shows the problem next to it
    expect(above.body.errors.map((e: { path: string }) => e.path)).toEqual(["body.pricing.percent", "body.pricing.maxAmount"]);
    expectProblem(
      await call("PUT", url, { token: admin.token, body: { pricing: { enabled: true, percent: 21, maxAmount: 100 } } }),
      400,
      "SURGE_ABOVE_CAP",
    );
    expectProblem(
      await call("PUT", url, { token: admin.token, body: { pricing: { enabled: true, percent: 5, maxAmount: 5001 } } }),
      400,
      "SURGE_ABOVE_CAP",
    );
    expectProblem(
      await call("PUT", url, { token: admin.token, body: { pricing: { enabled: true, percent: 5, maxAmount: 1, extra: 1 } } }),
      400,
      "VALIDATION_FAILED",
    );
    expect((await call("GET", url, { token: admin.token })).body.pricing).toEqual({ enabled: false, percent: 0, maxAmount: 0 });
    expectProblem(
      await call("PUT", `/v1/admin/cities/cty_nope/surge-settings`, {
        token: admin.token,
        body: { pricing: { enabled: false, percent: 0, maxAmount: 0 } },
      }),
      404,
      "NOT_FOUND",
    );
    const merchant = await signInWithRoles(["merchant_admin"]);
    expectProblem(await call("GET", url, { token: merchant.token }), 403, "FORBIDDEN");
  });
});

describe("surge configuration", () => {
  it("refuses an exit ratio that is not below the enter ratio, naming the variable", () => {
    expect(() => config({ ...env, SURGE_ENTER_RATIO: "2", SURGE_EXIT_RATIO: "2" })).toThrow(/SURGE_EXIT_RATIO/);
    expect(config({ ...env, SURGE_ENTER_RATIO: "2.5", SURGE_EXIT_RATIO: "0.5" })).toMatchObject({
      SURGE_ENTER_RATIO: 2.5,
      SURGE_EXIT_RATIO: 0.5,
    });
  });
});
