import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { at, newCustomer, task, type Customer } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signInWithRoles, type Session } from "../support/http";
import { payInFull } from "../support/payments";
import { PNG, uploadPhoto } from "../support/visit";
import { addTechnician, createWorld, type World } from "../support/world";

const DAY = 86_400_000;

let codes = 0;
const uniqueCode = (prefix = "SAVE") => `${prefix}${Date.now().toString(36).toUpperCase()}${(codes += 1)}`;

async function operator(): Promise<Session> {
  return signInWithRoles(["operator"]);
}

async function makeCoupon(op: Session, body: Record<string, unknown>) {
  const res = await call("POST", "/v1/admin/coupons", {
    token: op.token,
    body: {
      code: uniqueCode(),
      name: "新客立减",
      kind: "fixed",
      value: 2000,
      startsAt: new Date(Date.now() - DAY).toISOString(),
      endsAt: new Date(Date.now() + 30 * DAY).toISOString(),
      ...body,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; code: string };
}

function quoteWith(w: World, c: Customer, start: string, couponCode?: string) {
  return call("POST", "/v1/quotes", {
    token: c.session.token,
    body: { serviceId: w.serviceId, lat: w.center.lat, lng: w.center.lng, start, ...(couponCode ? { couponCode } : {}) },
  });
}

let keys = 0;
function order(c: Customer, q: { id: string; start: string }) {
  return call("POST", "/v1/orders", {
    token: c.session.token,
    headers: { "Idempotency-Key": `cpn-${Date.now()}-${(keys += 1)}` },
    body: { quoteId: q.id, addressId: c.addressId, start: q.start, paymentPlan: "after_service" },
  });
}

const couponRow = (id: string) => env.DB.prepare("SELECT redeemed FROM coupons WHERE id = ?").bind(id).first<{ redeemed: number }>();

describe("coupons in quotes and orders", () => {
  it("takes the discount off as a line, redeems it with the order, once per customer", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const op = await operator();
    const coupon = await makeCoupon(op, {});
    const customer = await newCustomer(w.center);

    const q = await quoteWith(w, customer, at(w, 2, "10:00"), coupon.code.toLowerCase());
    expect(q.status).toBe(201);
    expect(q.body.lines.at(-1)).toMatchObject({ code: `coupon:${coupon.code}`, amount: { amount: -2000 } });
    expect(q.body.total.amount).toBe(12000 - 2000);

    const placed = await order(customer, q.body);
    expect(placed.status).toBe(201);
    expect(placed.body.total.amount).toBe(10000);
    expect(placed.body.lines.map((l: { code: string }) => l.code)).toContain(`coupon:${coupon.code}`);
    expect((await couponRow(coupon.id))?.redeemed).toBe(1);
    const redemption = await env.DB.prepare("SELECT amount, status FROM coupon_redemptions WHERE order_id = ?")
      .bind(placed.body.id)
      .first();
    expect(redemption).toEqual({ amount: 2000, status: "applied" });

    // once per customer (the default): a second quote is refused, and so is a second order of an old quote
    const again = await quoteWith(w, customer, at(w, 3, "10:00"), coupon.code);
    expectProblem(again, 409, "COUPON_USED_UP");
    expect((await couponRow(coupon.id))?.redeemed).toBe(1);
  });

  it("gives the coupon back when the order is cancelled", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const coupon = await makeCoupon(await operator(), {});
    const customer = await newCustomer(w.center);
    const placed = (await order(customer, (await quoteWith(w, customer, at(w, 2, "10:00"), coupon.code)).body)).body;
    expect((await couponRow(coupon.id))?.redeemed).toBe(1);
    const cancelled = await call("POST", `/v1/orders/${placed.id}/cancel`, {
      token: customer.session.token,
      body: { reason: "plans changed" },
    });
    expect(cancelled.status).toBe(200);
    expect((await couponRow(coupon.id))?.redeemed).toBe(0);
    expect((await env.DB.prepare("SELECT status FROM coupon_redemptions WHERE order_id = ?").bind(placed.id).first())?.status).toBe(
      "released",
    );
    // usable again
    expect((await quoteWith(w, customer, at(w, 3, "10:00"), coupon.code)).status).toBe(201);
  });

  it("of many customers booking at once, exactly the coupon's total limit get it; the rest keep nothing held", async () => {
    const w = await createWorld(freshCenter());
    const techs = await Promise.all(Array.from({ length: 8 }, () => addTechnician(w, w.center)));
    const coupon = await makeCoupon(await operator(), { totalLimit: 3 });
    const customers = await Promise.all(Array.from({ length: 8 }, () => newCustomer(w.center)));
    const quotes = await Promise.all(customers.map((c) => quoteWith(w, c, at(w, 2, "10:00"), coupon.code)));
    expect(quotes.map((q) => q.status)).toEqual(Array(8).fill(201));
    const results = await Promise.all(customers.map((c, i) => order(c, quotes[i]!.body)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, "COUPON_USED_UP");
    expect((await couponRow(coupon.id))?.redeemed).toBe(3);
    // only the three orders hold a technician's time
    let held = 0;
    for (const t of techs) {
      const s = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
      held += s.body.items.length;
    }
    expect(held).toBe(3);
  });

  it("applies a percentage rounded down and capped, and refuses codes that do not apply", async () => {
    const w = await createWorld(freshCenter());
    await addTechnician(w, w.center);
    const op = await operator();
    const customer = await newCustomer(w.center);
    const pct = await makeCoupon(op, { kind: "percent", value: 15, maxDiscount: 1500 });
    const q = await quoteWith(w, customer, at(w, 2, "10:00"), pct.code);
    expect(q.body.lines.at(-1).amount.amount).toBe(-1500); // 15 % of 12000 is 1800, capped at 1500
    const small = await makeCoupon(op, { kind: "percent", value: 7 });
    expect((await quoteWith(w, customer, at(w, 2, "10:00"), small.code)).body.lines.at(-1).amount.amount).toBe(-840);

    expectProblem(await quoteWith(w, customer, at(w, 2, "10:00"), "NOSUCHCODE"), 400, "COUPON_NOT_FOUND");
    const other = await makeCoupon(op, { serviceIds: ["svc_other"] });
    const refused = await quoteWith(w, customer, at(w, 2, "10:00"), other.code);
    expectProblem(refused, 400, "COUPON_NOT_APPLICABLE");
    expect(refused.body.errors).toEqual([{ path: "body.couponCode", message: "other_service" }]);
    const minimum = await makeCoupon(op, { minTotal: 50_000 });
    expect((await quoteWith(w, customer, at(w, 2, "10:00"), minimum.code)).body.errors[0].message).toBe("below_minimum");
    const ended = await makeCoupon(op, {
      startsAt: new Date(Date.now() - 10 * DAY).toISOString(),
      endsAt: new Date(Date.now() - DAY).toISOString(),
    });
    expect((await quoteWith(w, customer, at(w, 2, "10:00"), ended.code)).body.errors[0].message).toBe("expired");
    const off = await makeCoupon(op, {});
    expect((await call("PATCH", `/v1/admin/coupons/${off.id}`, { token: op.token, body: { active: false } })).body.active).toBe(false);
    expect((await quoteWith(w, customer, at(w, 2, "10:00"), off.code)).body.errors[0].message).toBe("inactive");
  });

  it("refuses an order whose coupon was switched off after the quote, and holds nothing for it", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const op = await operator();
    const coupon = await makeCoupon(op, {});
    const customer = await newCustomer(w.center);
    const q = (await quoteWith(w, customer, at(w, 2, "10:00"), coupon.code)).body;
    await call("PATCH", `/v1/admin/coupons/${coupon.id}`, { token: op.token, body: { active: false } });
    expectProblem(await order(customer, q), 409, "COUPON_USED_UP");
    const s = await call("GET", `/v1/admin/technicians/${t.id}/schedule`, { token: w.admin.token });
    expect(s.body.items).toEqual([]);
  });

  it("books the discount as the platform's coupon expense when the visit is split", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const tech = await t.session();
    const coupon = await makeCoupon(await operator(), { value: 3000 });
    const customer = await newCustomer(w.center);
    const placed = (await order(customer, (await quoteWith(w, customer, at(w, 2, "10:00"), coupon.code)).body)).body;
    await task(tech, placed.id, "accept");
    await task(tech, placed.id, "depart");
    await uploadPhoto(tech, placed.id, "arrive");
    await task(tech, placed.id, "arrive", { lat: w.center.lat, lng: w.center.lng });
    await task(tech, placed.id, "start", { code: placed.startCode });
    await uploadPhoto(tech, placed.id, "complete", { type: "image/png", bytes: PNG });
    expect((await task(tech, placed.id, "complete")).body.status).toBe("completed");
    // Only what is collected is split: the customer pays after the service, then the split books the coupon.
    await payInFull(customer, placed.id);
    const entries = await env.DB.prepare(
      "SELECT e.account, e.amount FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.tx_id WHERE e.order_id = ? OR t.ref = ?",
    )
      .bind(placed.id, placed.id)
      .all<{ account: string; amount: number }>();
    const coupons = entries.results.filter((e) => e.account.startsWith("coupon_expense"));
    expect(coupons.reduce((s, e) => s + e.amount, 0)).toBe(3000);
    expect(entries.results.reduce((s, e) => s + e.amount, 0)).toBe(0);
  });
});

describe("coupon administration", () => {
  it("is for operators; validates codes, windows and kinds; refuses a taken code", async () => {
    const op = await operator();
    const c = await makeCoupon(op, { code: uniqueCode("welcome-") });
    expect(c.code).toMatch(/^WELCOME-/);
    const list = await call("GET", "/v1/admin/coupons?active=true", { token: op.token });
    expect(list.body.items.some((x: { id: string }) => x.id === c.id)).toBe(true);
    expect((await call("GET", `/v1/admin/coupons/${c.id}`, { token: op.token })).body).toMatchObject({ id: c.id, redeemed: 0 });
    expectProblem(await call("GET", "/v1/admin/coupons/cpn_missing", { token: op.token }), 404);

    const base = {
      name: "x",
      kind: "fixed",
      value: 100,
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + DAY).toISOString(),
    };
    const post = (token: string | undefined, body: unknown) => call("POST", "/v1/admin/coupons", { token, body });
    expectProblem(await post(op.token, { ...base, code: c.code.toLowerCase() }), 409, "COUPON_CODE_TAKEN");
    expectProblem(await post(op.token, { ...base, code: "x" }), 400, "VALIDATION_FAILED");
    expectProblem(await post(op.token, { ...base, code: uniqueCode(), endsAt: base.startsAt }), 400, "VALIDATION_FAILED");
    expectProblem(await post(op.token, { ...base, code: uniqueCode(), kind: "percent", value: 120 }), 400, "VALIDATION_FAILED");
    expectProblem(await post(op.token, { ...base, code: uniqueCode(), maxDiscount: 10 }), 400, "VALIDATION_FAILED");
    expectProblem(await post(op.token, { ...base, code: uniqueCode(), value: -5 }), 400, "VALIDATION_FAILED");
    expectProblem(await post(op.token, { ...base, code: uniqueCode(), surprise: true }), 400, "VALIDATION_FAILED");
    expectProblem(await post(undefined, { ...base, code: uniqueCode() }), 401);
    expectProblem(await post((await signInWithRoles(["merchant_admin"], null)).token, { ...base, code: uniqueCode() }), 403);
    expectProblem(await post((await signInWithRoles(["customer"])).token, { ...base, code: uniqueCode() }), 403);
    expectProblem(await call("PATCH", "/v1/admin/coupons/cpn_missing", { token: op.token, body: { active: false } }), 404);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(c.id).all<{ action: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["coupon.create"]);
  });
});
