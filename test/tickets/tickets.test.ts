import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callBytes, callWith, expectProblem, signIn, signInAdmin, type Session } from "../support/http";
import { outboxRows } from "../support/queue";
import { openedTicket, openTicket, orderAt, ticketWorld, type TicketWorld } from "../support/tickets";
import { JPEG } from "../support/visit";

let t: TicketWorld;
let admin: Session;

beforeAll(async () => {
  t = await ticketWorld();
  admin = await signInAdmin();
});

const ticketCount = async (orderId: string) =>
  Number((await env.DB.prepare("SELECT count(*) AS n FROM tickets WHERE order_id = ?").bind(orderId).first<{ n: number }>())?.n);

describe("opening a ticket", () => {
  it("opens on a completed, paid order with the category's SLA targets, tells the technician, and keeps one open ticket per category", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const before = Date.now();
    const res = await openTicket(customer.session, order.id, { category: "damage", description: "花瓶被打碎" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      orderId: order.id,
      category: "damage",
      status: "open",
      openedByRole: "customer",
      conversationId: null,
    });
    expect(res.body.categoryText).toEqual({ zh: "物品损坏", en: "Damage" });
    // Default damage SLA: 4 h to the first response, 3 days to the resolution.
    const firstDue = Date.parse(res.body.sla.firstResponseDueAt);
    expect(firstDue - before).toBeGreaterThanOrEqual(240 * 60_000 - 5);
    expect(firstDue - before).toBeLessThan(240 * 60_000 + 60_000);
    expect(Date.parse(res.body.sla.resolutionDueAt) - firstDue).toBe((4320 - 240) * 60_000);
    const messages = (await outboxRows(order.id)).filter((m) => m.topic === "ticket.changed").map((m) => JSON.parse(m.payload));
    expect(messages.map((p: { event: string; to: string[] }) => [p.event, p.to])).toEqual([["opened", ["customer", "technician"]]]);
    expectProblem(await openTicket(customer.session, order.id, { category: "damage", description: "again" }), 409, "TICKET_ALREADY_OPEN");
    // Another category of the same order is its own ticket.
    expect((await openTicket(customer.session, order.id, { category: "attitude", description: "态度差" })).status).toBe(201);
    expect(await ticketCount(order.id)).toBe(2);
  });

  it("opens on an unpaid pay-after-service order that was served", async () => {
    const { customer, order } = await orderAt(t, "completed");
    const due = await env.DB.prepare("SELECT settled_at FROM payment_dues WHERE order_id = ?")
      .bind(order.id)
      .first<{ settled_at: number | null }>();
    expect(due?.settled_at ?? null).toBeNull();
    const ticket = await openedTicket(customer, order.id, "overcharge");
    expect(ticket.status).toBe("open");
  });

  it("opens a safety ticket during the visit, by the customer or the technician", async () => {
    const { customer, order } = await orderAt(t, "in_service");
    const byTech = await openTicket(t.techSession, order.id, { category: "safety", description: "客户家中有攻击性犬只" });
    expect(byTech.status, JSON.stringify(byTech.body)).toBe(201);
    expect(byTech.body.openedByRole).toBe("technician");
    // One open safety ticket per order: the customer's goes to the same one.
    expectProblem(await openTicket(customer.session, order.id, { category: "safety", description: "x" }), 409, "TICKET_ALREADY_OPEN");
    const arrived = await orderAt(t, "arrived");
    expect((await openTicket(arrived.customer.session, arrived.order.id, { category: "safety", description: "师傅吸烟" })).status).toBe(
      201,
    );
  });

  it("refuses everything else with a 4xx and writes nothing", async () => {
    const during = await orderAt(t, "in_service");
    const accepted = await orderAt(t, "accepted");
    const done = await orderAt(t, "completed", true);
    const stranger = await signIn();
    const refusals: [Session, string, Record<string, unknown>, number, string?][] = [
      // Not safety during the visit.
      [during.customer.session, during.order.id, { category: "quality", description: "x" }, 409, "TICKET_NOT_OPENABLE"],
      // Before the visit: nothing to complain about yet.
      [accepted.customer.session, accepted.order.id, { category: "safety", description: "x" }, 409, "TICKET_NOT_OPENABLE"],
      // The technician: safety only.
      [t.techSession, done.order.id, { category: "quality", description: "x" }, 409, "TICKET_NOT_OPENABLE"],
      // Someone else's order.
      [stranger, done.order.id, { category: "quality", description: "x" }, 404],
      [done.customer.session, "ord_missing", { category: "quality", description: "x" }, 404],
      // Bad input.
      [done.customer.session, done.order.id, { category: "rudeness", description: "x" }, 400, "VALIDATION_FAILED"],
      [done.customer.session, done.order.id, { category: "quality", description: "" }, 400, "VALIDATION_FAILED"],
      [done.customer.session, done.order.id, { category: "quality", description: "x", status: "resolved" }, 400, "VALIDATION_FAILED"],
    ];
    for (const [session, orderId, body, status, code] of refusals) expectProblem(await openTicket(session, orderId, body), status, code);
    for (const o of [during, accepted, done]) expect(await ticketCount(o.order.id)).toBe(0);
    expectProblem(await call("POST", `/v1/orders/${done.order.id}/tickets`, { body: { category: "quality", description: "x" } }), 401);
  });

  it("refuses a served order after the complaint window", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    await env.DB.prepare("UPDATE orders SET completed_at = ? WHERE id = ?")
      .bind(Date.now() - 8 * 86_400_000, order.id)
      .run();
    expectProblem(await openTicket(customer.session, order.id, { category: "quality", description: "x" }), 409, "COMPLAINT_WINDOW_CLOSED");
    expect(await ticketCount(order.id)).toBe(0);
  });

  it("takes its SLA targets from TICKET_SLA", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const res = await callWith(
      { ...env, TICKET_SLA: JSON.stringify({ quality: { firstResponseMinutes: 5, resolutionMinutes: 90 } }) },
      "POST",
      `/v1/orders/${order.id}/tickets`,
      { token: customer.session.token, body: { category: "quality", description: "x" } },
    );
    expect(res.status).toBe(201);
    expect(Date.parse(res.body.sla.resolutionDueAt) - Date.parse(res.body.sla.firstResponseDueAt)).toBe(85 * 60_000);
  });
});

describe("the ticket's log", () => {
  it("takes the customer's statement, the technician's appeal with evidence, and staff notes only staff see", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const say = (s: Session, body: Record<string, unknown>) => call("POST", `/v1/tickets/${ticket.id}/entries`, { token: s.token, body });
    expect((await say(customer.session, { body: "卫生间没有清洁" })).body.kind).toBe("statement");
    const appeal = await say(t.techSession, { body: "卫生间客户要求不清洁" });
    expect(appeal.status).toBe(201);
    expect(appeal.body).toMatchObject({ kind: "appeal", authorType: "technician" });
    const photo = await callBytes("POST", `/v1/tickets/${ticket.id}/photos`, {
      token: t.techSession.token,
      type: "image/jpeg",
      bytes: JPEG,
    });
    expect(photo.status, JSON.stringify(photo.body)).toBe(201);
    expect((await say(admin, { body: "需要核实录音", kind: "note" })).status).toBe(201);
    // Only staff choose the kind; a bad photo is refused like a visit photo.
    expectProblem(await say(customer.session, { body: "x", kind: "note" }), 400, "VALIDATION_FAILED");
    expectProblem(
      await callBytes("POST", `/v1/tickets/${ticket.id}/photos`, { token: customer.session.token, type: "image/png", bytes: JPEG }),
      400,
      "PHOTO_INVALID",
    );
    expectProblem(
      await callBytes("POST", `/v1/tickets/${ticket.id}/photos`, { token: customer.session.token, type: "text/plain", bytes: JPEG }),
      415,
    );

    const seen = async (s: Session) => (await call("GET", `/v1/tickets/${ticket.id}`, { token: s.token })).body;
    const staffView = await seen(admin);
    expect(staffView.entries.map((e: { kind: string }) => e.kind)).toEqual(["statement", "statement", "appeal", "evidence", "note"]);
    const customerView = await seen(customer.session);
    expect(customerView.viewer).toBe("customer");
    expect(customerView.entries.map((e: { kind: string }) => e.kind)).toEqual(["statement", "statement", "appeal", "evidence"]);
    const image = await call("GET", customerView.entries[3].photo.url, { token: customer.session.token });
    expect(image.status).toBe(200);
    expect(image.headers.get("Content-Type")).toBe("image/jpeg");
    const stranger = await signIn();
    expectProblem(await call("GET", `/v1/tickets/${ticket.id}`, { token: stranger.token }), 404);
    expectProblem(await call("GET", customerView.entries[3].photo.url, { token: stranger.token }), 404);
    expectProblem(await say(stranger, { body: "x" }), 404);
  });

  it("counts a staff reply (or the review) as the first response", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    expect(
      (await call("POST", `/v1/tickets/${ticket.id}/entries`, { token: admin.token, body: { body: "已收到", kind: "statement" } })).status,
    ).toBe(201);
    const view = (await call("GET", `/v1/tickets/${ticket.id}`, { token: admin.token })).body;
    expect(view.sla.firstRespondedAt).not.toBeNull();
    const reviewed = await call("POST", `/v1/admin/tickets/${ticket.id}/review`, { token: admin.token });
    expect(reviewed.body).toMatchObject({ status: "in_review", sla: { firstRespondedAt: view.sla.firstRespondedAt } });
    expectProblem(await call("POST", `/v1/admin/tickets/${ticket.id}/review`, { token: admin.token }), 409, "INVALID_TRANSITION");
    expectProblem(await call("POST", `/v1/admin/tickets/${ticket.id}/review`, { token: customer.session.token }), 403);
  });
});

describe("the staff queue", () => {
  it("lists overdue tickets (past either SLA target) and filters by status, category and city", async () => {
    const a = await orderAt(t, "completed", true);
    const b = await orderAt(t, "completed", true);
    const late = await openedTicket(a.customer, a.order.id, "lateness");
    const fresh = await openedTicket(b.customer, b.order.id, "lateness");
    // Its first response was due a minute ago.
    await env.DB.prepare("UPDATE tickets SET first_response_due_at = ? WHERE id = ?")
      .bind(Date.now() - 60_000, late.id)
      .run();
    const q = async (query: string) =>
      (await call("GET", `/v1/admin/tickets?${query}`, { token: admin.token })).body.items.map((i: { id: string }) => i.id);
    const overdue = await q(`overdue=true&city=${t.w.cityId}`);
    expect(overdue).toContain(late.id);
    expect(overdue).not.toContain(fresh.id);
    const all = await q(`category=lateness&status=open&city=${t.w.cityId}`);
    expect(all).toEqual(expect.arrayContaining([late.id, fresh.id]));
    expect(await q("city=cty_elsewhere")).toEqual([]);
    const one = (await call("GET", `/v1/tickets/${late.id}`, { token: admin.token })).body;
    expect(one.sla).toMatchObject({ overdue: true, firstResponseOverdue: true, resolutionOverdue: false });
    // Once in review (responded), it is no longer overdue for its first response.
    await call("POST", `/v1/admin/tickets/${late.id}/review`, { token: admin.token });
    expect(await q(`overdue=true&city=${t.w.cityId}`)).not.toContain(late.id);
    expectProblem(await call("GET", "/v1/admin/tickets", { token: a.customer.session.token }), 403);
    expectProblem(await call("GET", "/v1/admin/tickets?status=closed", { token: admin.token }), 400, "VALIDATION_FAILED");
  });
});

describe("reopening", () => {
  it("lets the customer reopen a rejected ticket within the window, twice at most", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const reject = () => call("POST", `/v1/admin/tickets/${ticket.id}/reject`, { token: admin.token, body: { reason: "证据不足" } });
    const reopen = (s: Session = customer.session) =>
      call("POST", `/v1/tickets/${ticket.id}/reopen`, { token: s.token, body: { reason: "补充了照片" } });
    expectProblem(await reopen(), 409, "TICKET_NOT_REOPENABLE");
    expect((await reject()).body.status).toBe("rejected");
    expectProblem(await reopen(t.techSession), 404);
    const again = await reopen();
    expect(again.body).toMatchObject({ status: "open", reopenCount: 1, resolution: { kind: "rejected" } });
    expect((await reject()).status).toBe(200);
    expect((await reopen()).body.reopenCount).toBe(2);
    expect((await reject()).status).toBe(200);
    expectProblem(await reopen(), 409, "TICKET_NOT_REOPENABLE");
  });

  it("refuses after TICKET_REOPEN_DAYS", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    await call("POST", `/v1/admin/tickets/${ticket.id}/reject`, { token: admin.token, body: { reason: "x" } });
    await env.DB.prepare("UPDATE tickets SET decided_at = ? WHERE id = ?")
      .bind(Date.now() - 8 * 86_400_000, ticket.id)
      .run();
    expectProblem(
      await call("POST", `/v1/tickets/${ticket.id}/reopen`, { token: customer.session.token, body: { reason: "x" } }),
      409,
      "TICKET_NOT_REOPENABLE",
    );
  });
});

describe("the old complaint route", () => {
  it("still opens a refund request on a completed paid order, next to tickets", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    await openedTicket(customer, order.id);
    const res = await call("POST", `/v1/orders/${order.id}/complaints`, { token: customer.session.token, body: { reason: "not clean" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.items[0]).toMatchObject({ kind: "complaint", status: "pending_approval" });
  });
});
