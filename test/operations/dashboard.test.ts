import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, expectProblem, signIn, signInWithRoles } from "../support/http";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { addTechnician, cellAt, createWorld, insertService, merchantWorld, type TestTechnician, type World } from "../support/world";
import { at, book, newCustomer, quote, task } from "../support/booking";

async function goOnline(t: TestTechnician, pos?: { lat: number; lng: number }) {
  const s = await t.session();
  expect((await call("POST", "/v1/technician/status", { token: s.token, body: { online: true } })).status).toBe(200);
  if (pos) expect((await call("POST", "/v1/technician/presence", { token: s.token, body: pos })).status).toBe(200);
  return s;
}

async function bookAt(w: World, days: number, hhmm = "10:00") {
  const customer = await newCustomer(w.center);
  const res = await book(customer, await quote(w, customer, at(w, days, hhmm)));
  expect(res.status).toBe(201);
  return { customer, order: res.body };
}

describe("GET /v1/admin/cities/{id}/live", () => {
  it("shows every cell as a hexagon, technicians by state at their reported or home position, and open orders tinting their cell", async () => {
    const w = await createWorld(freshCenter());
    const moving = await addTechnician(w, w.center);
    const idle = await addTechnician(w, w.center);
    const away = { lat: w.center.lat + 0.01, lng: w.center.lng + 0.01 };
    await goOnline(moving, away);
    const { order } = await bookAt(w, 2);

    const res = await call("GET", `/v1/admin/cities/${w.cityId}/live?hours=96`, { token: w.admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ cityId: w.cityId, timeZone: "Asia/Shanghai" });
    expect(res.body.cells.map((c: { id: string }) => c.id).sort()).toEqual([...w.cells].sort());
    for (const c of res.body.cells) expect(c.boundary.length).toBeGreaterThanOrEqual(5);
    const byId = new Map(res.body.technicians.map((t: { id: string }) => [t.id, t]));
    expect(byId.get(moving.id)).toMatchObject({ state: "online", located: "reported", position: away });
    expect(byId.get(idle.id)).toMatchObject({ state: "offline", located: "home", position: w.center });
    const pin = res.body.orders.find((o: { id: string }) => o.id === order.id);
    expect(pin).toMatchObject({ status: "assigned", cell: cellAt(w.center), technicianId: order.technician.id });
    // pins are the order's area (rounded to 0.01°, about 1 km): the exact address needs an audited reveal
    expect(pin.position).toEqual({ lat: Math.round(w.center.lat * 100) / 100, lng: Math.round(w.center.lng * 100) / 100 });
    const home = res.body.cells.find((c: { id: string }) => c.id === cellAt(w.center));
    expect(home).toMatchObject({ openOrders: 1, onlineTechnicians: 1, load: 1 });
  });

  it("marks a technician on the way as busy and leaves orders beyond the look-ahead out", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const s = await goOnline(t, w.center);
    const { order } = await bookAt(w, 2);
    expect((await task(s, order.id, "accept")).status).toBe(200);
    expect((await task(s, order.id, "depart")).status).toBe(200);
    const res = await call("GET", `/v1/admin/cities/${w.cityId}/live?hours=96`, { token: w.admin.token });
    expect(res.body.technicians.find((x: { id: string }) => x.id === t.id).state).toBe("busy");
    const near = await call("GET", `/v1/admin/cities/${w.cityId}/live?hours=1`, { token: w.admin.token });
    expect(near.body.orders.map((o: { id: string }) => o.id)).not.toContain(order.id);
  });

  it("shows a merchant_admin only its own technicians and orders", async () => {
    const { w, merchantId, merchantAdmin } = await merchantWorld({ technician: false });
    const own = await addTechnician(w, w.center, { merchantId });
    const platform = await addTechnician(w, w.center);
    const { order } = await bookAt(w, 2);
    const otherService = await insertService({
      skills: [w.skill],
      cityId: w.cityId,
      leadTimeMinutes: 60,
      horizonDays: 14,
      durationMinutes: 60,
    });
    const customer = await newCustomer(w.center);
    const foreign = await book(customer, await quote({ ...w, serviceId: otherService }, customer, at(w, 3, "11:00")));
    expect(foreign.status).toBe(201);

    const res = await call("GET", `/v1/admin/cities/${w.cityId}/live?hours=120`, { token: merchantAdmin.token });
    expect(res.status).toBe(200);
    const techIds = res.body.technicians.map((t: { id: string }) => t.id);
    expect(techIds).toContain(own.id);
    expect(techIds).not.toContain(platform.id);
    const orderIds = res.body.orders.map((o: { id: string }) => o.id);
    expect(orderIds).toEqual([order.id]);
    const operator = await call("GET", `/v1/admin/cities/${w.cityId}/live?hours=120`, { token: w.admin.token });
    expect(operator.body.orders.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([order.id, foreign.body.id]));
  });

  it("refuses bad input, strangers and unknown cities", async () => {
    const w = await createWorld(freshCenter());
    expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/live`), 401);
    const customer = await signIn();
    expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/live`, { token: customer.token }), 403);
    expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/live?hours=0`, { token: w.admin.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", `/v1/admin/cities/cty_nope/live`, { token: w.admin.token }), 404);
    const orphan = await signInWithRoles(["merchant_admin"], null);
    expectProblem(await call("GET", `/v1/admin/cities/${w.cityId}/live`, { token: orphan.token }), 403);
  });
});

describe("POST /v1/admin/orders/{id}/contact", () => {
  it("reveals the booked address and contact to an operator and to the order's merchant, each reveal audited", async () => {
    const { w, merchantId, merchantAdmin } = await merchantWorld({ technician: false });
    await addTechnician(w, w.center, { merchantId });
    const { order } = await bookAt(w, 2);
    const res = await call("POST", `/v1/admin/orders/${order.id}/contact`, { token: w.admin.token, body: { reason: "customer called" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      orderId: order.id,
      label: "家",
      text: "测试路 1 号 101 室",
      contactName: "张三",
      contactPhone: "+8613912345678",
      location: w.center,
    });
    const mine = await call("POST", `/v1/admin/orders/${order.id}/contact`, { token: merchantAdmin.token, body: { reason: "visit prep" } });
    expect(mine.status).toBe(200);
    const audit = await env.DB.prepare(
      "SELECT actor_id, data FROM audit_log WHERE action = 'order.contact.reveal' AND target_id = ? ORDER BY seq",
    )
      .bind(order.id)
      .all<{ actor_id: string; data: string }>();
    expect(audit.results.map((r) => [r.actor_id, JSON.parse(r.data).reason])).toEqual([
      [w.admin.accountId, "customer called"],
      [merchantAdmin.accountId, "visit prep"],
    ]);
  });

  it("answers 404 to another merchant, 403 to a customer, 401 without a token and 400 without a reason, revealing nothing", async () => {
    const { w, merchantId } = await merchantWorld({ technician: false });
    await addTechnician(w, w.center, { merchantId });
    const { order, customer } = await bookAt(w, 2);
    const otherAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant("Other"));
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'order.contact.reveal' AND target_id = ?")
        .bind(order.id)
        .first<{ n: number }>())!.n;
    expectProblem(await call("POST", `/v1/admin/orders/${order.id}/contact`, { token: otherAdmin.token, body: { reason: "x" } }), 404);
    expectProblem(
      await call("POST", `/v1/admin/orders/${order.id}/contact`, { token: customer.session.token, body: { reason: "x" } }),
      403,
    );
    expectProblem(await call("POST", `/v1/admin/orders/${order.id}/contact`, { body: { reason: "x" } }), 401);
    expectProblem(await call("POST", `/v1/admin/orders/${order.id}/contact`, { token: w.admin.token, body: {} }), 400, "VALIDATION_FAILED");
    expectProblem(await call("POST", `/v1/admin/orders/ord_missing/contact`, { token: w.admin.token, body: { reason: "x" } }), 404);
    expect(await count()).toBe(0);
  });
});

describe("GET /v1/admin/orders/{id}/candidates", () => {
  it("ranks who could take a manual-dispatch order now, and the best one can be assigned", async () => {
    const w = await createWorld(freshCenter(), { dispatchMode: "manual" });
    const techs = [
      await addTechnician(w, w.center),
      await addTechnician(w, { lat: w.center.lat + 0.03, lng: w.center.lng }),
      await addTechnician(w, { lat: w.center.lat + 0.08, lng: w.center.lng }),
    ];
    const unskilled = await addTechnician(w, w.center, { skills: [w.otherSkill] });
    const { order } = await bookAt(w, 2);
    // manual dispatch: the booking holds the interval on someone, and waits for staff to assign
    expect(order.status).toBe("dispatching");
    const holder = order.technician.id;
    const free = techs.map((t) => t.id).filter((id) => id !== holder);
    const res = await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: w.admin.token });
    expect(res.status).toBe(200);
    const ids = res.body.items.map((c: { technicianId: string }) => c.technicianId);
    expect(ids).toEqual(free);
    expect(ids).not.toContain(unskilled.id);
    expect(res.body.items[0]).toMatchObject({
      name: expect.any(String),
      score: expect.any(Number),
      breakdown: expect.objectContaining({ travel: expect.any(Number) }),
    });
    expect(res.body.items[0].score).toBeGreaterThanOrEqual(res.body.items[1].score);
    const assigned = await call("POST", `/v1/admin/orders/${order.id}/assign`, { token: w.admin.token, body: { technicianId: ids[0] } });
    expect(assigned.body).toMatchObject({ status: "assigned", technician: { id: ids[0] } });
    // the new technician now holds it; the one released is free again
    const again = await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: w.admin.token });
    const now = again.body.items.map((c: { technicianId: string }) => c.technicianId);
    expect(now).not.toContain(ids[0]);
    expect(now).toContain(holder);
  });

  it("shows a merchant_admin only its own technicians; 409 once cancelled; 404 and 403 to others", async () => {
    const { w, merchantId, merchantAdmin } = await merchantWorld({ dispatchMode: "manual", technician: false });
    // the merchant lets dispatch use platform technicians (its own come first): a platform
    // technician is a candidate too, which its admin must not see
    const allowed = await call("PATCH", `/v1/admin/merchants/${merchantId}`, { token: w.admin.token, body: { platformTechnicians: true } });
    expect(allowed.status).toBe(200);
    const platform = await addTechnician(w, w.center);
    const own = [
      await addTechnician(w, { lat: w.center.lat + 0.02, lng: w.center.lng }, { merchantId }),
      await addTechnician(w, { lat: w.center.lat + 0.03, lng: w.center.lng }, { merchantId }),
    ];
    const { order, customer } = await bookAt(w, 2);
    const holder = order.technician.id;
    const every = await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: w.admin.token });
    expect(every.body.items.map((c: { technicianId: string }) => c.technicianId)).toContain(platform.id);
    const mine = await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: merchantAdmin.token });
    expect(mine.body.items.map((c: { technicianId: string }) => c.technicianId)).toEqual(
      own.map((t) => t.id).filter((id) => id !== holder),
    );
    const otherAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant("Other"));
    expectProblem(await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: otherAdmin.token }), 404);
    expectProblem(await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: customer.session.token }), 403);
    expectProblem(await call("GET", `/v1/admin/orders/${order.id}/candidates`), 401);
    expect((await call("POST", `/v1/admin/orders/${order.id}/cancel`, { token: w.admin.token, body: { reason: "dup" } })).status).toBe(200);
    expectProblem(await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: w.admin.token }), 409, "INVALID_TRANSITION");
  });
});

describe("the exception queue", () => {
  it("also holds orders whose start has passed while the technician has not arrived (late), and staff see merchant and cell", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const { order } = await bookAt(w, 2);
    const before = await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token });
    expect(before.body.items.map((o: { id: string }) => o.id)).not.toContain(order.id);
    // time passes: the start is now behind us and the order is still only assigned
    await env.DB.prepare("UPDATE orders SET start_at = ?, end_at = ? WHERE id = ?")
      .bind(Date.now() - 600_000, Date.now() + 600_000, order.id)
      .run();
    const after = await call("GET", "/v1/admin/orders?queue=exceptions", { token: w.admin.token });
    const late = after.body.items.find((o: { id: string }) => o.id === order.id);
    expect(late).toMatchObject({ status: "assigned", exception: "late", cell: cellAt(w.center), cityId: w.cityId, merchantId: null });
  });
});

describe("GET /v1/admin/settings/dispatch", () => {
  it("shows the dispatch configuration in force to staff only", async () => {
    const admin = (await createWorld(freshCenter())).admin;
    const res = await call("GET", "/v1/admin/settings/dispatch", { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      weights: JSON.parse(env.DISPATCH_WEIGHTS),
      acceptDeadlineSeconds: Number(env.ACCEPT_DEADLINE_SECONDS),
      maxRounds: Number(env.DISPATCH_MAX_ROUNDS),
      travel: { roadFactor: Number(env.TRAVEL_ROAD_FACTOR), speedKmh: Number(env.TRAVEL_SPEED_KMH) },
    });
    expectProblem(await call("GET", "/v1/admin/settings/dispatch"), 401);
    expectProblem(await call("GET", "/v1/admin/settings/dispatch", { token: (await signIn()).token }), 403);
  });
});

describe("candidates after declines", () => {
  it("keeps technicians who declined as candidates, marked tried and ranked after the others", async () => {
    const w = await createWorld(freshCenter());
    const a = await addTechnician(w, w.center);
    const b = await addTechnician(w, { lat: w.center.lat + 0.05, lng: w.center.lng });
    const { order } = await bookAt(w, 2);
    const first = order.technician.id;
    const decliner = first === a.id ? a : b;
    expect((await task(await decliner.session(), order.id, "decline")).status).toBe(200);
    const res = await call("GET", `/v1/admin/orders/${order.id}/candidates`, { token: w.admin.token });
    expect(res.status).toBe(200);
    // the other technician now holds it; the decliner is free again and listed as tried
    expect(res.body.items.map((c: { technicianId: string; tried: boolean }) => [c.technicianId, c.tried])).toEqual([[first, true]]);
  });
});
