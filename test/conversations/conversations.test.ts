import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { conversationsOfAccount, purgeOldChats } from "../../src/conversations";
import { noticesFor } from "../../src/domain/notifications";
import { MASK } from "../../src/domain/chat-safety";
import { ChatServerMessage, InboxServerMessage } from "../../src/domain/socket-messages";
import { book, newCustomer, quote, at } from "../support/booking";
import { call, callBytes, expectProblem, readAnswer, signIn, signInWithRoles, type Session } from "../support/http";
import { consume } from "../support/queue";
import { JPEG, listen, PNG, storedKeys, visitTo } from "../support/visit";
import { merchantWorld, type World } from "../support/world";

const send = (s: Session, id: string, body: unknown) => call("POST", `/v1/conversations/${id}/messages`, { token: s.token, body });
const history = (s: Session, id: string, q = "") => call("GET", `/v1/conversations/${id}/messages${q}`, { token: s.token });
const mine = (s: Session) => call("GET", "/v1/conversations", { token: s.token });
const openLive = (s: Session, id: string) =>
  exports.default.fetch(
    new Request(`http://doorstep.test/v1/conversations/${id}/live`, {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${s.token}` },
    }),
  );
const chatOutbox = async (conversationId: string) =>
  (
    await env.DB.prepare(
      "SELECT id, topic, payload FROM outbox WHERE topic = 'chat.message' AND json_extract(payload, '$.conversationId') = ?",
    )
      .bind(conversationId)
      .all<{ id: string; topic: string; payload: string }>()
  ).results.map((r) => ({ id: r.id, topic: r.topic, payload: JSON.parse(r.payload) as Record<string, unknown> }));

let slot = 0;
const nextStart = (w: World) => at(w, 2 + Math.floor(slot / 4), ["08:00", "11:00", "14:00", "17:00"][slot++ % 4]!);

async function orderChat(status: "accepted" | "in_service" | "completed") {
  const world = await merchantWorld();
  const visit = await visitTo(world.w, world.techSession, status, { start: nextStart(world.w) });
  const res = await call("GET", `/v1/orders/${visit.order.id}/conversation`, { token: visit.customer.session.token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { ...world, ...visit, conversation: res.body };
}

describe("an order's conversation", () => {
  it("is closed before a technician accepts, open from acceptance, closed again after completion + grace", async () => {
    const { w, techSession } = await merchantWorld();
    const customer = await newCustomer(w.center);
    const booked = await book(customer, await quote(w, customer, nextStart(w)));
    expect(booked.status).toBe(201);
    expectProblem(
      await call("GET", `/v1/orders/${booked.body.id}/conversation`, { token: customer.session.token }),
      409,
      "CONVERSATION_CLOSED",
    );
    expect(
      (await env.DB.prepare("SELECT count(*) AS n FROM conversations WHERE order_id = ?").bind(booked.body.id).first<number>("n")) ?? 0,
    ).toBe(0);

    const { order, customer: c2 } = await visitTo(w, techSession, "completed", { start: nextStart(w) });
    const conv = await call("GET", `/v1/orders/${order.id}/conversation`, { token: techSession.token });
    expect(conv.status).toBe(200);
    expect(conv.body).toMatchObject({ kind: "order", orderId: order.id, open: true });
    expect(conv.body.participants.map((p: { role: string }) => p.role).sort()).toEqual(["customer", "technician"]);
    expect((await send(c2.session, conv.body.id, { text: "谢谢师傅" })).status).toBe(201);

    // Completed longer ago than CHAT_GRACE_HOURS: closed for new messages, history still readable.
    const graceMs = Number(env.CHAT_GRACE_HOURS ?? 72) * 3_600_000;
    await env.DB.prepare("UPDATE orders SET completed_at = ? WHERE id = ?")
      .bind(Date.now() - graceMs - 60_000, order.id)
      .run();
    expectProblem(await send(c2.session, conv.body.id, { text: "还在吗" }), 409, "CONVERSATION_CLOSED");
    expect((await history(c2.session, conv.body.id)).body.items).toHaveLength(1);
  });

  it("is only for the order's customer and technician", async () => {
    const { conversation, order } = await orderChat("accepted");
    const stranger = await signIn();
    expectProblem(await call("GET", `/v1/orders/${order.id}/conversation`, { token: stranger.token }), 404);
    expectProblem(await history(stranger, conversation.id), 404);
    expectProblem(await send(stranger, conversation.id, { text: "hi" }), 404);
  });

  it("masks phone numbers, WeChat ids and payment requests before storing and delivering", async () => {
    const { conversation, customer, techSession } = await orderChat("accepted");
    const res = await send(techSession, conversation.id, { text: "加我微信 zhang_san88 或打 138 1234 5678，直接转账给我便宜" });
    expect(res.status).toBe(201);
    expect(res.body.masked).toBe(true);
    for (const secret of ["zhang_san88", "5678", "转账"]) expect(res.body.text).not.toContain(secret);
    expect(res.body.text).toContain(MASK);
    const stored = await env.DB.prepare("SELECT text, masked FROM conversation_messages WHERE id = ?")
      .bind(res.body.id)
      .first<{ text: string; masked: number }>();
    expect(stored).toEqual({ text: res.body.text, masked: 1 });
    expect((await history(customer.session, conversation.id)).body.items[0].text).toBe(res.body.text);
    const plain = await send(customer.session, conversation.id, { text: "明天 14:30 见" });
    expect(plain.body).toMatchObject({ text: "明天 14:30 见", masked: false });
  });

  it("flags abusive messages to staff, who list the flagged conversations", async () => {
    const { conversation, customer } = await orderChat("accepted");
    const operator = await signInWithRoles(["operator"]);
    const bad = await send(customer.session, conversation.id, { text: "你这个傻逼" });
    expect(bad.status).toBe(201);
    const ok = await send(customer.session, conversation.id, { text: "好的" });
    const flags = await call("GET", "/v1/admin/conversation-flags?limit=100", { token: operator.token });
    expect(flags.status).toBe(200);
    const mineFlags = flags.body.items.filter((f: { conversationId: string }) => f.conversationId === conversation.id);
    expect(mineFlags).toHaveLength(1);
    expect(mineFlags[0]).toMatchObject({ messageId: bad.body.id, words: ["傻逼"], kind: "order" });
    expect(mineFlags.some((f: { messageId: string }) => f.messageId === ok.body.id)).toBe(false);
    expectProblem(await call("GET", "/v1/admin/conversation-flags", { token: customer.session.token }), 403);
  });

  it("keeps read receipts and unread counts per conversation and in total", async () => {
    const { conversation, customer, techSession } = await orderChat("accepted");
    const m1 = await send(techSession, conversation.id, { text: "我明天到" });
    const m2 = await send(techSession, conversation.id, { text: "带好工具" });
    let list = await mine(customer.session);
    expect(list.body.items.find((c: { id: string }) => c.id === conversation.id).unread).toBe(2);
    expect(list.body.totalUnread).toBe(2);
    // The sender has nothing unread of their own.
    expect((await mine(techSession)).body.totalUnread).toBe(0);

    const read = await call("POST", `/v1/conversations/${conversation.id}/read`, {
      token: customer.session.token,
      body: { messageId: m1.body.id },
    });
    expect(read.body).toMatchObject({ lastReadMessageId: m1.body.id, unread: 1 });
    // Never moves back.
    await call("POST", `/v1/conversations/${conversation.id}/read`, { token: customer.session.token, body: { messageId: m2.body.id } });
    const back = await call("POST", `/v1/conversations/${conversation.id}/read`, {
      token: customer.session.token,
      body: { messageId: m1.body.id },
    });
    expect(back.body).toMatchObject({ lastReadMessageId: m2.body.id, unread: 0 });
    list = await mine(customer.session);
    expect(list.body.totalUnread).toBe(0);
    const conv = await call("GET", `/v1/conversations/${conversation.id}`, { token: techSession.token });
    expect(conv.body.participants.find((p: { role: string }) => p.role === "customer").lastReadMessageId).toBe(m2.body.id);
    expectProblem(
      await call("POST", `/v1/conversations/${conversation.id}/read`, { token: customer.session.token, body: { messageId: "cmg_nope" } }),
      404,
    );
  });

  it("pages the history newest first by cursor", async () => {
    const { conversation, customer } = await orderChat("accepted");
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push((await send(customer.session, conversation.id, { text: `消息 ${i}` })).body.id);
    const p1 = await history(customer.session, conversation.id, "?limit=2");
    expect(p1.body.items.map((m: { id: string }) => m.id)).toEqual([sent[4], sent[3]]);
    const p2 = await history(customer.session, conversation.id, `?limit=2&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((m: { id: string }) => m.id)).toEqual([sent[2], sent[1]]);
    const p3 = await history(customer.session, conversation.id, `?limit=2&cursor=${p2.body.nextCursor}`);
    expect(p3.body.items.map((m: { id: string }) => m.id)).toEqual([sent[0]]);
    expect(p3.body.nextCursor).toBeNull();
  });

  it("sends order cards only for orders the sender may see", async () => {
    const { conversation, customer, order } = await orderChat("accepted");
    const card = await send(customer.session, conversation.id, { orderId: order.id });
    expect(card.status).toBe(201);
    expect(card.body).toMatchObject({ kind: "order", orderId: order.id, text: null });
    const other = await orderChat("accepted");
    expectProblem(await send(customer.session, conversation.id, { orderId: other.order.id }), 404);
  });

  it("stores images in R2 and refuses a bad type with nothing stored", async () => {
    const { conversation, customer, techSession } = await orderChat("accepted");
    const up = await callBytes("POST", `/v1/conversations/${conversation.id}/images`, {
      token: customer.session.token,
      type: "image/png",
      bytes: PNG,
    });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ kind: "image", imageUrl: `/v1/conversations/${conversation.id}/messages/${up.body.id}/image` });
    const got = await exports.default.fetch(
      new Request(`http://doorstep.test${up.body.imageUrl}`, { headers: { Authorization: `Bearer ${techSession.token}` } }),
    );
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(PNG);

    const before = await storedKeys(`chats/${conversation.id}/`);
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM conversation_messages WHERE conversation_id = ?")
        .bind(conversation.id)
        .first<number>("n")) ?? 0;
    const n = await count();
    const gif = await callBytes("POST", `/v1/conversations/${conversation.id}/images`, {
      token: customer.session.token,
      type: "image/gif",
      bytes: new Uint8Array([0x47, 0x49, 0x46, 0x38]),
    });
    expectProblem(gif, 415);
    // Declared JPEG, but the bytes are not one.
    expectProblem(
      await callBytes("POST", `/v1/conversations/${conversation.id}/images`, {
        token: customer.session.token,
        type: "image/jpeg",
        bytes: PNG,
      }),
      400,
    );
    expect(await storedKeys(`chats/${conversation.id}/`)).toEqual(before);
    expect(await count()).toBe(n);
    expect(
      (
        await callBytes("POST", `/v1/conversations/${conversation.id}/images`, {
          token: customer.session.token,
          type: "image/jpeg",
          bytes: JPEG,
        })
      ).status,
    ).toBe(201);
  });

  it("pushes a new message live to a subscribed participant and gives the offline one a notice", async () => {
    const { conversation, customer, techSession, order } = await orderChat("accepted");
    const upgraded = await openLive(customer.session, conversation.id);
    expect(upgraded.status).toBe(101);
    const socket = listen(upgraded.webSocket!);
    const sent = await send(techSession, conversation.id, { text: "我出发了" });
    const frame = await socket.nth(1);
    expect(frame).toEqual({ type: "message", message: sent.body });
    expect(ChatServerMessage.parse(frame)).toEqual(frame);
    // The customer was live: no notice for them.
    expect(await chatOutbox(conversation.id)).toEqual([]);
    upgraded.webSocket!.close(1000, "bye");
    await socket.close();

    // The technician has no socket: the customer's message becomes a notice for them.
    const back = await send(customer.session, conversation.id, { text: "好的" });
    const rows = await chatOutbox(conversation.id);
    const techAccount = techSession.accountId;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.payload).toMatchObject({
      conversationId: conversation.id,
      messageId: back.body.id,
      customerId: techAccount,
      orderId: order.id,
    });
    const notices = noticesFor({ id: rows[0]!.id, topic: rows[0]!.topic, payload: rows[0]!.payload });
    expect(notices[0]).toMatchObject({ kind: "chat.message", channels: ["inapp", "push", "sms"] });
    expect(notices[0]!.body.zh).not.toContain("好的");
    // The queue's consumer turns it into the technician's in-app notice.
    await consume("doorstep-notifications", [{ id: rows[0]!.id, body: rows[0]! }]);
    const inapp = await call("GET", "/v1/me/notifications", { token: techSession.token });
    expect(
      inapp.body.items.some(
        (n: { kind: string; data: { conversationId?: string } }) => n.kind === "chat.message" && n.data.conversationId === conversation.id,
      ),
    ).toBe(true);
  });

  it("lets staff outside the conversation read it only with a stated reason, which is audited", async () => {
    const { conversation, customer } = await orderChat("accepted");
    await send(customer.session, conversation.id, { text: "师傅态度不好" });
    const operator = await signInWithRoles(["operator"]);
    expectProblem(await history(operator, conversation.id), 403, "REASON_REQUIRED");
    expectProblem(await call("GET", `/v1/conversations/${conversation.id}`, { token: operator.token }), 403, "REASON_REQUIRED");
    const audited = async () =>
      (
        await env.DB.prepare("SELECT actor_id, data FROM audit_log WHERE action = 'conversation.read' AND target_id = ?")
          .bind(conversation.id)
          .all<{ actor_id: string; data: string }>()
      ).results;
    expect(await audited()).toEqual([]);
    const read = await history(operator, conversation.id, `?reason=${encodeURIComponent("投诉核实")}`);
    expect(read.status).toBe(200);
    expect(read.body.items).toHaveLength(1);
    const rows = await audited();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actor_id).toBe(operator.accountId);
    expect(JSON.parse(rows[0]!.data)).toMatchObject({ reason: "投诉核实", kind: "order" });
    // A merchant admin is not platform staff: not even with a reason.
    const merchantAdmin = await signInWithRoles(["merchant_admin"]);
    expectProblem(await history(merchantAdmin, conversation.id, "?reason=x"), 404);
  });
});

describe("support conversations and the staff inbox", () => {
  it("two staff claiming at once: exactly one wins; the winner replies, hands off, and the SLA clock stops", async () => {
    const user = await signIn();
    const [a, b, c] = await Promise.all([signInWithRoles(["operator"]), signInWithRoles(["operator"]), signInWithRoles(["operator"])]);
    const started = await call("POST", "/v1/conversations", { token: user.token, body: { text: "我的订单有问题", ticketId: "tkt_any" } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ kind: "support", ticketId: "tkt_any", assigneeId: null });
    expect(started.body.waitingSince).not.toBeNull();
    const id = started.body.id as string;

    const unassigned = await call("GET", "/v1/admin/conversations?state=unassigned&limit=100", { token: a.token });
    const row = unassigned.body.items.find((x: { id: string }) => x.id === id);
    expect(row, JSON.stringify(unassigned.body)).toBeDefined();
    // Nobody holds it yet: no text in the list (reading it needs a reason or the claim).
    expect(row).toMatchObject({ lastText: null, overdue: false });
    expect(row.waitingSeconds).toBeGreaterThanOrEqual(0);

    // Replying before claiming is refused.
    expectProblem(await send(a, id, { text: "您好" }), 409, "NOT_ASSIGNED");

    const results = await Promise.all([a, b].map((s) => call("POST", `/v1/admin/conversations/${id}/claim`, { token: s.token })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results[0]!.status === 200 ? a : b;
    const loser = winner === a ? b : a;
    expectProblem(
      results.find((r) => r.status === 409)!,
      409,
      "ALREADY_CLAIMED",
    );
    const conv = await call("GET", `/v1/conversations/${id}`, { token: user.token });
    expect(conv.body.assigneeId).toBe(winner.accountId);

    expectProblem(await send(loser, id, { text: "我来" }), 409, "NOT_ASSIGNED");
    const reply = await send(winner, id, { text: "您好，请问订单号？" });
    expect(reply.status).toBe(201);
    const after = await call("GET", `/v1/conversations/${id}`, { token: user.token });
    expect(after.body.waitingSince).toBeNull();
    // The user was offline: a notice about the support reply.
    const notices = await chatOutbox(id);
    expect(notices.some((n) => n.payload.customerId === user.accountId && n.payload.support === true)).toBe(true);

    const handed = await call("POST", `/v1/admin/conversations/${id}/handoff`, { token: winner.token, body: { staffId: c.accountId } });
    expect(handed.status).toBe(200);
    expect(handed.body.assigneeId).toBe(c.accountId);
    expectProblem(await send(winner, id, { text: "still me" }), 409, "NOT_ASSIGNED");
    expect((await send(c, id, { text: "我来跟进" })).status).toBe(201);
    const mineNow = await call("GET", "/v1/admin/conversations?state=mine", { token: c.token });
    expect(mineNow.body.items.find((x: { id: string }) => x.id === id)).toMatchObject({ lastText: "我来跟进" });
    expectProblem(await call("POST", `/v1/admin/conversations/${id}/handoff`, { token: c.token, body: { staffId: user.accountId } }), 400);
    expectProblem(await call("GET", "/v1/admin/conversations", { token: user.token }), 403);
  });

  it("marks a conversation overdue past CHAT_SLA_MINUTES", async () => {
    const user = await signIn();
    const operator = await signInWithRoles(["operator"]);
    const started = await call("POST", "/v1/conversations", { token: user.token, body: { text: "在吗" } });
    await env.DB.prepare("UPDATE conversations SET waiting_since = ? WHERE id = ?")
      .bind(Date.now() - 3_600_000 * 24, started.body.id)
      .run();
    const inbox = await call("GET", "/v1/admin/conversations?limit=100", { token: operator.token });
    expect(inbox.body.items.find((x: { id: string }) => x.id === started.body.id)).toMatchObject({ overdue: true });
    expect(inbox.body.items[0].id).toBe(started.body.id);
  });

  it("keeps canned answers that operators edit", async () => {
    const operator = await signInWithRoles(["operator"]);
    const made = await call("POST", "/v1/admin/canned-answers", {
      token: operator.token,
      body: { title: "问候", body: "您好，请问有什么可以帮您？" },
    });
    expect(made.status).toBe(201);
    const edited = await call("PUT", `/v1/admin/canned-answers/${made.body.id}`, {
      token: operator.token,
      body: { title: "问候", body: "您好！" },
    });
    expect(edited.body.body).toBe("您好！");
    const list = await call("GET", "/v1/admin/canned-answers", { token: operator.token });
    expect(list.body.items.find((x: { id: string }) => x.id === made.body.id).body).toBe("您好！");
    expect((await call("DELETE", `/v1/admin/canned-answers/${made.body.id}`, { token: operator.token })).status).toBe(204);
    expectProblem(await call("DELETE", `/v1/admin/canned-answers/${made.body.id}`, { token: operator.token }), 404);
  });
});

describe("staff reading with a stated reason, the throttled offline notice and the live inbox", () => {
  const openInbox = (token: string, query = "") =>
    exports.default.fetch(
      new Request(`http://doorstep.test/v1/admin/conversations/live${query}`, {
        headers: { Upgrade: "websocket", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      }),
    );
  /** An image's answer: its bytes checked as PNG when 200, the problem otherwise. */
  const imageOf = async (s: Session, path: string) => {
    const res = await exports.default.fetch(
      new Request(`http://doorstep.test${path}`, { headers: { Authorization: `Bearer ${s.token}` } }),
    );
    if (res.status !== 200) return readAnswer(res);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PNG);
    return { status: 200, headers: res.headers, body: null };
  };
  const readAudits = async (id: string) =>
    (
      await env.DB.prepare("SELECT actor_id, data FROM audit_log WHERE action = 'conversation.read' AND target_id = ? ORDER BY rowid")
        .bind(id)
        .all<{ actor_id: string; data: string }>()
    ).results.map((r) => ({ actor: r.actor_id, ...(JSON.parse(r.data) as { reason?: string; kind?: string }) }));

  it("a support conversation: only the requester and the staff member holding it read it without a reason; everyone else on staff states one, audited", async () => {
    const user = await signIn();
    const [holder, other, next] = await Promise.all([
      signInWithRoles(["operator"]),
      signInWithRoles(["operator"]),
      signInWithRoles(["admin"]),
    ]);
    const started = await call("POST", "/v1/conversations", { token: user.token, body: { text: "师傅弄坏了我的门" } });
    const id = started.body.id as string;
    const image = await callBytes("POST", `/v1/conversations/${id}/images`, { token: user.token, type: "image/png", bytes: PNG });
    expect(image.status).toBe(201);
    const reads = (s: Session, q = "") => [
      call("GET", `/v1/conversations/${id}${q ? `?${q}` : ""}`, { token: s.token }),
      history(s, id, q ? `?${q}` : ""),
      imageOf(s, `/v1/conversations/${id}/messages/${image.body.id}/image${q ? `?${q}` : ""}`),
    ];

    // Unassigned: every read by staff needs a reason; none is audited when refused.
    for (const r of await Promise.all(reads(other))) expectProblem(r, 403, "REASON_REQUIRED");
    expectProblem(await history(other, id, "?reason=%20%20"), 400);
    expect(await readAudits(id)).toEqual([]);
    // The requester reads freely.
    for (const r of await Promise.all(reads(user))) expect(r.status).toBe(200);

    expect((await call("POST", `/v1/admin/conversations/${id}/claim`, { token: holder.token })).status).toBe(200);
    // The holder reads without a reason, and nothing is audited for it.
    for (const r of await Promise.all(reads(holder))) expect(r.status).toBe(200);
    expect(await readAudits(id)).toEqual([]);
    // Another operator still needs one; with it every read is audited with the reason.
    for (const r of await Promise.all(reads(other))) expectProblem(r, 403, "REASON_REQUIRED");
    const withReason = await Promise.all(reads(other, `reason=${encodeURIComponent("用户投诉复核")}`));
    expect(withReason.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(withReason[1]!.body.items.map((m: { text: string | null }) => m.text)).toContain("师傅弄坏了我的门");
    const audits = await readAudits(id);
    expect(audits).toHaveLength(3);
    expect(audits.every((a) => a.actor === other.accountId && a.reason === "用户投诉复核" && a.kind === "support")).toBe(true);
    // Nor may they follow it live, or move read receipts, as if it were theirs.
    expectProblem(await call("POST", `/v1/conversations/${id}/live/ticket`, { token: other.token }), 404);
    expectProblem(await call("POST", `/v1/conversations/${id}/read`, { token: other.token, body: { messageId: image.body.id } }), 404);
    // The inbox shows the text to the holder only.
    const inboxOf = async (s: Session) =>
      (await call("GET", "/v1/admin/conversations?state=assigned&limit=100", { token: s.token })).body.items.find(
        (x: { id: string }) => x.id === id,
      );
    expect(await inboxOf(other)).toMatchObject({ assigneeId: holder.accountId, lastText: null });
    expect(await inboxOf(holder)).toMatchObject({ assigneeId: holder.accountId });

    // Handed off: the new holder reads freely, the former one needs a reason like anyone else.
    expect(
      (await call("POST", `/v1/admin/conversations/${id}/handoff`, { token: holder.token, body: { staffId: next.accountId } })).status,
    ).toBe(200);
    for (const r of await Promise.all(reads(next))) expect(r.status).toBe(200);
    for (const r of await Promise.all(reads(holder))) expectProblem(r, 403, "REASON_REQUIRED");
    expect(await readAudits(id)).toHaveLength(3);
  });

  it("a burst of messages to an offline participant gives one notice per CHAT_OFFLINE_NOTICE_MINUTES, and a later one after the window", async () => {
    const { conversation, customer, techSession } = await orderChat("accepted");
    const windowMs = Number(env.CHAT_OFFLINE_NOTICE_MINUTES ?? 10) * 60_000;
    expect(windowMs).toBeGreaterThan(0);
    const noticesTo = async (accountId: string) => (await chatOutbox(conversation.id)).filter((n) => n.payload.customerId === accountId);

    // Five messages at once, then two more: the customer (no socket) gets one notice.
    const burst = await Promise.all(
      ["到了", "在楼下", "请开门", "电话 13812345678", "好的"].map((text) => send(techSession, conversation.id, { text })),
    );
    expect(burst.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    for (const text of ["还在吗", "我等你"]) expect((await send(techSession, conversation.id, { text })).status).toBe(201);
    expect(await noticesTo(customer.session.accountId)).toHaveLength(1);
    expect((await history(customer.session, conversation.id)).body.items).toHaveLength(7);
    // The throttle is per recipient: the technician, offline too, still hears of the customer's answer.
    expect((await send(customer.session, conversation.id, { text: "马上下来" })).status).toBe(201);
    expect(await noticesTo(techSession.accountId)).toHaveLength(1);
    expect(await noticesTo(customer.session.accountId)).toHaveLength(1);

    // Just inside the window: still none; once it has passed: the next message gives a second notice.
    const age = (ms: number) =>
      env.DB.prepare("UPDATE conversation_participants SET last_notice_at = ? WHERE conversation_id = ? AND account_id = ?")
        .bind(Date.now() - ms, conversation.id, customer.session.accountId)
        .run();
    await age(windowMs - 60_000);
    expect((await send(techSession, conversation.id, { text: "快点" })).status).toBe(201);
    expect(await noticesTo(customer.session.accountId)).toHaveLength(1);
    await age(windowMs + 1_000);
    const later = await send(techSession, conversation.id, { text: "我走了" });
    const notices = await noticesTo(customer.session.accountId);
    expect(notices).toHaveLength(2);
    expect(notices.map((n) => n.payload.messageId)).toContain(later.body.id);
  });

  it("staff follow the inbox over a WebSocket: openings, messages, claims and hand-offs are pushed without text", async () => {
    const [operator, colleague] = await Promise.all([signInWithRoles(["operator"]), signInWithRoles(["operator"])]);
    const user = await signIn();
    // Not staff: refused; no upgrade: 409.
    expectProblem(await readAnswer(await openInbox(user.token)), 403, "FORBIDDEN");
    expectProblem(await call("POST", "/v1/admin/conversations/live/ticket", { token: user.token }), 403);
    expectProblem(await call("GET", "/v1/admin/conversations/live", { token: operator.token }), 409, "UPGRADE_REQUIRED");
    // A browser opens it with a single-use ticket.
    const ticket = await call("POST", "/v1/admin/conversations/live/ticket", { token: operator.token });
    expect(ticket.status).toBe(201);
    const upgraded = await openInbox("", `?ticket=${encodeURIComponent(ticket.body.ticket)}`);
    expect(upgraded.status).toBe(101);
    expectProblem(await readAnswer(await openInbox("", `?ticket=${encodeURIComponent(ticket.body.ticket)}`)), 401, "TICKET_USED");
    const socket = listen(upgraded.webSocket!);
    const eventsOf = (id: string) => socket.messages.filter((m) => m.conversationId === id).map((m) => [m.event, m.assigneeId]);
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    };

    const started = await call("POST", "/v1/conversations", { token: user.token, body: { text: "我的电话是13812345678" } });
    const id = started.body.id as string;
    await until(() => eventsOf(id).length >= 1);
    expect(eventsOf(id)).toEqual([["message", null]]);
    for (const frame of socket.messages) expect(InboxServerMessage.parse(frame)).toEqual(frame);
    expect(JSON.stringify(socket.messages)).not.toMatch(/13812345678|电话/);

    await call("POST", `/v1/admin/conversations/${id}/claim`, { token: operator.token });
    await until(() => eventsOf(id).length >= 2);
    expect(eventsOf(id)[1]).toEqual(["claimed", operator.accountId]);
    // The holder is online on the inbox socket: the user's next message gives them no push/SMS notice.
    await send(user, id, { text: "在吗" });
    await until(() => eventsOf(id).length >= 3);
    expect(eventsOf(id)[2]).toEqual(["message", operator.accountId]);
    expect((await chatOutbox(id)).filter((n) => n.payload.customerId === operator.accountId)).toEqual([]);

    await call("POST", `/v1/admin/conversations/${id}/handoff`, { token: operator.token, body: { staffId: colleague.accountId } });
    await until(() => eventsOf(id).length >= 4);
    expect(eventsOf(id)[3]).toEqual(["handoff", colleague.accountId]);
    // The colleague has no socket: the user's message becomes a notice for them (and not for the former holder).
    await send(user, id, { text: "还有人吗" });
    await until(() => eventsOf(id).length >= 5);
    const notices = await chatOutbox(id);
    expect(notices.map((n) => n.payload.customerId)).toEqual([colleague.accountId]);
    upgraded.webSocket!.close(1000, "bye");
    await socket.close();
  });
});

describe("retention and export", () => {
  it("deletes chats older than CHAT_RETENTION_DAYS with their images, and exports a person's messages", async () => {
    const { conversation, customer, techSession } = await orderChat("accepted");
    const old = await send(customer.session, conversation.id, { text: "旧消息" });
    const img = await callBytes("POST", `/v1/conversations/${conversation.id}/images`, {
      token: customer.session.token,
      type: "image/jpeg",
      bytes: JPEG,
    });
    const fresh = await send(techSession, conversation.id, { text: "新消息" });
    const exported = await conversationsOfAccount(env, customer.session.accountId);
    const mineConv = exported.conversations.find((c) => c.id === conversation.id)!;
    expect(mineConv.messages.map((m) => m.id)).toEqual([old.body.id, img.body.id]);
    expect(JSON.parse(JSON.stringify(exported))).toEqual(exported);

    const days = Number(env.CHAT_RETENTION_DAYS ?? 180);
    const longAgo = Date.now() - (days + 1) * 86_400_000;
    await env.DB.prepare("UPDATE conversation_messages SET created_at = ? WHERE id IN (?, ?)")
      .bind(longAgo, old.body.id, img.body.id)
      .run();
    expect(await storedKeys(`chats/${conversation.id}/`)).toHaveLength(1);
    const purged = await purgeOldChats(env);
    expect(purged.messages).toBeGreaterThanOrEqual(2);
    expect(await storedKeys(`chats/${conversation.id}/`)).toEqual([]);
    const left = await history(customer.session, conversation.id);
    expect(left.body.items.map((m: { id: string }) => m.id)).toEqual([fresh.body.id]);
  });
});
