import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { noticesFor } from "../../src/domain/notifications";
import { insertMerchant } from "../support/fixtures";
import { call, expectProblem, signInAdmin, signInWithRoles, type Session } from "../support/http";
import { orderOf, quote } from "../support/booking";
import { balanceOf, expectBalanced, ledgerOf } from "../support/payments";
import { outboxRows } from "../support/queue";
import { decisionCounts, nextSlot, openedTicket, orderAt, resolve, signIn, ticketWorld, type TicketWorld } from "../support/tickets";
import { scheduleOf } from "../support/visit";
import { addTechnician } from "../support/world";

let t: TicketWorld;
let admin: Session;
let operator: Session;

beforeAll(async () => {
  t = await ticketWorld();
  admin = await signInAdmin();
  operator = await signInWithRoles(["operator"]);
});

const ticketOf = async (id: string) => (await call("GET", `/v1/tickets/${id}`, { token: admin.token })).body;

describe("a rework visit", () => {
  it("is booked through the cell on the same technician, free with the reason recorded, once however often it is retried", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const start = nextSlot(t.w);
    const body = { reason: "返工重新清洁", rework: { start } };
    const res = await resolve(admin, ticket.id, body, "rework-1");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      status: "resolved",
      resolution: { kind: "resolved", reason: "返工重新清洁", rework: { technicianId: t.tech.id } },
    });
    const reworkId = res.body.reworkOrderId as string;
    expect(reworkId).toBe(res.body.resolution.rework.orderId);
    const rework = await orderOf(customer, reworkId);
    expect(rework).toMatchObject({ total: { amount: 0 }, technician: { id: t.tech.id } });
    expect(rework.status).not.toBe("pending_payment");
    expect(JSON.stringify(rework.lines)).toContain("rework");
    const row = await env.DB.prepare("SELECT total, notes, payment_plan FROM orders WHERE id = ?")
      .bind(reworkId)
      .first<{ total: number; notes: string; payment_plan: string }>();
    expect(row).toMatchObject({ total: 0, payment_plan: "after_service" });
    expect(row!.notes).toContain(ticket.id);
    expect(row!.notes).toContain("返工重新清洁");
    // In the technician's calendar (booked through the cell), once.
    const schedule = await scheduleOf(t.w, t.tech.id);
    expect(schedule.filter(([id]) => id === reworkId)).toHaveLength(1);
    // The same request again replays; the rework is not booked twice.
    const again = await resolve(admin, ticket.id, body, "rework-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.reworkOrderId).toBe(reworkId);
    expect((await decisionCounts(order.id)).orders).toBe(1);
  });

  it("never double-books: a taken interval is refused (409) and the ticket stays undecided", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const taken = await orderAt(t, "accepted");
    const ticket = await openedTicket(customer, order.id);
    const before = await decisionCounts(order.id);
    const refused = await resolve(admin, ticket.id, { reason: "返工", rework: { start: taken.order.start }, coupon: { amount: 500 } });
    expectProblem(refused, 409, "SLOT_UNAVAILABLE");
    expect(await decisionCounts(order.id)).toEqual(before);
    const still = await ticketOf(ticket.id);
    expect(still).toMatchObject({ status: "open", resolution: null, reworkOrderId: null });
    // The failed attempt gave its claim up: another time works at once.
    expect((await resolve(admin, ticket.id, { reason: "返工", rework: { start: nextSlot(t.w) } })).status).toBe(200);
  });

  it("works for an unpaid after-service order (the unpaid balance does not hold the rework back)", async () => {
    const { customer, order } = await orderAt(t, "completed");
    const ticket = await openedTicket(customer, order.id);
    const res = await resolve(admin, ticket.id, { reason: "返工", rework: { start: nextSlot(t.w) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await orderOf(customer, res.body.reworkOrderId)).total.amount).toBe(0);
  });
});

describe("refunds, coupons and penalties", () => {
  it("refunds in full through the refund flow: the order ends refunded, the ledger balanced", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id, "damage");
    const res = await resolve(operator, ticket.id, { reason: "损坏赔付", refund: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.resolution.refund.amount).toBe(order.total.amount);
    const refunds = await env.DB.prepare("SELECT status, kind, amount FROM refunds WHERE order_id = ?")
      .bind(order.id)
      .all<{ status: string; amount: number }>();
    expect(refunds.results).toEqual([{ status: "succeeded", kind: "operator", amount: order.total.amount }]);
    expect((await orderOf(customer, order.id)).status).toBe("refunded");
    expectBalanced(await ledgerOf(order.id));
    expect(await balanceOf("customer_funds", order.id)).toBe(0);
  });

  it("refunds part and the order is completed again", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const res = await resolve(admin, ticket.id, { reason: "部分退款", refund: { amount: 3000 } });
    expect(res.status).toBe(200);
    expect((await orderOf(customer, order.id)).status).toBe("completed");
    expect(await decisionCounts(order.id)).toMatchObject({ refunds: 1 });
  });

  it("refuses a refund on an unpaid order (409) and changes nothing", async () => {
    const { customer, order } = await orderAt(t, "completed");
    const ticket = await openedTicket(customer, order.id, "overcharge");
    const before = await decisionCounts(order.id);
    expectProblem(await resolve(admin, ticket.id, { reason: "退款", refund: {}, coupon: { amount: 1000 } }), 409, "NOTHING_TO_REFUND");
    expect(await decisionCounts(order.id)).toEqual(before);
    expect((await ticketOf(ticket.id)).status).toBe("open");
  });

  it("gives a one-use compensation coupon the customer can use on a quote", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id, "lateness");
    const res = await resolve(admin, ticket.id, { reason: "迟到补偿", coupon: { amount: 2000 } });
    expect(res.status).toBe(200);
    const code = res.body.resolution.coupon.code as string;
    expect(code).toMatch(/^TK[0-9A-Z]{10}$/);
    const q = await quote(t.w, customer, nextSlot(t.w), { couponCode: code });
    expect(q.lines.find((l: { code: string }) => l.code === `coupon:${code}`).amount.amount).toBe(-2000);
    // It is in the customer's wallet, bound to them: another account cannot use the code.
    const wallet = await call("GET", "/v1/me/coupons", { token: customer.session.token });
    expect(wallet.body.items).toMatchObject([{ code, source: "ticket", status: "available", value: 2000 }]);
    expect((await quote(t.w, customer, nextSlot(t.w), { bestCoupon: true })).total.amount).toBe(q.total.amount);
    const stranger = await signIn();
    const other = await call("POST", "/v1/quotes", {
      token: stranger.token,
      body: { serviceId: t.w.serviceId, ...t.w.center, start: nextSlot(t.w), couponCode: code },
    });
    expectProblem(other, 400, "COUPON_NOT_FOUND");
  });

  it("penalises the technician: a ledger deduction and a complaint_upheld credit fact in the decision's batch", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id, "attitude");
    const score = async () =>
      (await env.DB.prepare("SELECT credit_score AS s FROM technicians WHERE id = ?").bind(t.tech.id).first<{ s: number }>())!.s;
    const before = await score();
    const res = await resolve(admin, ticket.id, { reason: "态度恶劣", penalty: { amount: 5000 } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.resolution.penalty).toEqual({ amount: 5000, points: -30, technicianId: t.tech.id });
    const penalty = (await ledgerOf(order.id)).filter((x) => x.kind === "penalty");
    expect(penalty).toHaveLength(1);
    expect(penalty[0]!.ref).toBe(ticket.id);
    expect(Object.fromEntries(penalty[0]!.entries.map((e) => [e.account, e.amount]))).toEqual({
      [`technician_payable:${t.tech.id}`]: 5000,
      platform_revenue: -5000,
    });
    expect(await score()).toBe(Math.max(0, before - 30));
    const fact = await env.DB.prepare("SELECT * FROM technician_credit_events WHERE source_type = 'ticket' AND source_id = ?")
      .bind(ticket.id)
      .all();
    expect(fact.results).toMatchObject([
      {
        kind: "complaint_upheld",
        points: -30,
        score_after: before - 30,
        technician_id: t.tech.id,
        reason_code: "COMPLAINT_UPHELD",
        source_type: "ticket",
      },
    ]);
    const techView = (await call("GET", `/v1/tickets/${ticket.id}`, { token: t.techSession.token })).body;
    expect(techView.creditFact).toEqual({ points: -30, scoreAfter: before - 30 });
  });

  it("refuses a decision with nothing in it, by a party, or by another merchant's staff", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    expectProblem(await resolve(admin, ticket.id, { reason: "x" }), 400, "TICKET_NOTHING_DECIDED");
    expectProblem(await resolve(admin, ticket.id, { reason: "x", refund: { amount: -1 } }), 400, "VALIDATION_FAILED");
    expectProblem(await resolve(admin, ticket.id, { reason: "x", rework: { start: "tomorrow" } }), 400, "VALIDATION_FAILED");
    expectProblem(
      await call("POST", `/v1/admin/tickets/${ticket.id}/resolve`, { token: admin.token, body: { reason: "x", coupon: { amount: 100 } } }),
      400,
      "IDEMPOTENCY_KEY_REQUIRED",
    );
    expectProblem(await resolve(customer.session, ticket.id, { reason: "x", coupon: { amount: 100 } }), 403);
    const otherMerchant = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(await resolve(otherMerchant, ticket.id, { reason: "x", coupon: { amount: 100 } }), 404);
    expect((await ticketOf(ticket.id)).status).toBe("open");
  });
});

describe("two decisions at once", () => {
  it("lets exactly one of two staff decide: the refund and the coupon happen once", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id, "damage");
    const answers = await Promise.all([
      resolve(admin, ticket.id, { reason: "A", refund: { amount: 1000 }, coupon: { amount: 500 } }),
      resolve(operator, ticket.id, { reason: "B", refund: { amount: 2000 }, coupon: { amount: 800 } }),
      call("POST", `/v1/admin/tickets/${ticket.id}/reject`, { token: operator.token, body: { reason: "C" } }),
    ]);
    const won = answers.filter((a) => a.status === 200);
    expect(won, JSON.stringify(answers.map((a) => a.body))).toHaveLength(1);
    for (const lost of answers.filter((a) => a.status !== 200)) expectProblem(lost, 409, "TICKET_DECIDED");
    const counts = await decisionCounts(order.id);
    const decided = await ticketOf(ticket.id);
    expect(decided.resolution.reason).toBe(won[0]!.body.resolution.reason);
    if (decided.status === "resolved") {
      expect(counts.refunds).toBe(1);
      const refund = await env.DB.prepare("SELECT amount FROM refunds WHERE order_id = ?").bind(order.id).first<{ amount: number }>();
      expect(refund!.amount).toBe(decided.resolution.refund.amount);
    } else expect(counts.refunds).toBe(0);
    const coupons = await env.DB.prepare("SELECT count(*) AS n FROM coupons WHERE name = ?")
      .bind(`工单补偿 ${ticket.id}`)
      .first<{ n: number }>();
    expect(coupons!.n).toBe(decided.status === "resolved" ? 1 : 0);
  });

  it("books one rework when two staff send it at once", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const start = nextSlot(t.w);
    const answers = await Promise.all([
      resolve(admin, ticket.id, { reason: "返工", rework: { start } }),
      resolve(operator, ticket.id, { reason: "返工", rework: { start } }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const reworks = await env.DB.prepare("SELECT id FROM orders WHERE notes LIKE ?")
      .bind(`rework for ticket ${ticket.id}%`)
      .all<{ id: string }>();
    expect(reworks.results).toHaveLength(1);
    expect((await ticketOf(ticket.id)).reworkOrderId).toBe(reworks.results[0]!.id);
  });

  it("refuses a decision on a decided ticket", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    expect((await call("POST", `/v1/admin/tickets/${ticket.id}/reject`, { token: admin.token, body: { reason: "无依据" } })).status).toBe(
      200,
    );
    expectProblem(await resolve(admin, ticket.id, { reason: "x", coupon: { amount: 100 } }), 409, "TICKET_DECIDED");
  });
});

describe("the technician's side and the notices", () => {
  it("takes the technician's appeal into the log and tells both parties of the decision in zh-CN and en", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const appeal = await call("POST", `/v1/tickets/${ticket.id}/entries`, {
      token: t.techSession.token,
      body: { body: "已按要求完成，有照片为证" },
    });
    expect(appeal.body).toMatchObject({ kind: "appeal", authorType: "technician" });
    expect(
      (await call("POST", `/v1/admin/tickets/${ticket.id}/reject`, { token: admin.token, body: { reason: "师傅申诉成立" } })).status,
    ).toBe(200);
    const view = (await call("GET", `/v1/tickets/${ticket.id}`, { token: t.techSession.token })).body;
    expect(view.entries.map((e: { kind: string }) => e.kind)).toEqual(["statement", "appeal", "event"]);
    expect(view.creditFact).toBeNull();
    const messages = (await outboxRows(order.id)).filter((m) => m.topic === "ticket.changed");
    const events = messages.map((m) => JSON.parse(m.payload).event);
    expect(events).toEqual(["opened", "appeal", "rejected"]);
    const rejected = messages[2]!;
    const notices = noticesFor({ id: rejected.id, topic: rejected.topic, payload: JSON.parse(rejected.payload) });
    expect(notices.map((n) => n.audience)).toEqual(["customer", "technician"]);
    expect(notices[0]!.title).toEqual({ zh: "工单未获支持", en: "Ticket rejected" });
  });
});

// Last: a second technician in the world could take the orders the tests above book.
describe("a rework by another technician", () => {
  it("goes to another technician when staff name one", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const other = await addTechnician(t.w, t.w.center);
    const ticket = await openedTicket(customer, order.id, "attitude");
    const res = await resolve(admin, ticket.id, { reason: "换师傅返工", rework: { start: nextSlot(t.w), technicianId: other.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.resolution.rework.technicianId).toBe(other.id);
    expect((await orderOf(customer, res.body.reworkOrderId)).technician.id).toBe(other.id);
  });
});
