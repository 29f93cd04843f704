/**
 * The coupon wallet, campaigns (rules, staff issuing, merchant promotions within limits, budgets
 * under parallel bookings), referrals with the fraud guard, share links and re-ordering, over HTTP
 * in workerd. One world (a city, its service at 120 元, one technician) serves the whole file.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { decideReferrals, runCampaignRules } from "../../src/coupons";
import { at, book, newCustomer, quote, type Customer } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { visitTo } from "../support/visit";
import { addTechnician, createWorld, merchantWorld, type TestTechnician, type World } from "../support/world";

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

let w: World;
let tech: TestTechnician;
let techSession: Session;
let op: Session;

beforeAll(async () => {
  w = await createWorld(freshCenter());
  // One technician: every booking of the file is on a slot of its own, so refusals come from coupons only.
  tech = await addTechnician(w, w.center);
  techSession = await tech.session();
  op = await signInWithRoles(["operator"]);
});

/** A customer whose one address has its own text (the referral guard compares addresses). */
async function customerAt(text: string): Promise<Customer> {
  const session = await signIn();
  const res = await call("POST", "/v1/me/addresses", {
    token: session.token,
    body: { label: "家", text, lat: w.center.lat, lng: w.center.lng, contactName: "李四", contactPhone: "13912345678" },
  });
  expect(res.status).toBe(201);
  return { session, addressId: res.body.id };
}

const walletOf = async (s: Session, status?: string) =>
  (await call("GET", `/v1/me/coupons${status ? `?status=${status}` : ""}`, { token: s.token })).body.items as {
    id: string;
    code: string;
    status: string;
    source: string;
    value: number;
  }[];

const couponLine = (q: { lines: { code: string; amount: { amount: number } }[] }) => q.lines.find((l) => l.code.startsWith("coupon:"));

async function campaign(token: string, body: Record<string, unknown>) {
  return call("POST", "/v1/campaigns", {
    token,
    body: {
      kind: "new_customer",
      name: { zh: "新客礼", en: "Welcome gift" },
      couponKind: "fixed",
      value: 1000,
      budget: 100_000,
      startsAt: iso(Date.now() - DAY),
      endsAt: iso(Date.now() + 30 * DAY),
      ...body,
    },
  });
}

const spentOf = async (id: string) =>
  (await env.DB.prepare("SELECT spent FROM campaigns WHERE id = ?").bind(id).first<{ spent: number }>())!.spent;

describe("the coupon wallet", () => {
  it("holds what staff issue; a quote picks the best; only its owner uses it; used once, given back on cancel", async () => {
    const a = await newCustomer(w.center);
    const b = await newCustomer(w.center);
    const issue = (body: Record<string, unknown>) =>
      call("POST", `/v1/admin/accounts/${a.session.accountId}/coupons`, {
        token: op.token,
        body: { name: "补偿", validDays: 10, ...body },
      });
    const small = await issue({ kind: "fixed", value: 800 });
    expect(small.status, JSON.stringify(small.body)).toBe(201);
    expect(small.body).toMatchObject({ source: "staff", status: "available", value: 800 });
    expect((await issue({ kind: "percent", value: 15, maxDiscount: 1500 })).status).toBe(201); // 15 % of 12000 = 1800 → 1500
    expect((await issue({ kind: "fixed", value: 5000, minTotal: 50_000 })).status).toBe(201); // does not apply
    expectProblem(await issue({ kind: "percent", value: 120 }), 400, "VALIDATION_FAILED");
    expectProblem(
      await call("POST", "/v1/admin/accounts/acc_nobody/coupons", {
        token: op.token,
        body: { name: "x", kind: "fixed", value: 1, validDays: 1 },
      }),
      404,
    );
    expectProblem(await call("POST", `/v1/admin/accounts/${a.session.accountId}/coupons`, { token: a.session.token, body: {} }), 403);
    expect(await walletOf(a.session)).toHaveLength(3);

    const q = await quote(w, a, at(w, 2, "10:00"), { bestCoupon: true });
    expect(couponLine(q)!.amount.amount).toBe(-1500);
    expect(q.total.amount).toBe(12000 - 1500);
    // Without bestCoupon nothing is applied; the code works for its owner only.
    expect(couponLine(await quote(w, a, at(w, 2, "10:00")))).toBeUndefined();
    expectProblem(
      await call("POST", "/v1/quotes", {
        token: b.session.token,
        body: { serviceId: w.serviceId, ...w.center, start: at(w, 2, "10:00"), couponCode: small.body.code },
      }),
      400,
      "COUPON_NOT_FOUND",
    );
    expect(couponLine(await quote(w, b, at(w, 2, "10:00"), { bestCoupon: true }))).toBeUndefined();

    const placed = await book(a, q);
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect((await walletOf(a.session, "used")).map((c) => c.value)).toEqual([15]);
    expect(await walletOf(a.session, "available")).toHaveLength(2);
    // The next best is the 800 one.
    expect(couponLine(await quote(w, a, at(w, 3, "10:00"), { bestCoupon: true }))!.amount.amount).toBe(-800);
    // Staff see the same wallet.
    expect(
      (await call("GET", `/v1/admin/accounts/${a.session.accountId}/coupons?status=used`, { token: op.token })).body.items,
    ).toHaveLength(1);

    expect(
      (await call("POST", `/v1/orders/${placed.body.id}/cancel`, { token: a.session.token, body: { reason: "plans changed" } })).status,
    ).toBe(200);
    expect(await walletOf(a.session, "used")).toEqual([]);
    expect(couponLine(await quote(w, a, at(w, 3, "10:00"), { bestCoupon: true }))!.amount.amount).toBe(-1500);
  });
});

describe("campaigns", () => {
  it("never overspend the budget when many customers redeem at once; a cancellation gives the amount back", async () => {
    const made = await campaign(op.token, { kind: "birthday", value: 1000, budget: 3000 });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const customers = await Promise.all(Array.from({ length: 6 }, () => newCustomer(w.center)));
    const issued = await call("POST", `/v1/campaigns/${made.body.id}/issue`, {
      token: op.token,
      body: { accountIds: [...customers.map((c) => c.session.accountId), "acc_nobody"] },
    });
    expect(issued.body).toEqual({ issued: 6, alreadyHeld: 0, unknown: ["acc_nobody"] });
    // Issued once per account.
    const again = await call("POST", `/v1/campaigns/${made.body.id}/issue`, {
      token: op.token,
      body: { accountIds: [customers[0]!.session.accountId] },
    });
    expect(again.body).toMatchObject({ issued: 0, alreadyHeld: 1 });

    // Every quote sees room (nothing spent yet); the orders race for it, each on a day of its own.
    const quotes = await Promise.all(customers.map((c, i) => quote(w, c, at(w, 4 + i, "14:00"), { bestCoupon: true })));
    for (const q of quotes) expect(couponLine(q)!.amount.amount).toBe(-1000);
    const results = await Promise.all(customers.map((c, i) => book(c, quotes[i]!)));
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(3);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, "COUPON_USED_UP");
    expect(await spentOf(made.body.id)).toBe(3000);
    const redeemed = await env.DB.prepare(
      "SELECT COALESCE(SUM(r.amount), 0) AS s FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id WHERE c.campaign_id = ? AND r.status = 'applied'",
    )
      .bind(made.body.id)
      .first<{ s: number }>();
    expect(redeemed!.s).toBe(3000);

    // With the budget spent, the best pick skips the campaign's coupons.
    const loser = customers[results.findIndex((r) => r.status !== 201)]!;
    expect(couponLine(await quote(w, loser, at(w, 11, "14:00"), { bestCoupon: true }))).toBeUndefined();
    const winner = customers[results.findIndex((r) => r.status === 201)]!;
    expect(
      (await call("POST", `/v1/orders/${won[0]!.body.id}/cancel`, { token: winner.session.token, body: { reason: "x" } })).status,
    ).toBe(200);
    expect(await spentOf(made.body.id)).toBe(2000);
    expect(couponLine(await quote(w, loser, at(w, 11, "14:00"), { bestCoupon: true }))!.amount.amount).toBe(-1000);

    // Switched off: nothing more is picked.
    const off = await call("PATCH", `/v1/campaigns/${made.body.id}`, { token: op.token, body: { active: false } });
    expect(off.body.active).toBe(false);
    expect(couponLine(await quote(w, loser, at(w, 11, "14:00"), { bestCoupon: true }))).toBeUndefined();
  });

  it("issue by rule once: new customers, win-back after N days without an order, birthdays once a year", async () => {
    const fresh = await newCustomer(w.center);
    const lapsed = await newCustomer(w.center);
    const old = await book(lapsed, await quote(w, lapsed, at(w, 12, "08:00")));
    expect(old.status).toBe(201);
    await env.DB.prepare("UPDATE orders SET created_at = ? WHERE id = ?")
      .bind(Date.now() - 100 * DAY, old.body.id)
      .run();
    const birthdayPerson = await newCustomer(w.center);
    await book(birthdayPerson, await quote(w, birthdayPerson, at(w, 12, "11:00"))); // not new, not lapsed
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(5, 10);
    expect((await call("PUT", "/v1/me/birthday", { token: birthdayPerson.session.token, body: { monthDay: today } })).status).toBe(200);
    expectProblem(await call("PUT", "/v1/me/birthday", { token: birthdayPerson.session.token, body: { monthDay: "13-01" } }), 400);

    const welcome = (await campaign(op.token, { kind: "new_customer", value: 500 })).body;
    const winBack = (await campaign(op.token, { kind: "win_back", winBackDays: 60, value: 700 })).body;
    const birthday = (await campaign(op.token, { kind: "birthday", value: 900 })).body;
    expectProblem(await campaign(op.token, { kind: "win_back" }), 400, "VALIDATION_FAILED");

    const first = await runCampaignRules(env);
    const second = await runCampaignRules(env);
    const issuedBy = (runs: { campaignId: string; issued: number }[], id: string) => runs.find((r) => r.campaignId === id)?.issued;
    expect(issuedBy(second, welcome.id)).toBe(0);
    expect(issuedBy(second, winBack.id)).toBe(0);
    expect(issuedBy(second, birthday.id)).toBe(0);
    expect(issuedBy(first, birthday.id)).toBe(1);

    const values = async (c: Customer) => (await walletOf(c.session)).map((x) => x.value).sort();
    expect(await values(fresh)).toEqual([500]);
    expect(await values(lapsed)).toEqual([700]);
    expect(await values(birthdayPerson)).toEqual([900]);
    expect((await walletOf(fresh.session))[0]).toMatchObject({ source: "campaign", status: "available" });
  });

  it("lets merchants run promotions (满减) only within the limits operators set, for their own services", async () => {
    const m = await merchantWorld({ technician: false });
    await addTechnician(m.w, m.w.center, { merchantId: m.merchantId });
    const promo = { kind: "promotion", code: `MJ${Date.now().toString(36).toUpperCase()}`, value: 1500, minTotal: 10_000, budget: 50_000 };
    const none = await campaign(m.merchantAdmin.token, promo);
    expectProblem(none, 409, "CAMPAIGN_OVER_LIMIT");
    expect(none.body.limit).toBe("none");
    const limits = await call("PUT", `/v1/admin/merchants/${m.merchantId}/campaign-limits`, {
      token: op.token,
      body: { maxBudget: 100_000, maxValue: 2000, maxPercent: 20 },
    });
    expect(limits.status, JSON.stringify(limits.body)).toBe(200);
    expectProblem(
      await call("PUT", `/v1/admin/merchants/${m.merchantId}/campaign-limits`, {
        token: m.merchantAdmin.token,
        body: { maxBudget: 1, maxValue: 1, maxPercent: 1 },
      }),
      403,
    );
    expect((await campaign(m.merchantAdmin.token, { ...promo, budget: 200_000 })).body.limit).toBe("budget");
    expect((await campaign(m.merchantAdmin.token, { ...promo, value: 3000 })).body.limit).toBe("value");
    expect(
      (
        await campaign(m.merchantAdmin.token, {
          ...promo,
          code: undefined,
          kind: "win_back",
          winBackDays: 30,
          couponKind: "percent",
          value: 30,
        })
      ).body.limit,
    ).toBe("percent");
    expectProblem(await campaign(m.merchantAdmin.token, { ...promo, serviceIds: [w.serviceId] }), 400, "VALIDATION_FAILED");
    // Nothing was written by the refusals.
    expect((await call("GET", "/v1/campaigns", { token: m.merchantAdmin.token })).body.items).toEqual([]);

    const made = await campaign(m.merchantAdmin.token, { ...promo, serviceIds: [m.w.serviceId] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body).toMatchObject({ merchantId: m.merchantId, kind: "promotion", code: promo.code, spent: 0 });
    expectProblem(await campaign(m.merchantAdmin.token, { ...promo, serviceIds: [m.w.serviceId] }), 409, "COUPON_CODE_TAKEN");

    // A customer's best pick finds the promotion on the merchant's service, and only there.
    const c = await newCustomer(m.w.center);
    const q = await quote(m.w, c, at(m.w, 2, "10:00"), { bestCoupon: true });
    expect(couponLine(q)).toMatchObject({ code: `coupon:${promo.code}`, amount: { amount: -1500 } });
    expect((await book(c, q)).status).toBe(201);
    expect(await spentOf(made.body.id)).toBe(1500);
    expect(couponLine(await quote(w, await newCustomer(w.center), at(w, 2, "10:00"), { bestCoupon: true }))).toBeUndefined();

    // Another merchant's admin neither sees nor changes it; a budget above the limit is refused.
    const other = await merchantWorld({ technician: false });
    expectProblem(await call("PATCH", `/v1/campaigns/${made.body.id}`, { token: other.merchantAdmin.token, body: { active: false } }), 404);
    expect((await call("GET", "/v1/campaigns", { token: other.merchantAdmin.token })).body.items).toEqual([]);
    expectProblem(
      await call("PATCH", `/v1/campaigns/${made.body.id}`, { token: m.merchantAdmin.token, body: { budget: 500_000 } }),
      409,
      "CAMPAIGN_OVER_LIMIT",
    );
    expectProblem(
      await call("POST", `/v1/campaigns/${made.body.id}/issue`, { token: m.merchantAdmin.token, body: { accountIds: ["x"] } }),
      403,
    );
    const ended = await call("PATCH", `/v1/campaigns/${made.body.id}`, { token: m.merchantAdmin.token, body: { active: false } });
    expect(ended.body.active).toBe(false);
    const typed = await call("POST", "/v1/quotes", {
      token: c.session.token,
      body: { serviceId: m.w.serviceId, ...m.w.center, start: at(m.w, 3, "10:00"), couponCode: promo.code },
    });
    expectProblem(typed, 400, "COUPON_NOT_APPLICABLE");
  });
});

describe("referrals", () => {
  it("reward both after the new customer's first completed order, unless device, address or payer is shared", async () => {
    const referrer = await customerAt("人民路 8 号 3 楼");
    const mine = await call("GET", "/v1/me/referral", { token: referrer.session.token, headers: { "X-Device-Id": "device-referrer" } });
    expect(mine.status).toBe(200);
    const code = mine.body.code as string;
    expect(code).toMatch(/^[0-9A-Z]{8}$/);
    expect((await call("GET", "/v1/me/referral", { token: referrer.session.token })).body.code).toBe(code);

    const accept = (c: Customer, device: string, body: unknown = { code: code.toLowerCase() }) =>
      call("POST", "/v1/me/referral/accept", { token: c.session.token, headers: { "X-Device-Id": device }, body });
    expectProblem(await accept(referrer, "d"), 409, "REFERRAL_NOT_ALLOWED");
    expectProblem(await accept(referrer, "d", { code: "NOSUCHCD" }), 404, "REFERRAL_CODE_NOT_FOUND");

    const honest = await customerAt("解放路 100 号 5 楼");
    expect((await accept(honest, "device-honest")).body).toEqual({ status: "pending" });
    expectProblem(await accept(honest, "device-honest"), 409, "REFERRAL_NOT_ALLOWED");
    const sameDevice = await customerAt("建国路 2 号");
    expect((await accept(sameDevice, "device-referrer")).status).toBe(200);
    const sameAddress = await customerAt("人民路8号3楼"); // the referrer's address, spaced differently
    expect((await accept(sameAddress, "device-other")).status).toBe(200);
    const ordered = await customerAt("中山路 1 号");
    await book(ordered, await quote(w, ordered, at(w, 13, "08:00")));
    const notNew = await accept(ordered, "device-x");
    expectProblem(notNew, 409, "REFERRAL_NOT_ALLOWED");
    expect(notNew.body.reason).toBe("not_new");

    // Nothing is decided before a completed order.
    expect(await decideReferrals(env)).toEqual({ rewarded: 0, refused: 0 });
    for (const [i, c] of [honest, sameDevice, sameAddress].entries())
      await visitTo(w, techSession, "completed", { customer: c, paid: true, start: at(w, 2 + i, "17:00") });
    expect(await decideReferrals(env)).toEqual({ rewarded: 1, refused: 2 });
    expect(await decideReferrals(env)).toEqual({ rewarded: 0, refused: 0 });

    const reasons = await env.DB.prepare("SELECT referee_id AS id, status, reason FROM referrals WHERE referrer_id = ?")
      .bind(referrer.session.accountId)
      .all<{ id: string; status: string; reason: string | null }>();
    const byId = Object.fromEntries(reasons.results.map((r) => [r.id, [r.status, r.reason]]));
    expect(byId[honest.session.accountId]).toEqual(["rewarded", null]);
    expect(byId[sameDevice.session.accountId]).toEqual(["refused", "same_device"]);
    expect(byId[sameAddress.session.accountId]).toEqual(["refused", "same_address"]);

    for (const c of [referrer, honest]) expect((await walletOf(c.session)).map((x) => [x.source, x.value])).toEqual([["referral", 1000]]);
    expect(await walletOf(sameDevice.session)).toEqual([]);
    expect((await call("GET", "/v1/me/referral", { token: referrer.session.token })).body.invited).toEqual({
      pending: 0,
      rewarded: 1,
      refused: 2,
    });
  });

  it("refuse a referral between accounts bound to one WeChat person (the payment account)", async () => {
    const referrer = await customerAt("长江路 1 号");
    const referee = await customerAt("黄河路 2 号");
    const code = (await call("GET", "/v1/me/referral", { token: referrer.session.token })).body.code;
    expect((await call("POST", "/v1/me/referral/accept", { token: referee.session.token, body: { code } })).status).toBe(200);
    const bind = env.DB.prepare(
      "INSERT INTO wechat_bindings (appid, openid, account_id, unionid, lang, created_at, updated_at) VALUES (?, ?, ?, 'union-1', 'zh', 0, 0)",
    );
    await env.DB.batch([
      bind.bind("wxapp", "open-a", referrer.session.accountId),
      bind.bind("wxmini", "open-b", referee.session.accountId),
    ]);
    await visitTo(w, techSession, "completed", { customer: referee, paid: true, start: at(w, 5, "17:00") });
    expect(await decideReferrals(env)).toEqual({ rewarded: 0, refused: 1 });
    const row = await env.DB.prepare("SELECT reason FROM referrals WHERE referee_id = ?").bind(referee.session.accountId).first();
    expect(row).toEqual({ reason: "same_payment_account" });
  });
});

describe("share links and re-ordering", () => {
  it("serve a signed preview card and an Open Graph page in zh-CN and en; an altered link is refused", async () => {
    const sharer = await newCustomer(w.center);
    const made = await call("POST", "/v1/share-links", { token: sharer.session.token, body: { type: "service", id: w.serviceId } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { token, url, card } = made.body;
    expect(url).toBe(`http://doorstep.test/s/${token}`);
    const service = await env.DB.prepare("SELECT name_zh AS zh, name_en AS en FROM services WHERE id = ?")
      .bind(w.serviceId)
      .first<{ zh: string; en: string }>();
    expect(card).toMatchObject({ type: "service", id: w.serviceId, title: service, image: null });
    expect(card.referralCode).toBe((await call("GET", "/v1/me/referral", { token: sharer.session.token })).body.code);

    const page = await call("GET", `/s/${token}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(page.body).toContain(`<meta property="og:title" content="${service!.zh}">`);
    expect(page.body).toContain('<html lang="zh-CN">');
    const en = await call("GET", `/s/${token}`, { headers: { "Accept-Language": "en-GB,en" } });
    expect(en.body).toContain(`<meta property="og:title" content="${service!.en}">`);
    expect((await call("GET", `/s/${token}?lang=en`)).body).toContain('content="en_US"');
    expect((await call("GET", `/v1/share-links/${token}`)).body).toEqual(card);

    // One character of the signed body changed.
    const tampered = `${token.slice(0, 5)}${token[5] === "A" ? "B" : "A"}${token.slice(6)}`;
    expectProblem(await call("GET", `/s/${tampered}`), 404, "SHARE_LINK_INVALID");
    expectProblem(await call("GET", `/v1/share-links/${tampered}`), 404, "SHARE_LINK_INVALID");
    expectProblem(await call("GET", `/s/${token}/image`), 404, "SHARE_LINK_INVALID");

    const techLink = await call("POST", "/v1/share-links", { token: sharer.session.token, body: { type: "technician", id: tech.id } });
    expect(techLink.status).toBe(201);
    expect(techLink.body.card.title.en).toMatch(/^Technician \*+/);
    expect(techLink.body.card.title.zh).not.toContain(
      (await env.DB.prepare("SELECT name FROM technicians WHERE id = ?").bind(tech.id).first<{ name: string }>())!.name,
    );
    expectProblem(
      await call("POST", "/v1/share-links", { token: sharer.session.token, body: { type: "technician", id: "tch_nobody" } }),
      404,
    );
    expectProblem(await call("POST", "/v1/share-links", { body: { type: "service", id: w.serviceId } }), 401);
  });

  it("re-order books the same job at a new start in one call, replays a retry, and is for the order's customer only", async () => {
    const { customer, order } = await visitTo(w, techSession, "completed", { paid: true, start: at(w, 6, "17:00") });
    const key = `reorder-${Date.now()}`;
    const again = (c: Customer, body: Record<string, unknown>, k = key) =>
      call("POST", `/v1/orders/${order.id}/reorder`, { token: c.session.token, headers: { "Idempotency-Key": k }, body });
    const body = { start: at(w, 7, "17:00"), paymentPlan: "after_service" };
    const first = await again(customer, body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.id).not.toBe(order.id);
    expect(first.body.service.id).toBe(w.serviceId);
    expect(first.body.total.amount).toBe(order.total.amount);
    const retry = await again(customer, body);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body.id).toBe(first.body.id);
    expectProblem(await again(customer, { ...body, start: at(w, 8, "17:00") }), 422);
    expectProblem(await again(await newCustomer(w.center), body, `${key}-other`), 404);
    expectProblem(await again(customer, { start: "tomorrow" }, `${key}-bad`), 400, "VALIDATION_FAILED");
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM orders WHERE customer_id = ?")
      .bind(customer.session.accountId)
      .first<{ n: number }>();
    expect(count!.n).toBe(2);
  });
});
