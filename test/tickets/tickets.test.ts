import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, callBytes, callWith, expectProblem, signIn, signInAdmin, signInWithRoles, type Session } from "../support/http";
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
    });
    expect(res.body.conversationId).toMatch(/^cnv_/);
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

describe("the ticket's support conversation", () => {
  const post = (s: Session, ticketId: string, body: Record<string, unknown>) =>
    call("POST", `/v1/tickets/${ticketId}/messages`, { token: s.token, body });
  const detail = async (s: Session, ticketId: string) => (await call("GET", `/v1/tickets/${ticketId}`, { token: s.token })).body;
  const conversationRow = (id: string) =>
    env.DB.prepare("SELECT kind, ticket_id, order_id, requester_id, assignee_id FROM conversations WHERE id = ?").bind(id).first();

  it("opens with the ticket, the customer its requester; staff reply there (taking it, the first response); the technician joins with the appeal", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const view = await detail(customer.session, ticket.id);
    const conversationId = view.conversation.id as string;
    expect(await conversationRow(conversationId)).toEqual({
      kind: "support",
      ticket_id: ticket.id,
      order_id: order.id,
      requester_id: customer.session.accountId,
      assignee_id: null,
    });
    expect(view.conversation).toMatchObject({ assigneeId: null, messages: [], more: false });
    expect(view.conversation.participants).toEqual([{ accountId: customer.session.accountId, side: "customer" }]);
    // In the staff inbox, unassigned, about the ticket.
    const operator = await signInWithRoles(["operator"]);
    const inbox = await call("GET", "/v1/admin/conversations?state=unassigned&limit=100", { token: operator.token });
    expect(inbox.body.items.find((c: { id: string }) => c.id === conversationId)).toMatchObject({ ticketId: ticket.id, orderId: order.id });

    // The customer writes (a phone number is masked like in any chat).
    const said = await post(customer.session, ticket.id, { text: "请打电话 13912345678" });
    expect(said.status, JSON.stringify(said.body)).toBe(201);
    expect(said.body).toMatchObject({ conversationId, senderSide: "customer", masked: true, erased: false });
    expect(said.body.text).not.toContain("13912345678");
    // Staff reply from the ticket: they take the conversation (audited) and it is the ticket's first response.
    const reply = await post(admin, ticket.id, { text: "您好，我们已收到" });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.senderSide).toBe("staff");
    expect(await conversationRow(conversationId)).toMatchObject({ assignee_id: admin.accountId });
    const claimed = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'conversation.claim' AND target_id = ?")
      .bind(conversationId)
      .first<{ n: number }>();
    expect(claimed?.n).toBe(1);
    expect((await detail(admin, ticket.id)).sla.firstRespondedAt).not.toBeNull();
    // Another staff member does not talk over the one holding it.
    expectProblem(await post(operator, ticket.id, { text: "我来处理" }), 409, "NOT_ASSIGNED");

    // The technician does not see the conversation until they take part in it.
    expect((await detail(t.techSession, ticket.id)).conversation).toBeNull();
    expectProblem(await call("GET", `/v1/conversations/${conversationId}/messages`, { token: t.techSession.token }), 404);
    expect(
      (await call("POST", `/v1/tickets/${ticket.id}/entries`, { token: t.techSession.token, body: { body: "我按要求完成了" } })).body.kind,
    ).toBe("appeal");
    const techView = await detail(t.techSession, ticket.id);
    expect(techView.conversation.participants.map((p: { side: string }) => p.side).sort()).toEqual(["customer", "staff", "technician"]);
    // Now they argue their side in the chat itself, through the conversation's own route too.
    const side = await call("POST", `/v1/conversations/${conversationId}/messages`, {
      token: t.techSession.token,
      body: { text: "现场照片可以证明" },
    });
    expect(side.status, JSON.stringify(side.body)).toBe(201);

    const seen = await detail(customer.session, ticket.id);
    expect(seen.conversation.messages.map((m: { senderSide: string; text: string }) => [m.senderSide, m.text])).toEqual([
      ["customer", said.body.text],
      ["staff", "您好，我们已收到"],
      ["technician", "现场照片可以证明"],
    ]);
    // The conversation stays the support chat it is: the inbox shows it as the admin's.
    const mine = await call("GET", "/v1/admin/conversations?state=mine&limit=100", { token: admin.token });
    expect(mine.body.items.map((c: { id: string }) => c.id)).toContain(conversationId);

    // Outsiders and bad input: 404 and 400, nothing written.
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM conversation_messages WHERE conversation_id = ?")
      .bind(conversationId)
      .first<{ n: number }>();
    const stranger = await signIn();
    expectProblem(await post(stranger, ticket.id, { text: "x" }), 404);
    expectProblem(await post(customer.session, "tkt_missing", { text: "x" }), 404);
    expectProblem(await post(customer.session, ticket.id, { text: "" }), 400, "VALIDATION_FAILED");
    expectProblem(await post(customer.session, ticket.id, { text: "x", kind: "note" }), 400, "VALIDATION_FAILED");
    expectProblem(await call("POST", `/v1/tickets/${ticket.id}/messages`, { body: { text: "x" } }), 401);
    expect(
      await env.DB.prepare("SELECT COUNT(*) AS n FROM conversation_messages WHERE conversation_id = ?").bind(conversationId).first(),
    ).toEqual(before);
  });

  it("links the customer's own support conversation, once; refuses anyone else's, writing nothing", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const started = await call("POST", "/v1/conversations", { token: customer.session.token, body: { text: "师傅把花瓶打碎了" } });
    expect(started.status).toBe(201);
    const linked = await openTicket(customer.session, order.id, {
      category: "damage",
      description: "花瓶",
      conversationId: started.body.id,
    });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    expect(linked.body.conversationId).toBe(started.body.id);
    expect(await conversationRow(started.body.id)).toMatchObject({ ticket_id: linked.body.id, order_id: order.id });
    // The earlier messages are the ticket's conversation now.
    expect((await detail(admin, linked.body.id)).conversation.messages.map((m: { text: string }) => m.text)).toEqual(["师傅把花瓶打碎了"]);

    // Already about a ticket: 400; another person's: 404; the technician links none: 404. Nothing written.
    expectProblem(
      await openTicket(customer.session, order.id, { category: "quality", description: "x", conversationId: started.body.id }),
      400,
      "VALIDATION_FAILED",
    );
    const other = await call("POST", "/v1/conversations", { token: (await signIn()).token, body: { text: "别人的会话" } });
    expectProblem(
      await openTicket(customer.session, order.id, { category: "quality", description: "x", conversationId: other.body.id }),
      404,
    );
    expectProblem(
      await openTicket(customer.session, order.id, { category: "quality", description: "x", conversationId: "cnv_missing" }),
      404,
    );
    expect(await ticketCount(order.id)).toBe(1);
    expect(await conversationRow(other.body.id)).toMatchObject({ ticket_id: null, order_id: null });

    // Two tickets linking one conversation at once: one links it, the other is refused (400 or 409).
    const fresh = await call("POST", "/v1/conversations", { token: customer.session.token, body: { text: "还有问题" } });
    const both = await Promise.all(
      ["quality", "attitude"].map((category) =>
        openTicket(customer.session, order.id, { category, description: "x", conversationId: fresh.body.id }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual([201, both.find((r) => r.status !== 201)!.status]);
    expect([400, 409]).toContain(both.find((r) => r.status !== 201)!.status);
    expect(await ticketCount(order.id)).toBe(2);
  });

  it("puts the technician who opens a safety ticket in its conversation at once", async () => {
    const { customer, order } = await orderAt(t, "in_service");
    const opened = await openTicket(t.techSession, order.id, { category: "safety", description: "客户家中有攻击性犬只" });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    expectProblem(
      await openTicket(t.techSession, order.id, { category: "safety", description: "x", conversationId: opened.body.conversationId }),
      404,
    );
    expect(await conversationRow(opened.body.conversationId)).toMatchObject({ requester_id: customer.session.accountId });
    const techView = await detail(t.techSession, opened.body.id);
    expect(techView.conversation.participants.map((p: { side: string }) => p.side).sort()).toEqual(["customer", "technician"]);
    expect((await post(t.techSession, opened.body.id, { text: "请把狗拴好" })).body.senderSide).toBe("technician");
    expect((await detail(customer.session, opened.body.id)).conversation.messages[0]).toMatchObject({ text: "请把狗拴好" });
  });

  it("opens one for a ticket from before tickets had conversations, on first use, once", async () => {
    const { customer, order } = await orderAt(t, "completed", true);
    const ticket = await openedTicket(customer, order.id);
    const old = (await detail(customer.session, ticket.id)).conversation.id;
    await env.DB.prepare("UPDATE tickets SET conversation_id = NULL WHERE id = ?").bind(ticket.id).run();
    expect((await detail(customer.session, ticket.id)).conversation).toBeNull();
    const both = await Promise.all([post(customer.session, ticket.id, { text: "一" }), post(customer.session, ticket.id, { text: "二" })]);
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    const now = await detail(customer.session, ticket.id);
    expect(now.conversationId).not.toBe(old);
    expect(both.map((r) => r.body.conversationId)).toEqual([now.conversationId, now.conversationId]);
    const made = await env.DB.prepare("SELECT COUNT(*) AS n FROM conversations WHERE ticket_id = ?").bind(ticket.id).first<{ n: number }>();
    // The one of the opening, and exactly one more.
    expect(made?.n).toBe(2);
  });
});
