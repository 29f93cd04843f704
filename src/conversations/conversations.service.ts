/**
 * Conversations: an order's chat between its customer and its technician, and support chats between
 * any account and the platform's staff. Messages are stored in D1 first (text masked by
 * domain/chat-safety, abusive words flagged), then the conversation's cell pushes them to the live
 * sockets of its participants; a participant with no live socket gets a `chat.message` notice through
 * the outbox (in-app, push, SMS).
 *
 * Cells: an order conversation lives in the order's cell (`orders.cell`); a support conversation in
 * the Durable Object named `chat:<conversationId>` (one per conversation: no hot spot, nothing to look up).
 * The staff inbox's sockets are held by `chat:support-inbox` (INBOX_CELL), which hears of every
 * support conversation opened, message, claim and hand-off (never a message's text).
 *
 * Reading: a conversation's own people read it freely (an order's customer and technician; a support
 * conversation's requester and the staff member holding it). Any other operator or admin reads it
 * only with a stated reason, audited as `conversation.read`; everyone else gets 404.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import type { Guard } from "../db/repositories/statements";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { abuseWordsIn, DEFAULT_ABUSE_WORDS, maskChatText } from "../domain/chat-safety";
import type { OutboxMessage } from "../domain/outbox";
import type { ChatServerMessage, InboxServerMessage } from "../domain/socket-messages";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { cellStub } from "../cells";
import { issueSocketTicket, refusedTicket, socketCaller, ticketParams } from "../http/socket-ticket";
import { orderFor, readImage } from "../visit";
import * as repo from "./conversations.repo";
import type { ConversationRow, MessageRow } from "./conversations.repo";

const CONVERSATION = { en: "Conversation", zh: "会话" };
/** Order statuses in which the order's chat is open (after completion: for CHAT_GRACE_HOURS). */
const LIVE = new Set(["accepted", "en_route", "arrived", "in_service"]);
const AFTER = new Set(["completed", "after_sales", "refunded"]);

/** True while an order's chat takes messages: from acceptance until completion + the grace. */
export function orderChatOpen(
  order: Pick<OrderRow, "status" | "completedAt" | "updatedAt" | "technicianId">,
  now: number,
  graceHours: number,
) {
  if (!order.technicianId) return false;
  if (LIVE.has(order.status)) return true;
  if (AFTER.has(order.status)) return (order.completedAt ?? order.updatedAt) + graceHours * 3_600_000 > now;
  return false;
}

const closed = (env: Env) => AppError.of("CONVERSATION_CLOSED", { hours: config(env).CHAT_GRACE_HOURS });

function messageView(m: MessageRow) {
  return {
    id: m.id,
    conversationId: m.conversationId,
    senderId: m.senderId,
    kind: m.kind,
    text: m.text,
    imageUrl: m.r2Key ? `/v1/conversations/${m.conversationId}/messages/${m.id}/image` : null,
    orderId: m.orderRef,
    masked: m.masked,
    /** Emptied by its author's account deletion (text and image gone; the row keeps the thread's order). */
    erased: m.kind !== "order" && m.text === null && m.r2Key === null,
    createdAt: new Date(m.createdAt).toISOString(),
  };
}
export type MessageView = ReturnType<typeof messageView>;

function conversationView(
  env: Env,
  c: ConversationRow,
  extra: { unread?: number; participants?: repo.ParticipantRow[] } = {},
  now = Date.now(),
) {
  const slaMs = config(env).CHAT_SLA_MINUTES * 60_000;
  return {
    id: c.id,
    kind: c.kind,
    orderId: c.orderId,
    ticketId: c.ticketId,
    requesterId: c.requesterId,
    assigneeId: c.assigneeId,
    waitingSince: c.waitingSince === null ? null : new Date(c.waitingSince).toISOString(),
    overdue: c.kind === "support" && c.waitingSince !== null && now - c.waitingSince > slaMs,
    lastMessageAt: c.lastMessageAt === null ? null : new Date(c.lastMessageAt).toISOString(),
    createdAt: new Date(c.createdAt).toISOString(),
    ...(extra.unread !== undefined ? { unread: extra.unread } : {}),
    ...(extra.participants
      ? {
          participants: extra.participants.map((p) => ({
            accountId: p.accountId,
            role: p.role,
            lastReadMessageId: p.lastReadMessageId,
            lastReadAt: p.lastReadAt === null ? null : new Date(p.lastReadAt).toISOString(),
          })),
        }
      : {}),
  };
}

/** The Durable Object holding the staff inbox's sockets, and the "conversation" they are tagged with there. */
const INBOX_CELL = "chat:support-inbox";
const INBOX_TAG = "support-inbox";

type Relation = "participant" | "outsider";

/**
 * Whether a participant row makes its account one of the conversation's own people: staff on a
 * support conversation only while they hold it (one who handed it off is an outsider again).
 */
function ownPeople(c: ConversationRow, p: repo.ParticipantRow) {
  return p.role !== "staff" || c.assigneeId === p.accountId;
}

/**
 * The conversation and the caller's relation to it: one of its own people (`ownPeople`), or an
 * outsider (404 unless platform staff, who may read with a stated reason: `assertReadable`).
 */
async function reach(env: Env, auth: Auth, id: string) {
  const db = getDb(env);
  const c = await repo.findConversation(db, id);
  if (!c) throw notFound(CONVERSATION);
  const participants = await repo.participantsOf(db, id);
  const me = participants.find((p) => p.accountId === auth.accountId);
  const relation: Relation = me && ownPeople(c, me) ? "participant" : "outsider";
  if (relation === "outsider" && !isPlatform(auth.roles)) throw notFound(CONVERSATION);
  return { c, participants, me, relation };
}

/**
 * Staff who are not one of a conversation's own people (order or support, assigned to someone
 * else, unassigned, or handed off by them) read it only with a reason, which is audited.
 */
async function assertReadable(env: Env, auth: Auth, r: Awaited<ReturnType<typeof reach>>, reason: string | undefined) {
  if (r.relation !== "outsider") return;
  if (!reason?.trim()) throw AppError.of("REASON_REQUIRED");
  await appendAudit(getDb(env), {
    actorId: auth.accountId,
    action: "conversation.read",
    targetType: "conversation",
    targetId: r.c.id,
    data: { reason: reason.trim(), kind: r.c.kind, orderId: r.c.orderId },
  });
}

/**
 * The order's conversation for its customer or technician, made on first use once a technician
 * accepted (409 CONVERSATION_CLOSED before). A new technician of the order takes the old one's place.
 */
export async function orderConversation(env: Env, auth: Auth, orderId: string) {
  const { order, viewer } = await orderFor(env, auth, orderId);
  if (viewer === "staff") throw notFound("Order");
  const db = getDb(env);
  const now = Date.now();
  let c = await repo.findOrderConversation(db, order.id);
  const techAccount = order.technicianId ? await repo.technicianAccount(db, order.technicianId) : null;
  if (!c) {
    if (!techAccount || !orderChatOpen(order, now, config(env).CHAT_GRACE_HOURS)) throw closed(env);
    const row: ConversationRow = {
      id: newId("cnv", now),
      kind: "order",
      orderId: order.id,
      ticketId: null,
      requesterId: null,
      assigneeId: null,
      cell: order.cell,
      waitingSince: null,
      lastMessageAt: null,
      createdAt: now,
    };
    await repo.insertConversation(db, row, [
      { accountId: order.customerId, role: "customer" },
      { accountId: techAccount, role: "technician" },
    ]);
    c = (await repo.findOrderConversation(db, order.id))!;
  }
  let participants = await repo.participantsOf(db, c.id);
  if (techAccount && !participants.some((p) => p.role === "technician" && p.accountId === techAccount)) {
    await repo.replaceTechnician(db, c.id, techAccount, now);
    participants = await repo.participantsOf(db, c.id);
  }
  if (!participants.some((p) => p.accountId === auth.accountId)) throw notFound("Order");
  return { ...conversationView(env, c, { participants }, now), open: orderChatOpen(order, now, config(env).CHAT_GRACE_HOURS) };
}

/** Opens a support conversation with the platform's staff, optionally about an order of the caller's and/or a ticket. */
export async function startSupport(env: Env, auth: Auth, input: { orderId?: string; ticketId?: string; text?: string }) {
  if (input.orderId) await orderFor(env, auth, input.orderId);
  const db = getDb(env);
  const now = Date.now();
  const id = newId("cnv", now);
  const row: ConversationRow = {
    id,
    kind: "support",
    orderId: input.orderId ?? null,
    ticketId: input.ticketId ?? null,
    requesterId: auth.accountId,
    assigneeId: null,
    cell: `chat:${id}`,
    waitingSince: null,
    lastMessageAt: null,
    createdAt: now,
  };
  await repo.insertConversation(db, row, [{ accountId: auth.accountId, role: "requester" }]);
  if (input.text) await sendMessage(env, auth, id, { text: input.text });
  else await toInbox(env, "opened", row);
  return conversationView(env, (await repo.findConversation(db, id))!, { participants: await repo.participantsOf(db, id) });
}

/** One conversation with its participants' read receipts (an outsider on staff: with a reason). */
export async function getConversation(env: Env, auth: Auth, id: string, reason?: string) {
  const r = await reach(env, auth, id);
  await assertReadable(env, auth, r, reason);
  return conversationView(env, r.c, { participants: r.participants });
}

/** The caller's conversations, latest activity first, each with its unread count; and the total unread. */
export async function myConversations(env: Env, auth: Auth, q: { limit: number }) {
  const db = getDb(env);
  const rows = await repo.conversationsOf(db, auth.accountId, undefined, q.limit);
  const now = Date.now();
  return {
    items: rows.map((r) => conversationView(env, r.conversation, { unread: Number(r.unread) }, now)),
    totalUnread: await repo.totalUnread(db, auth.accountId),
  };
}

/** A page of messages, newest first (cursor: the last id seen). Outsiders on staff need a reason (audited). */
export async function messages(env: Env, auth: Auth, id: string, q: { limit: number; cursor?: string; reason?: string }) {
  const r = await reach(env, auth, id);
  await assertReadable(env, auth, r, q.reason);
  const rows = await repo.listMessages(getDb(env), id, decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(rows, q.limit);
  return { items: page.items.map(messageView), nextCursor: page.nextCursor };
}

/** Moves the caller's read receipt to `messageId` (a message of the conversation); never back. */
export async function markRead(env: Env, auth: Auth, id: string, messageId: string) {
  const r = await reach(env, auth, id);
  if (r.relation !== "participant") throw notFound(CONVERSATION);
  const db = getDb(env);
  if (!(await repo.findMessage(db, id, messageId))) throw notFound({ en: "Message", zh: "消息" });
  await repo.markRead(db, id, auth.accountId, messageId, Date.now());
  const [row] = (await repo.conversationsOf(db, auth.accountId, undefined, 100)).filter((x) => x.conversation.id === id);
  return { conversationId: id, lastReadMessageId: row?.participant.lastReadMessageId ?? messageId, unread: Number(row?.unread ?? 0) };
}

/**
 * Who may write: participants (on a support conversation: its requester, and the technician of the
 * ticket it is about once they joined it); staff on a support conversation only once it is theirs
 * (409 NOT_ASSIGNED).
 */
async function writable(env: Env, auth: Auth, id: string) {
  const r = await reach(env, auth, id);
  if (r.c.kind === "support") {
    const staff = isPlatform(auth.roles) && r.c.requesterId !== auth.accountId;
    if (staff && r.c.assigneeId !== auth.accountId) throw AppError.of("NOT_ASSIGNED");
    if (!staff && !r.me) throw notFound(CONVERSATION);
    return { ...r, fromStaff: staff };
  }
  if (!r.me) throw notFound(CONVERSATION);
  const order = await findOrder(getDb(env), r.c.orderId!);
  if (!order || !orderChatOpen(order, Date.now(), config(env).CHAT_GRACE_HOURS)) throw closed(env);
  return { ...r, fromStaff: false };
}

/**
 * Sends a text (masked before it is stored; abusive words flag it for staff) or an order card (an
 * order the sender may see). Stored first, then pushed live; offline participants get a notice.
 */
export async function sendMessage(env: Env, auth: Auth, id: string, input: { text?: string; orderId?: string }) {
  const w = await writable(env, auth, id);
  const now = Date.now();
  const row: MessageRow = {
    id: newId("cmg", now),
    conversationId: id,
    senderId: auth.accountId,
    kind: "text",
    text: null,
    r2Key: null,
    contentType: null,
    orderRef: null,
    masked: false,
    createdAt: now,
  };
  let flag: repo.FlagRow | undefined;
  if (input.orderId !== undefined) {
    const { order } = await orderFor(env, auth, input.orderId);
    row.kind = "order";
    row.orderRef = order.id;
  } else {
    flag = withText(env, row, input.text ?? "");
  }
  await store(env, w, row, flag);
  return messageView(row);
}

/** Puts the masked text on a text message; the flag to raise when it holds words of the abuse list. */
function withText(env: Env, row: MessageRow, text: string): repo.FlagRow | undefined {
  const masked = maskChatText(text);
  row.text = masked.text;
  row.masked = masked.masked;
  const list = config(env).CHAT_ABUSE_WORDS;
  const words = abuseWordsIn(text, list.length ? list : DEFAULT_ABUSE_WORDS);
  return words.length
    ? { id: newId("cfl", row.createdAt), conversationId: row.conversationId, messageId: row.id, words, createdAt: row.createdAt }
    : undefined;
}

/** Sends an image (checked like visit photos: JPEG, PNG or WebP, at most 5 MB, bytes of that format). */
export async function sendImage(env: Env, auth: Auth, id: string, upload: { contentType?: string; body: ArrayBuffer }) {
  const { type, bytes } = readImage(upload.contentType, upload.body);
  const w = await writable(env, auth, id);
  const now = Date.now();
  const msgId = newId("cmg", now);
  const row: MessageRow = {
    id: msgId,
    conversationId: id,
    senderId: auth.accountId,
    kind: "image",
    text: null,
    r2Key: `chats/${id}/${msgId}`,
    contentType: type,
    orderRef: null,
    masked: false,
    createdAt: now,
  };
  await env.PHOTOS.put(row.r2Key!, bytes, {
    httpMetadata: { contentType: type },
    customMetadata: { conversationId: id, messageId: msgId },
  });
  try {
    await store(env, w, row);
  } catch (err) {
    await env.PHOTOS.delete(row.r2Key!);
    throw err;
  }
  return messageView(row);
}

/** An image message's bytes, for whoever may read the conversation. */
export async function imageFile(env: Env, auth: Auth, id: string, messageId: string, reason?: string) {
  const r = await reach(env, auth, id);
  await assertReadable(env, auth, r, reason);
  const row = await repo.findMessage(getDb(env), id, messageId);
  const object = row?.r2Key ? await env.PHOTOS.get(row.r2Key) : null;
  if (!row || !object) throw notFound({ en: "Image", zh: "图片" });
  return { body: object.body, contentType: row.contentType ?? "application/octet-stream", size: object.size, etag: object.httpEtag };
}

/** Stores the message, pushes it to live sockets through the cell, and writes notices for the others. */
async function store(
  env: Env,
  w: { c: ConversationRow; participants: repo.ParticipantRow[]; fromStaff: boolean },
  row: MessageRow,
  flag?: repo.FlagRow,
) {
  const db = getDb(env);
  const waiting = w.c.kind !== "support" ? "keep" : w.fromStaff ? "stop" : "start";
  await repo.insertMessage(db, row, { flag, waiting });
  const view = messageView(row);
  const recipients = w.participants
    .filter((p) => ownPeople(w.c, p))
    .map((p) => p.accountId)
    .filter((a) => a !== row.senderId);
  let online: string[] = [];
  try {
    online = (
      await cellStub(env, w.c.cell).chatFanout(w.c.id, JSON.stringify({ type: "message", message: view } satisfies ChatServerMessage))
    ).online;
  } catch {
    // The cell could not be reached: everyone hears of it through the notices.
    online = [];
  }
  // Staff on the inbox's socket hear of it there (and count as online for what they hold).
  if (w.c.kind === "support") online.push(...(await toInbox(env, "message", w.c)));
  const offline = recipients.filter((a) => !online.includes(a));
  // At most one notice per participant and conversation every CHAT_OFFLINE_NOTICE_MINUTES.
  const due = await repo.takeNoticeTurns(
    db,
    w.c.id,
    offline,
    row.createdAt,
    row.createdAt - config(env).CHAT_OFFLINE_NOTICE_MINUTES * 60_000,
  );
  const notices: OutboxMessage[] = due.map((accountId) => ({
    id: newId("msg", row.createdAt),
    topic: "chat.message",
    payload: {
      conversationId: w.c.id,
      messageId: row.id,
      customerId: accountId,
      ...(w.c.orderId ? { orderId: w.c.orderId } : {}),
      support: w.c.kind === "support",
    },
  }));
  await repo.writeNotices(db, notices, row.createdAt);
}

/**
 * Tells the staff inbox's sockets that a support conversation changed (no text: see the header);
 * the staff accounts it reached. Best effort: a dashboard that missed it polls while its socket is closed.
 */
async function toInbox(
  env: Env,
  event: Extract<InboxServerMessage, { type: "inbox" }>["event"],
  c: Pick<ConversationRow, "id" | "assigneeId">,
) {
  const frame: InboxServerMessage = { type: "inbox", event, conversationId: c.id, assigneeId: c.assigneeId, at: Date.now() };
  try {
    return (await cellStub(env, INBOX_CELL).chatFanout(INBOX_TAG, JSON.stringify(frame))).online;
  } catch {
    return [];
  }
}

/** A single-use ticket for the conversation's live socket. */
export async function liveTicket(env: Env, auth: Auth, id: string) {
  const r = await reach(env, auth, id);
  if (r.relation === "outsider") throw notFound(CONVERSATION);
  return issueSocketTicket(env, auth, `/v1/conversations/${id}/live`);
}

/** Opens the caller's live socket on a conversation they take part in (or, for support, the desk). */
export async function openLive(env: Env, request: Request, bearer: Auth | undefined, id: string, ticketParam: string | undefined) {
  const { auth, ticket } = await socketCaller(env, bearer, ticketParam, `/v1/conversations/${id}/live`);
  const r = await reach(env, auth, id);
  if (r.relation === "outsider") throw notFound(CONVERSATION);
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") throw AppError.of("UPGRADE_REQUIRED");
  const query = new URLSearchParams({ conversationId: id, accountId: auth.accountId, ...ticketParams(ticket) });
  return refusedTicket(await cellStub(env, r.c.cell).fetch(`https://cell/chat?${query}`, { headers: { Upgrade: "websocket" } }));
}

// ---- Staff ----

const INBOX_LIVE = "/v1/admin/conversations/live";

/** A single-use ticket for the staff inbox's socket. */
export async function inboxTicket(env: Env, auth: Auth) {
  return issueSocketTicket(env, auth, INBOX_LIVE);
}

/** Opens an operator's or admin's socket on the support inbox (403 for anyone else). */
export async function openInboxLive(env: Env, request: Request, bearer: Auth | undefined, ticketParam: string | undefined) {
  const { auth, ticket } = await socketCaller(env, bearer, ticketParam, INBOX_LIVE);
  if (!isPlatform(auth.roles)) throw AppError.of("FORBIDDEN");
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") throw AppError.of("UPGRADE_REQUIRED");
  const query = new URLSearchParams({ conversationId: INBOX_TAG, accountId: auth.accountId, ...ticketParams(ticket) });
  return refusedTicket(await cellStub(env, INBOX_CELL).fetch(`https://cell/chat?${query}`, { headers: { Upgrade: "websocket" } }));
}

/**
 * The support inbox: unassigned, assigned (to anyone) or mine, longest-waiting first, with the SLA.
 * The last message's text only on the conversations the caller holds: reading any other needs a
 * stated reason (`messages`).
 */
export async function inbox(env: Env, auth: Auth, q: { state: "unassigned" | "assigned" | "mine"; limit: number }) {
  const rows = await repo.supportInbox(getDb(env), { state: q.state, staffId: auth.accountId }, q.limit);
  const now = Date.now();
  return {
    slaMinutes: config(env).CHAT_SLA_MINUTES,
    items: rows.map((r) => ({
      ...conversationView(env, r.conversation, {}, now),
      waitingSeconds: r.conversation.waitingSince === null ? null : Math.floor((now - r.conversation.waitingSince) / 1000),
      lastText: r.conversation.assigneeId === auth.accountId ? r.lastText : null,
    })),
  };
}

/** Claims an unassigned support conversation: of two staff claiming at once exactly one wins (409 ALREADY_CLAIMED). */
export async function claim(env: Env, auth: Auth, id: string) {
  const db = getDb(env);
  const c = await repo.findConversation(db, id);
  if (!c || c.kind !== "support") throw notFound(CONVERSATION);
  if (!(await repo.claim(db, id, auth.accountId))) throw AppError.of("ALREADY_CLAIMED");
  await repo.addParticipant(db, id, auth.accountId, "staff", Date.now());
  await appendAudit(db, { actorId: auth.accountId, action: "conversation.claim", targetType: "conversation", targetId: id });
  const claimed = (await repo.findConversation(db, id))!;
  await toInbox(env, "claimed", claimed);
  return conversationView(env, claimed, { participants: await repo.participantsOf(db, id) });
}

/** Hands a conversation the caller holds to another operator or admin (audited). */
export async function handOff(env: Env, auth: Auth, id: string, to: string) {
  const db = getDb(env);
  const c = await repo.findConversation(db, id);
  if (!c || c.kind !== "support") throw notFound(CONVERSATION);
  const roles = await repo.accountRoles(db, to);
  if (!roles || !isPlatform(roles as Auth["roles"])) {
    throw invalid([{ path: "body.staffId", message: "not an operator or admin" }]);
  }
  if (!(await repo.handOff(db, id, auth.accountId, to))) throw AppError.of("NOT_ASSIGNED");
  await repo.addParticipant(db, id, to, "staff", Date.now());
  await appendAudit(db, {
    actorId: auth.accountId,
    action: "conversation.handoff",
    targetType: "conversation",
    targetId: id,
    data: { to },
  });
  const handed = (await repo.findConversation(db, id))!;
  await toInbox(env, "handoff", handed);
  return conversationView(env, handed, { participants: await repo.participantsOf(db, id) });
}

/** Flags raised by the abuse word list, newest first. */
export async function flagged(env: Env, q: { limit: number; cursor?: string }) {
  const rows = await repo.flaggedConversations(getDb(env), decodeCursor(q.cursor), q.limit + 1);
  const page = toPage(
    rows.map((r) => ({ ...r, id: r.flag.id })),
    q.limit,
  );
  return {
    items: page.items.map((r) => ({
      id: r.flag.id,
      conversationId: r.flag.conversationId,
      kind: r.kind,
      orderId: r.orderId,
      messageId: r.flag.messageId,
      words: r.flag.words,
      createdAt: new Date(r.flag.createdAt).toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

const cannedView = (r: repo.CannedRow) => ({
  id: r.id,
  title: r.title,
  body: r.body,
  updatedAt: new Date(r.updatedAt).toISOString(),
});

export async function cannedAnswers(env: Env) {
  return { items: (await repo.listCanned(getDb(env))).map(cannedView) };
}

export async function createCanned(env: Env, auth: Auth, input: { title: string; body: string }) {
  const now = Date.now();
  const row: repo.CannedRow = { id: newId("can", now), ...input, updatedBy: auth.accountId, createdAt: now, updatedAt: now };
  await repo.insertCanned(getDb(env), row);
  return cannedView(row);
}

export async function updateCanned(env: Env, auth: Auth, id: string, input: { title: string; body: string }) {
  const row = await repo.updateCanned(getDb(env), id, { ...input, updatedBy: auth.accountId, updatedAt: Date.now() });
  if (!row) throw notFound({ en: "Canned answer", zh: "快捷回复" });
  return cannedView(row);
}

export async function deleteCanned(env: Env, id: string) {
  if (!(await repo.deleteCanned(getDb(env), id))) throw notFound({ en: "Canned answer", zh: "快捷回复" });
}

// ---- After-sales tickets (src/tickets calls these through index.ts) ----

/** Who writes in a ticket's conversation, as the ticket knows them. */
export type TicketSide = "customer" | "technician" | "staff";

/**
 * The support conversation of a ticket, as statements for the ticket's own batch. `linkId`: the
 * customer's own support conversation (opened by them, about no ticket yet, and about no order or this
 * one), which the ticket then links — 404 for anyone else's, 400 when it is about another ticket.
 * Otherwise a new one with the customer as its requester and, when the technician opened the ticket,
 * the technician as a participant; written only if `guard` holds. The ticket's row must be written
 * guarded by `linked`, so that of two tickets linking one conversation at once only one does.
 */
export async function planTicketConversation(
  env: Env,
  input: {
    ticketId: string;
    orderId: string;
    customerId: string;
    openerId: string;
    technicianAccountId: string | null;
    linkId?: string;
    now: number;
    /** The condition (given the new conversation's id) under which a new conversation is written. */
    guard?: (conversationId: string) => Guard;
  },
): Promise<{ conversationId: string; statements: D1PreparedStatement[]; linked: Guard }> {
  const db = getDb(env);
  if (input.linkId !== undefined) {
    const c = await repo.findConversation(db, input.linkId);
    const mine = c && c.kind === "support" && c.requesterId === input.customerId && input.openerId === input.customerId;
    if (!c || !mine) throw notFound(CONVERSATION);
    if (c.ticketId !== null || (c.orderId !== null && c.orderId !== input.orderId)) {
      throw invalid([{ path: "body.conversationId", message: "already about another ticket or order" }]);
    }
    return {
      conversationId: c.id,
      statements: [repo.linkTicket(db, c.id, input.ticketId, input.orderId)],
      linked: repo.conversationOfTicket(c.id, input.ticketId),
    };
  }
  const id = newId("cnv", input.now);
  const row: ConversationRow = {
    id,
    kind: "support",
    orderId: input.orderId,
    ticketId: input.ticketId,
    requesterId: input.customerId,
    assigneeId: null,
    cell: `chat:${id}`,
    waitingSince: null,
    lastMessageAt: null,
    createdAt: input.now,
  };
  const participants: Pick<repo.ParticipantRow, "accountId" | "role">[] = [{ accountId: input.customerId, role: "requester" }];
  if (input.technicianAccountId) participants.push({ accountId: input.technicianAccountId, role: "technician" });
  return {
    conversationId: id,
    statements: repo.conversationInserts(db, row, participants, input.guard?.(id)),
    linked: repo.conversationOfTicket(id, input.ticketId),
  };
}

/** The ticket's technician joins its conversation (when they state their side): they read and write there from now on. */
export async function joinTicketConversation(env: Env, conversationId: string, accountId: string): Promise<void> {
  await repo.addParticipant(getDb(env), conversationId, accountId, "technician", Date.now());
}

/**
 * A ticket's conversation as its detail shows it: the participants and the latest 100 messages,
 * oldest first, each with its sender's side. `member`: only if that account takes part (else null).
 */
export async function ticketConversation(env: Env, id: string, member?: string) {
  const db = getDb(env);
  const c = await repo.findConversation(db, id);
  if (!c) return null;
  const participants = await repo.participantsOf(db, id);
  if (member !== undefined && !participants.some((p) => p.accountId === member)) return null;
  const rows = await repo.listMessages(db, id, undefined, 101);
  const side = new Map<string, TicketSide>(
    participants.map((p) => [p.accountId, p.role === "requester" || p.role === "customer" ? "customer" : p.role]),
  );
  return {
    id: c.id,
    assigneeId: c.assigneeId,
    participants: participants.map((p) => ({ accountId: p.accountId, side: side.get(p.accountId)! })),
    messages: rows
      .slice(0, 100)
      .reverse()
      .map((m) => ({ ...messageView(m), senderSide: side.get(m.senderId) ?? null })),
    more: rows.length > 100,
  };
}

/**
 * Writes in a ticket's conversation for someone the ticket says may (checked by src/tickets): the
 * customer; the technician, who joins it; staff, who take the conversation if nobody holds it (audited
 * like a claim) and otherwise need to hold it (409 NOT_ASSIGNED). Masked, flagged, pushed and noticed
 * like any message.
 */
export async function postTicketMessage(env: Env, auth: Auth, id: string, side: TicketSide, text: string) {
  const db = getDb(env);
  const now = Date.now();
  let c = await repo.findConversation(db, id);
  if (!c) throw notFound(CONVERSATION);
  if (side === "staff") {
    if (c.assigneeId === null && (await repo.claim(db, id, auth.accountId))) {
      await appendAudit(db, {
        actorId: auth.accountId,
        action: "conversation.claim",
        targetType: "conversation",
        targetId: id,
        data: { ticketId: c.ticketId },
      });
      c = (await repo.findConversation(db, id))!;
    }
    if (c.assigneeId !== auth.accountId) throw AppError.of("NOT_ASSIGNED");
  }
  await repo.addParticipant(db, id, auth.accountId, side === "customer" ? "requester" : side, now);
  const row: MessageRow = {
    id: newId("cmg", now),
    conversationId: id,
    senderId: auth.accountId,
    kind: "text",
    text: null,
    r2Key: null,
    contentType: null,
    orderRef: null,
    masked: false,
    createdAt: now,
  };
  const flag = withText(env, row, text);
  await store(env, { c, participants: await repo.participantsOf(db, id), fromStaff: side === "staff" }, row, flag);
  return { ...messageView(row), senderSide: side };
}

/**
 * What an account deletion (src/privacy) does to chats, for its one batch: the messages the person
 * sent anywhere and every message of the support conversations they asked for lose their text and
 * image (their flags go); the rows stay, emptied, so the other side's thread keeps its order. `keys`:
 * the R2 images to delete once the batch is written.
 */
export async function chatErasure(env: Env, accountId: string): Promise<{ statements: D1PreparedStatement[]; keys: string[] }> {
  const db = getDb(env);
  return { keys: await repo.erasedImageKeys(db, accountId), statements: repo.erasureStatements(db, accountId) };
}

// ---- Retention and export ----

/** Deletes chats older than CHAT_RETENTION_DAYS with their images (the daily cron); how many messages. */
export async function purgeOldChats(env: Env, now = Date.now()): Promise<{ messages: number; images: number }> {
  return purgeChatsBefore(env, now - config(env).CHAT_RETENTION_DAYS * 86_400_000, 25_000);
}

/**
 * Deletes messages written before `before` (at most `limit`, oldest first, 500 per round) with
 * their R2 images, then the conversations left empty. The daily retention job (src/privacy) runs it.
 */
export async function purgeChatsBefore(env: Env, before: number, limit: number): Promise<{ messages: number; images: number }> {
  const db = getDb(env);
  let messages = 0;
  let images = 0;
  while (messages < limit) {
    const rows = await repo.expiredMessages(db, before, Math.min(500, limit - messages));
    const keys = rows.flatMap((r) => (r.r2Key ? [r.r2Key] : []));
    if (keys.length) await env.PHOTOS.delete(keys);
    await repo.deleteMessages(
      db,
      rows.map((r) => r.id),
      before,
    );
    messages += rows.length;
    images += keys.length;
    if (rows.length < 500) break;
  }
  return { messages, images };
}

/** The account's conversations and the messages it wrote, as plain JSON (the personal-data export). */
export async function conversationsOfAccount(env: Env, accountId: string) {
  const { convs, sent } = await repo.messagesOfAccount(getDb(env), accountId);
  return {
    conversations: convs.map((c) => ({
      id: c.conversation.id,
      kind: c.conversation.kind,
      role: c.role,
      orderId: c.conversation.orderId,
      ticketId: c.conversation.ticketId,
      createdAt: new Date(c.conversation.createdAt).toISOString(),
      messages: sent.filter((m) => m.conversationId === c.conversation.id).map(messageView),
    })),
  };
}
