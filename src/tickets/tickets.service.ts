/**
 * After-sales tickets: opening one on an order, who sees it, its log (statements, the technician's
 * appeal, staff notes, evidence photos), the review and the reopen rules, and the staff queue.
 * Decisions (resolve, reject) are in decisions.service.ts.
 *
 * A ticket is not the old complaint (POST /v1/orders/{id}/complaints, src/money/complaints.service.ts):
 * that one stays what it was, a refund request on a completed paid order that staff approve or reject.
 * A ticket is the wider case (any category, unpaid after-service orders, safety during the visit)
 * whose resolution may include a refund made through the same refund flow.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { findOrder, type OrderRow } from "../db/repositories/orders.repo";
import { outboxRow, runBatch, type Guard } from "../db/repositories/statements";
import type { OutboxMessageOf } from "../domain/outbox";
import { isPlatform } from "../domain/roles";
import {
  CATEGORY_TEXT,
  mayOpen,
  mayReopen,
  OPEN_TICKET_STATUSES,
  overdueOf,
  type TicketAuthorType,
  type TicketCategory,
  type TicketEntryKind,
  type TicketStatus,
} from "../domain/tickets";
import type { Auth } from "../env";
import { AppError, notFound } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { joinTicketConversation, planTicketConversation, postTicketMessage, ticketConversation } from "../conversations";
import { readImage } from "../visit";
import {
  conversationSet,
  entriesOf,
  entryInsert,
  findEntry,
  findTicket,
  listTickets,
  markFirstResponse,
  ticketAt,
  ticketHasConversation,
  ticketInsert,
  ticketMoved,
  ticketsOfOrder,
  type TicketEntryRow,
  type TicketRow,
} from "./tickets.repo";
import { creditFactOf } from "./tickets.repo";

export type TicketViewer = "customer" | "technician" | "staff";

/** At most this many evidence photos per ticket. */
const MAX_EVIDENCE = 10;
/** A decided ticket may be reopened this many times. */
export const MAX_REOPENS = 2;

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

function entryView(e: TicketEntryRow) {
  return {
    id: e.id,
    authorType: e.authorType,
    kind: e.kind,
    body: e.body,
    photo: e.r2Key ? { contentType: e.contentType, size: e.size, url: `/v1/tickets/${e.ticketId}/photos/${e.id}` } : null,
    createdAt: new Date(e.createdAt).toISOString(),
  };
}

export function ticketView(t: TicketRow, now = Date.now()) {
  const overdue = overdueOf(t, now);
  return {
    id: t.id,
    orderId: t.orderId,
    category: t.category,
    categoryText: CATEGORY_TEXT[t.category],
    status: t.status,
    description: t.description,
    openedByRole: t.openedByRole,
    technicianId: t.technicianId,
    merchantId: t.merchantId,
    cityId: t.cityId,
    conversationId: t.conversationId,
    sla: {
      firstResponseDueAt: new Date(t.firstResponseDueAt).toISOString(),
      resolutionDueAt: new Date(t.resolutionDueAt).toISOString(),
      firstRespondedAt: iso(t.firstRespondedAt),
      overdue: overdue.firstResponse || overdue.resolution,
      firstResponseOverdue: overdue.firstResponse,
      resolutionOverdue: overdue.resolution,
    },
    decidedAt: iso(t.decidedAt),
    resolution: t.resolution ?? null,
    reworkOrderId: t.reworkOrderId,
    reopenCount: t.reopenCount,
    createdAt: new Date(t.createdAt).toISOString(),
    updatedAt: new Date(t.updatedAt).toISOString(),
  };
}

/** The staff that manage an order: operators and admins any, a merchant_admin its merchant's. */
export function managesOrder(auth: Auth, merchantId: string | null): boolean {
  if (isPlatform(auth.roles)) return true;
  return auth.roles.includes("merchant_admin") && auth.merchantId !== null && merchantId === auth.merchantId;
}

/** The ticket with the caller's relation to it: its customer, its technician, or staff managing it; else 404. */
export async function ticketFor(env: Env, auth: Auth, id: string): Promise<{ ticket: TicketRow; viewer: TicketViewer }> {
  const ticket = await findTicket(getDb(env), id);
  if (ticket) {
    if (ticket.customerId === auth.accountId) return { ticket, viewer: "customer" };
    if (auth.technicianId !== null && ticket.technicianId === auth.technicianId) return { ticket, viewer: "technician" };
    if (managesOrder(auth, ticket.merchantId)) return { ticket, viewer: "staff" };
  }
  throw notFound({ en: "Ticket", zh: "工单" });
}

/** A ticket-changed message for the notices (src/domain/notifications.ts). */
export function ticketMessage(
  t: TicketRow,
  event: OutboxMessageOf<"ticket.changed">["payload"]["event"],
  to: ("customer" | "technician")[],
): OutboxMessageOf<"ticket.changed"> {
  return {
    id: newId("msg"),
    topic: "ticket.changed",
    payload: {
      orderId: t.orderId,
      customerId: t.customerId,
      technicianId: t.technicianId,
      ticketId: t.id,
      category: t.category,
      event,
      to: to.filter((a) => a === "customer" || t.technicianId !== null),
    },
  };
}

export function entryRow(
  ticketId: string,
  author: { type: TicketAuthorType; id: string | null },
  kind: TicketEntryKind,
  body: string | null,
  now: number,
): TicketEntryRow {
  return {
    id: newId("tke", now),
    ticketId,
    authorType: author.type,
    authorId: author.id,
    kind,
    body,
    r2Key: null,
    contentType: null,
    size: null,
    createdAt: now,
  };
}

/** Who the caller is to the order for opening a ticket, or 404. */
function openerOf(auth: Auth, order: OrderRow): "customer" | "technician" {
  if (order.customerId === auth.accountId) return "customer";
  if (auth.technicianId !== null && order.technicianId === auth.technicianId) return "technician";
  throw notFound("Order");
}

const WHY = {
  status: { en: "the order is not served yet and no visit is under way", zh: "订单尚未服务且不在上门过程中" },
  category: { en: "during a visit, and for technicians, only safety issues", zh: "上门过程中以及师傅只能提交安全问题" },
};

/**
 * Opens a ticket on an order: its customer after the service (paid or not, any category) or during
 * the visit (safety), its technician for safety. Served orders within COMPLAINT_WINDOW_DAYS of their
 * completion. One open ticket per order and category (409 TICKET_ALREADY_OPEN). Its support conversation
 * (src/conversations, the customer its requester) is opened or linked in the same batch.
 */
export async function openTicket(
  env: Env,
  auth: Auth,
  orderId: string,
  input: { category: TicketCategory; description: string; conversationId?: string },
) {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  if (!order) throw notFound("Order");
  const who = openerOf(auth, order);
  const allowed = mayOpen(who, input.category, order.status);
  if (!allowed.ok) {
    throw AppError.of(
      "TICKET_NOT_OPENABLE",
      { category: CATEGORY_TEXT[input.category], why: WHY[allowed.reason] },
      { extra: { status: order.status, reason: allowed.reason } },
    );
  }
  const now = Date.now();
  const served = order.completedAt ?? order.updatedAt;
  if (order.completedAt !== null && now > served + config(env).COMPLAINT_WINDOW_DAYS * 86_400_000)
    throw AppError.of("COMPLAINT_WINDOW_CLOSED");
  const sla = config(env).TICKET_SLA[input.category];
  const row: TicketRow = {
    id: newId("tkt", now),
    orderId: order.id,
    customerId: order.customerId,
    technicianId: order.technicianId,
    merchantId: order.merchantId,
    cityId: order.cityId,
    category: input.category,
    status: "open",
    openedBy: auth.accountId,
    openedByRole: who,
    description: input.description,
    conversationId: null,
    firstResponseDueAt: now + sla.firstResponseMinutes * 60_000,
    resolutionDueAt: now + sla.resolutionMinutes * 60_000,
    firstRespondedAt: null,
    claimId: null,
    claimUntil: null,
    decisionId: null,
    decidedBy: null,
    decidedAt: null,
    resolution: null,
    reworkOrderId: null,
    reopenCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const conversation = await planTicketConversation(env, {
    ticketId: row.id,
    orderId: order.id,
    customerId: order.customerId,
    openerId: auth.accountId,
    technicianAccountId: who === "technician" ? auth.accountId : null,
    linkId: input.conversationId,
    now,
  });
  row.conversationId = conversation.conversationId;
  const created = ticketAt(row.id, 1);
  try {
    const results = await runBatch(db, [
      ...conversation.statements,
      // Written only with its conversation (a linked one: only if no other ticket linked it first).
      ticketInsert(db, row, conversation.linked),
      entryInsert(db, entryRow(row.id, { type: who, id: auth.accountId }, "statement", input.description, now), created),
      outboxRow(db, ticketMessage(row, "opened", who === "customer" ? ["customer", "technician"] : ["technician"]), now, created),
    ]);
    if (results[conversation.statements.length]?.meta.changes !== 1) throw AppError.of("CONCURRENT_UPDATE");
  } catch (err) {
    if (/UNIQUE constraint failed: tickets/i.test(String(err))) throw AppError.of("TICKET_ALREADY_OPEN");
    throw err;
  }
  return ticketView(row, now);
}

/** The ticket's support conversation, opened now for a ticket from before tickets had one. */
async function conversationOf(env: Env, ticket: TicketRow): Promise<string> {
  if (ticket.conversationId) return ticket.conversationId;
  const db = getDb(env);
  const plan = await planTicketConversation(env, {
    ticketId: ticket.id,
    orderId: ticket.orderId,
    customerId: ticket.customerId,
    openerId: ticket.openedBy,
    technicianAccountId: null,
    now: Date.now(),
    guard: (conversationId) => ticketHasConversation(ticket.id, conversationId),
  });
  // The ticket takes it first; the conversation is written only if it did (two callers at once make one).
  await runBatch(db, [conversationSet(db, ticket.id, plan.conversationId), ...plan.statements]);
  return (await findTicket(db, ticket.id))!.conversationId!;
}

/**
 * One ticket with its log (staff notes for staff only), once upheld with a penalty its credit fact,
 * and its support conversation's latest messages (for the technician: once they take part in it).
 */
export async function getTicket(env: Env, auth: Auth, id: string) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  const db = getDb(env);
  const [entries, credit, conversation] = await Promise.all([
    entriesOf(db, ticket.id, viewer === "staff"),
    creditFactOf(db, ticket.id),
    ticket.conversationId ? ticketConversation(env, ticket.conversationId, viewer === "staff" ? undefined : auth.accountId) : null,
  ]);
  return {
    ...ticketView(ticket),
    viewer,
    entries: entries.map(entryView),
    creditFact: viewer === "customer" ? null : credit,
    conversation,
  };
}

/**
 * Writes in the ticket's support conversation as the ticket's customer, technician (who joins it) or
 * staff (who take it when nobody holds it). A staff message is the ticket's first response when none was made.
 */
export async function postMessage(env: Env, auth: Auth, id: string, input: { text: string }) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  const message = await postTicketMessage(env, auth, await conversationOf(env, ticket), viewer, input.text);
  if (viewer === "staff" && ticket.firstRespondedAt === null) await markFirstResponse(getDb(env), ticket.id, Date.now());
  return message;
}

/** The tickets of an order, for its parties and staff. */
export async function orderTickets(env: Env, auth: Auth, orderId: string) {
  const db = getDb(env);
  const order = await findOrder(db, orderId);
  const party =
    order &&
    (order.customerId === auth.accountId ||
      (auth.technicianId !== null && order.technicianId === auth.technicianId) ||
      managesOrder(auth, order.merchantId));
  if (!order || !party) throw notFound("Order");
  const rows = await ticketsOfOrder(db, order.id);
  const now = Date.now();
  return {
    items: rows
      .filter((t) => t.customerId === auth.accountId || managesOrder(auth, t.merchantId) || t.technicianId === auth.technicianId)
      .map((t) => ticketView(t, now)),
  };
}

/** The staff queue: newest first, by status, category, city and overdue (a merchant_admin sees its merchant's). */
export async function staffTickets(
  env: Env,
  auth: Auth,
  q: { status?: TicketStatus; category?: TicketCategory; cityId?: string; overdue?: boolean; limit: number; cursor?: string },
) {
  const now = Date.now();
  const rows = await listTickets(
    getDb(env),
    {
      status: q.status,
      category: q.category,
      cityId: q.cityId,
      merchantId: isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "-"),
      overdueAt: q.overdue ? now : undefined,
      beforeId: decodeCursor(q.cursor),
    },
    q.limit + 1,
  );
  const page = toPage(rows, q.limit);
  return { items: page.items.map((t) => ticketView(t, now)), nextCursor: page.nextCursor };
}

/** The statuses in which the log still takes statements, appeals and evidence. */
const WRITABLE: readonly TicketStatus[] = OPEN_TICKET_STATUSES;

/**
 * Adds to the log: the customer's statement, the technician's appeal (their side), or staff's entry
 * (`note`: staff only; `statement`: a reply the parties see, which counts as the first response).
 * Parties write while the ticket is open or in review; staff notes any time.
 */
export async function addEntry(env: Env, auth: Auth, id: string, input: { body: string; kind?: "note" | "statement" }) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  const db = getDb(env);
  const now = Date.now();
  const kind: TicketEntryKind = viewer === "customer" ? "statement" : viewer === "technician" ? "appeal" : (input.kind ?? "note");
  if (viewer !== "staff" && input.kind !== undefined) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "body.kind", message: "only staff choose the kind" }] });
  }
  if (!(kind === "note" || WRITABLE.includes(ticket.status))) {
    throw AppError.of("INVALID_TRANSITION", { status: ticket.status }, { extra: { status: ticket.status } });
  }
  const entry = entryRow(ticket.id, { type: viewer, id: auth.accountId }, kind, input.body, now);
  const statements: D1PreparedStatement[] = [];
  let guard: Guard | undefined;
  if (viewer === "staff" && kind === "statement" && ticket.firstRespondedAt === null) {
    // A staff reply is the first response: recorded with the entry, once.
    statements.push(ticketMoved(db, ticket, WRITABLE, { firstRespondedAt: now }, now));
    guard = ticketAt(ticket.id, ticket.version + 1);
  }
  const to: ("customer" | "technician")[] = kind === "statement" ? (viewer === "customer" ? ["technician"] : ["customer"]) : ["customer"];
  statements.push(entryInsert(db, entry, guard));
  if (kind !== "note") statements.push(outboxRow(db, ticketMessage(ticket, kind === "appeal" ? "appeal" : "statement", to), now, guard));
  const results = await runBatch(db, statements);
  if (guard && results[0]?.meta.changes !== 1) throw AppError.of("CONCURRENT_UPDATE");
  // The technician's side: stating it joins them to the ticket's conversation, to argue it there too.
  if (kind === "appeal") await joinTicketConversation(env, await conversationOf(env, ticket), auth.accountId);
  return entryView(entry);
}

/** Adds an evidence photo (same checks as visit photos: JPEG/PNG/WebP, ≤ 5 MB, bytes of that type) while the ticket is open. */
export async function addEvidence(env: Env, auth: Auth, id: string, upload: { contentType: string | undefined; body: ArrayBuffer }) {
  const { type, bytes } = readImage(upload.contentType, upload.body);
  const { ticket, viewer } = await ticketFor(env, auth, id);
  if (!WRITABLE.includes(ticket.status))
    throw AppError.of("INVALID_TRANSITION", { status: ticket.status }, { extra: { status: ticket.status } });
  const db = getDb(env);
  const existing = (await entriesOf(db, ticket.id, true)).filter((e) => e.kind === "evidence").length;
  if (existing >= MAX_EVIDENCE) throw AppError.of("PHOTO_LIMIT", { max: MAX_EVIDENCE });
  const now = Date.now();
  const entry: TicketEntryRow = {
    ...entryRow(ticket.id, { type: viewer, id: auth.accountId }, "evidence", null, now),
    contentType: type,
    size: bytes.byteLength,
  };
  entry.r2Key = `tickets/${ticket.id}/${entry.id}`;
  await env.PHOTOS.put(entry.r2Key, bytes, {
    httpMetadata: { contentType: type },
    customMetadata: { ticketId: ticket.id, entryId: entry.id },
  });
  try {
    await runBatch(db, [entryInsert(db, entry)]);
  } catch (err) {
    await env.PHOTOS.delete(entry.r2Key);
    throw err;
  }
  return entryView(entry);
}

/** One evidence photo's bytes, for whoever may see the ticket. */
export async function evidenceFile(env: Env, auth: Auth, id: string, entryId: string) {
  const { ticket } = await ticketFor(env, auth, id);
  const entry = await findEntry(getDb(env), ticket.id, entryId);
  const object = entry?.r2Key ? await env.PHOTOS.get(entry.r2Key) : null;
  if (!entry || !object) throw notFound({ en: "Photo", zh: "照片" });
  return { body: object.body, contentType: entry.contentType ?? "application/octet-stream", size: entry.size ?? undefined };
}

/** Staff take an open ticket into review (its first response, when none was made). */
export async function startReview(env: Env, auth: Auth, id: string) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  if (viewer !== "staff") throw AppError.of("FORBIDDEN");
  if (ticket.status !== "open") throw AppError.of("INVALID_TRANSITION", { status: ticket.status }, { extra: { status: ticket.status } });
  const db = getDb(env);
  const now = Date.now();
  const won = ticketAt(ticket.id, ticket.version + 1);
  const [moved] = await runBatch(db, [
    ticketMoved(db, ticket, ["open"], { status: "in_review", firstRespondedAt: ticket.firstRespondedAt ?? now }, now),
    entryInsert(db, entryRow(ticket.id, { type: "staff", id: auth.accountId }, "event", "in_review", now), won),
    outboxRow(db, ticketMessage(ticket, "in_review", ["customer", "technician"]), now, won),
  ]);
  if (moved?.meta.changes !== 1) throw AppError.of("CONCURRENT_UPDATE");
  return ticketView((await findTicket(db, ticket.id))!);
}

/**
 * The customer reopens a decided ticket within TICKET_REOPEN_DAYS of the decision, at most twice:
 * it is open again with fresh SLA targets; what the decision did stays done (a new decision may add to it).
 */
export async function reopenTicket(env: Env, auth: Auth, id: string, input: { reason: string }) {
  const { ticket, viewer } = await ticketFor(env, auth, id);
  // Only its customer reopens a ticket; to anyone else it is not theirs to reopen.
  if (viewer !== "customer") throw notFound({ en: "Ticket", zh: "工单" });
  const now = Date.now();
  if (!mayReopen(ticket, now, config(env).TICKET_REOPEN_DAYS * 86_400_000, MAX_REOPENS)) throw AppError.of("TICKET_NOT_REOPENABLE");
  const db = getDb(env);
  const sla = config(env).TICKET_SLA[ticket.category];
  const won = ticketAt(ticket.id, ticket.version + 1);
  try {
    const [moved] = await runBatch(db, [
      ticketMoved(
        db,
        ticket,
        ["resolved", "rejected"],
        {
          status: "open",
          reopenCount: ticket.reopenCount + 1,
          firstResponseDueAt: now + sla.firstResponseMinutes * 60_000,
          resolutionDueAt: now + sla.resolutionMinutes * 60_000,
          firstRespondedAt: null,
        },
        now,
      ),
      entryInsert(db, entryRow(ticket.id, { type: "customer", id: auth.accountId }, "statement", input.reason, now), won),
      outboxRow(db, ticketMessage(ticket, "reopened", ["technician"]), now, won),
    ]);
    if (moved?.meta.changes !== 1) throw AppError.of("CONCURRENT_UPDATE");
  } catch (err) {
    // Another ticket of this order and category was opened since.
    if (/UNIQUE constraint failed: tickets/i.test(String(err))) throw AppError.of("TICKET_ALREADY_OPEN");
    throw err;
  }
  return ticketView((await findTicket(db, ticket.id))!);
}
