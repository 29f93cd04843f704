import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nextRating, overallX100 } from "../../src/domain/reviews";
import { at, waitFor } from "../support/booking";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, callBytes, expectProblem, signIn, signInWithRoles, type Session } from "../support/http";
import { JPEG, PNG, visitTo } from "../support/visit";
import { addTechnician, createWorld, type World } from "../support/world";

const GOOD = { quality: 5, punctuality: 5, attitude: 4, value: 4 };

async function completedVisit(opts: { merchantId?: string } = {}) {
  const w = await createWorld(freshCenter(), { merchantId: opts.merchantId });
  // A merchant's orders go to its own technicians (merchant-scoped dispatch).
  const t = await addTechnician(w, w.center, { merchantId: opts.merchantId });
  const tech = await t.session();
  const visit = await visitTo(w, tech, "completed");
  return { w, t, tech, ...visit };
}

const review = (s: Session, orderId: string, body: unknown) => call("POST", `/v1/orders/${orderId}/review`, { token: s.token, body });
const publicList = (techId: string, query = "") => call("GET", `/v1/technicians/${techId}/reviews${query}`);
const ratingOf = async (techId: string) =>
  env.DB.prepare("SELECT rating_x100 AS r, rating_count AS n FROM technicians WHERE id = ?").bind(techId).first<{ r: number; n: number }>();

describe("reviewing a completed visit", () => {
  it("takes ratings and text once, moves the technician's rating and tells the technician", async () => {
    const { t, tech, customer, order } = await completedVisit();
    expect(await ratingOf(t.id)).toEqual({ r: 500, n: 0 });

    const res = await review(customer.session, order.id, { ratings: GOOD, text: "  准时，干净利落  " });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      orderId: order.id,
      technicianId: t.id,
      ratings: GOOD,
      overall: 4.5,
      text: "准时，干净利落",
      photos: [],
    });
    expect(await ratingOf(t.id)).toEqual({ r: 450, n: 1 });

    // the order's review for its customer and its technician; the public sees it with a masked name
    expect((await call("GET", `/v1/orders/${order.id}/review`, { token: customer.session.token })).body.id).toBe(res.body.id);
    expect((await call("GET", `/v1/orders/${order.id}/review`, { token: tech.token })).body.id).toBe(res.body.id);
    expectProblem(await call("GET", `/v1/orders/${order.id}/review`, { token: (await signIn()).token }), 404);
    const pub = await publicList(t.id);
    expect(pub.status).toBe(200);
    expect(pub.body.technician).toMatchObject({ id: t.id, rating: 4.5 });
    expect(pub.body.items).toHaveLength(1);
    expect(pub.body.items[0]).toMatchObject({ overall: 4.5, text: "准时，干净利落" });
    expect(pub.body.items[0].customer).toMatch(/\*\*$|匿名用户/);
    expect(JSON.stringify(pub.body)).not.toContain(order.id);

    await waitFor(
      () => call("GET", "/v1/me/notifications", { token: tech.token }),
      (r) => r.body.items.some((n: { kind: string }) => n.kind === "review.received"),
      15_000,
    );

    expectProblem(await review(customer.session, order.id, { ratings: GOOD }), 409, "ALREADY_REVIEWED");
    expect(await ratingOf(t.id)).toEqual({ r: 450, n: 1 });
  });

  it("of many concurrent reviews of one order exactly one counts", async () => {
    const { t, customer, order } = await completedVisit();
    const results = await Promise.all(Array.from({ length: 8 }, () => review(customer.session, order.id, { ratings: GOOD })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expectProblem(r, 409, "ALREADY_REVIEWED");
    expect(await ratingOf(t.id)).toEqual({ r: 450, n: 1 });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM reviews WHERE order_id = ?").bind(order.id).first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });

  it("refuses bad ratings, unknown fields, an order not completed, someone else's order and the wrong role", async () => {
    const { w, t, tech, customer, order } = await completedVisit();
    for (const body of [
      { ratings: { ...GOOD, quality: 0 } },
      { ratings: { ...GOOD, value: 6 } },
      { ratings: { ...GOOD, value: 4.5 } },
      { ratings: { quality: 5, punctuality: 5, attitude: 5 } },
      { ratings: GOOD, stars: 5 },
      { ratings: GOOD, text: "x".repeat(1001) },
      { ratings: GOOD, photoIds: ["pho_a", "pho_a"] },
    ]) {
      expectProblem(await review(customer.session, order.id, body), 400, "VALIDATION_FAILED");
    }
    expectProblem(await call("POST", `/v1/orders/${order.id}/review`, { body: { ratings: GOOD } }), 401);
    expectProblem(await review(await signInWithRoles(["operator"]), order.id, { ratings: GOOD }), 403);
    expectProblem(await review(await signIn(), order.id, { ratings: GOOD }), 404);
    expectProblem(await review(customer.session, "ord_missing", { ratings: GOOD }), 404);
    const open = await visitTo(w, tech, "accepted", { start: at(w, 3, "10:00") });
    expectProblem(await review(open.customer.session, open.order.id, { ratings: GOOD }), 409, "INVALID_STATE");
    // nothing was written by any of it
    expect(await ratingOf(t.id)).toEqual({ r: 500, n: 0 });
  });

  it("closes REVIEW_WINDOW_DAYS after completion", async () => {
    const { t, customer, order } = await completedVisit();
    await env.DB.prepare("UPDATE orders SET completed_at = ? WHERE id = ?")
      .bind(Date.now() - 15 * 86_400_000, order.id)
      .run();
    expectProblem(await review(customer.session, order.id, { ratings: GOOD }), 409, "REVIEW_WINDOW_CLOSED");
    expect(await ratingOf(t.id)).toEqual({ r: 500, n: 0 });
  });
});

describe("review photos", () => {
  it("carries the customer's photos, shown publicly while the review is visible", async () => {
    const { t, customer, order } = await completedVisit();
    const up = await callBytes("POST", `/v1/orders/${order.id}/review/photos`, {
      token: customer.session.token,
      type: "image/png",
      bytes: PNG,
    });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ orderId: order.id, kind: "review", contentType: "image/png" });
    expect((await env.PHOTOS.get(`orders/${order.id}/review/${up.body.id}`))?.size).toBe(PNG.byteLength);

    // a photo that is not this customer's review photo of this order is refused
    const other = await completedVisit();
    const foreign = await callBytes("POST", `/v1/orders/${other.order.id}/review/photos`, {
      token: other.customer.session.token,
      type: "image/jpeg",
      bytes: JPEG,
    });
    expectProblem(await review(customer.session, order.id, { ratings: GOOD, photoIds: [foreign.body.id] }), 400, "VALIDATION_FAILED");

    const res = await review(customer.session, order.id, { ratings: GOOD, photoIds: [up.body.id] });
    expect(res.status).toBe(201);
    const url = res.body.photos[0].url as string;
    expect(url).toBe(`/v1/reviews/${res.body.id}/photos/${up.body.id}`);
    const pub = await publicList(t.id);
    expect(pub.body.items[0].photos).toEqual([{ id: up.body.id, url }]);
    const file = await call("GET", url);
    expect(file.status).toBe(200);
    expect(file.headers.get("Content-Type")).toBe("image/png");
    expectProblem(await call("GET", `/v1/reviews/${res.body.id}/photos/${foreign.body.id}`), 404);

    // reviewed: no more photos; not the customer's order: 404; not an image: 400
    expectProblem(
      await callBytes("POST", `/v1/orders/${order.id}/review/photos`, { token: customer.session.token, type: "image/png", bytes: PNG }),
      409,
      "ALREADY_REVIEWED",
    );
    expectProblem(
      await callBytes("POST", `/v1/orders/${other.order.id}/review/photos`, {
        token: customer.session.token,
        type: "image/png",
        bytes: PNG,
      }),
      404,
    );
    expectProblem(
      await callBytes("POST", `/v1/orders/${other.order.id}/review/photos`, {
        token: other.customer.session.token,
        type: "image/png",
        bytes: JPEG,
      }),
      400,
      "PHOTO_INVALID",
    );
  });
});

describe("operators and merchants", () => {
  it("hide a review: out of the public list and of the rating, audited, once", async () => {
    const first = await completedVisit();
    const { t, tech, w } = first;
    const second = await visitTo(w, tech, "completed", { start: at(w, 3, "10:00") });
    const low = { quality: 3, punctuality: 4, attitude: 3, value: 4 }; // 3.5
    const r1 = (await review(first.customer.session, first.order.id, { ratings: low, text: "电话 13912345678 随时找我" })).body;
    const r2 = (await review(second.customer.session, second.order.id, { ratings: GOOD })).body;
    // the same arithmetic as the domain rule
    let expected = nextRating(500, 0, overallX100(low), 1);
    expected = nextRating(expected.rating, expected.count, overallX100(GOOD), 1);
    expect(await ratingOf(t.id)).toEqual({ r: expected.rating, n: expected.count });
    expect(expected).toEqual({ rating: 400, count: 2 });

    const operator = await signInWithRoles(["operator"]);
    expectProblem(
      await call("POST", `/v1/admin/reviews/${r1.id}/hide`, { token: first.customer.session.token, body: { reason: "x" } }),
      403,
    );
    expectProblem(await call("POST", `/v1/admin/reviews/${r1.id}/hide`, { token: operator.token, body: {} }), 400, "VALIDATION_FAILED");
    expectProblem(await call("POST", "/v1/admin/reviews/rev_missing/hide", { token: operator.token, body: { reason: "x" } }), 404);
    const hidden = await call("POST", `/v1/admin/reviews/${r1.id}/hide`, {
      token: operator.token,
      body: { reason: "contains a phone number" },
    });
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ hidden: true, hiddenReason: "contains a phone number" });
    expectProblem(
      await call("POST", `/v1/admin/reviews/${r1.id}/hide`, { token: operator.token, body: { reason: "again" } }),
      409,
      "ALREADY_HIDDEN",
    );

    expect(await ratingOf(t.id)).toEqual({ r: 450, n: 1 });
    expect((await publicList(t.id)).body.items.map((r: { id: string }) => r.id)).toEqual([r2.id]);
    const audit = await env.DB.prepare("SELECT action FROM audit_log WHERE target_id = ?").bind(r1.id).all<{ action: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["review.hide"]);

    // staff lists keep hidden ones, filtered by score
    const lowOnes = await call("GET", `/v1/admin/reviews?technicianId=${t.id}&maxOverall=4`, { token: operator.token });
    expect(lowOnes.body.items.map((r: { id: string; hidden: boolean }) => [r.id, r.hidden])).toEqual([[r1.id, true]]);
  });

  it("hiding takes the rating's credit fact back out and showing puts it back: once per change, also when two race", async () => {
    const { t, tech, customer, order } = await completedVisit();
    const ones = { quality: 1, punctuality: 1, attitude: 1, value: 1 };
    const r = (await review(customer.session, order.id, { ratings: ones })).body;
    const scoreOf = async () =>
      (await env.DB.prepare("SELECT credit_score AS s FROM technicians WHERE id = ?").bind(t.id).first<{ s: number }>())!.s;
    const lines = async (reason: string) =>
      (
        await env.DB.prepare(
          "SELECT points, score_after, actor_id FROM technician_credit_events WHERE technician_id = ? AND reason_code = ?",
        )
          .bind(t.id, reason)
          .all<{ points: number; score_after: number; actor_id: string }>()
      ).results;
    const [rated] = await lines("RATING_1");
    expect(rated?.points).toBe(-10);
    const s0 = await scoreOf();
    const operator = await signInWithRoles(["operator"]);
    const act = (verb: "hide" | "unhide", reason = "x") =>
      call("POST", `/v1/admin/reviews/${r.id}/${verb}`, { token: operator.token, body: { reason } });

    expectProblem(await act("unhide"), 409, "REVIEW_NOT_HIDDEN");
    expectProblem(await call("POST", `/v1/admin/reviews/${r.id}/unhide`, { token: customer.session.token, body: { reason: "x" } }), 403);
    expectProblem(await call("POST", "/v1/admin/reviews/rev_missing/unhide", { token: operator.token, body: { reason: "x" } }), 404);

    // two hides at once: one wins, the score moves back by the rating's points once
    const hides = await Promise.all([act("hide", "abusive"), act("hide", "abusive")]);
    expect(hides.map((h) => h.status).sort()).toEqual([200, 409]);
    expect(await scoreOf()).toBe(s0 + 10);
    expect(await lines("RATING_HIDDEN")).toEqual([{ points: 10, score_after: s0 + 10, actor_id: operator.accountId }]);
    const history = await call("GET", "/v1/technician/credit/history", { token: tech.token, headers: { "Accept-Language": "en" } });
    expect(history.body.items[0]).toMatchObject({
      points: 10,
      scoreAfter: s0 + 10,
      reason: { code: "RATING_HIDDEN", text: "A review was hidden: its rating no longer counts" },
      source: { type: "review", id: r.id },
    });
    const zh = await call("GET", "/v1/technician/credit/history", { token: tech.token, headers: { "Accept-Language": "zh-CN" } });
    expect(zh.body.items[0].reason.text).toBe("评价被隐藏，其评分影响撤回");

    // two shows at once: one wins, the points come back once, the rating counts again
    const shows = await Promise.all([act("unhide", "a mistake"), act("unhide", "a mistake")]);
    expect(shows.map((h) => h.status).sort()).toEqual([200, 409]);
    expectProblem(
      shows.find((h) => h.status === 409)!,
      409,
      "REVIEW_NOT_HIDDEN",
    );
    expect(shows.find((h) => h.status === 200)!.body).toMatchObject({ hidden: false, hiddenReason: null });
    expect(await scoreOf()).toBe(s0);
    expect(await lines("RATING_RESTORED")).toEqual([{ points: -10, score_after: s0, actor_id: operator.accountId }]);
    expect(await ratingOf(t.id)).toEqual({ r: 100, n: 1 });
    expect((await publicList(t.id)).body.items.map((x: { id: string }) => x.id)).toEqual([r.id]);

    // hidden a second time: a second reversal, the history still adds up to the score
    expect((await act("hide", "again")).status).toBe(200);
    expect(await scoreOf()).toBe(s0 + 10);
    expect(await lines("RATING_HIDDEN")).toHaveLength(2);
    const sum = await env.DB.prepare("SELECT COALESCE(SUM(points), 0) AS p FROM technician_credit_events WHERE technician_id = ?")
      .bind(t.id)
      .first<{ p: number }>();
    expect(600 + sum!.p).toBe(await scoreOf());
    const audit = await env.DB.prepare("SELECT action, data FROM audit_log WHERE target_id = ? ORDER BY seq")
      .bind(r.id)
      .all<{ action: string; data: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["review.hide", "review.unhide", "review.hide"]);
    expect(JSON.parse(audit.results[1]!.data)).toEqual({ reason: "a mistake", hiddenFor: "abusive" });
  });

  it("a merchant admin sees its own merchant's reviews only", async () => {
    const mine = await insertMerchant("Mine");
    const theirs = await insertMerchant("Theirs");
    const a = await completedVisit({ merchantId: mine });
    const b = await completedVisit({ merchantId: theirs });
    await review(a.customer.session, a.order.id, { ratings: GOOD });
    await review(b.customer.session, b.order.id, { ratings: GOOD });
    const admin = await signInWithRoles(["merchant_admin"], mine);
    const list = await call("GET", "/v1/admin/reviews", { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((r: { orderId: string }) => r.orderId)).toEqual([a.order.id]);
    expectProblem(await call("GET", "/v1/admin/reviews", { token: a.customer.session.token }), 403);
    expectProblem(await call("GET", "/v1/admin/reviews?minOverall=9", { token: admin.token }), 400, "VALIDATION_FAILED");
  });

  it("the public list is 404 for a technician who is unknown or not approved", async () => {
    const w: World = await createWorld(freshCenter());
    const pending = await addTechnician(w, w.center, { approve: false });
    expectProblem(await publicList(pending.id), 404);
    expectProblem(await publicList("tch_missing"), 404);
    expectProblem(await publicList(pending.id, "?cursor=nonsense"), 404);
  });
});
