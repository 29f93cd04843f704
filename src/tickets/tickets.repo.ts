/**
 * The tickets area's SQL: tickets, their log, the claim that lets exactly one staff decision win,
 * and the guarded statements a decision writes in its one batch (coupon, credit fact).
 */
import { and, desc, eq, gt, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { coupons, ticketEntries, tickets } from "../db/schema";
import { encodeRow, insertRow, updateRows, type Guard, type Values } from "../db/repositories/statements";
import { OPEN_TICKET_STATUSES, type TicketCategory, type TicketStatus } from "../domain/tickets";

export type TicketRow = typeof tickets.$inferSelect;
export type { TicketResolution } from "../db/schema";
export type TicketEntryRow = typeof ticketEntries.$inferSelect;
export type CouponInsert = typeof coupons.$inferInsert;

export async function findTicket(db: Db, id: string): Promise<TicketRow | undefined> {
  const [row] = await db.select().from(tickets).where(eq(tickets.id, id)).limit(1);
  return row;
}

export async function ticketsOfOrder(db: Db, orderId: string): Promise<TicketRow[]> {
  return db.select().from(tickets).where(eq(tickets.orderId, orderId)).orderBy(tickets.id);
}

export interface TicketFilter {
  status?: TicketStatus;
  category?: TicketCategory;
  cityId?: string;
  merchantId?: string;
  customerId?: string;
  technicianId?: string;
  /** Only tickets past one of their SLA targets at `now`. */
  overdueAt?: number;
  beforeId?: string;
}

/** Tickets newest first, filtered. */
export async function listTickets(db: Db, f: TicketFilter, limit: number): Promise<TicketRow[]> {
  const where: (SQL | undefined)[] = [
    f.status ? eq(tickets.status, f.status) : undefined,
    f.category ? eq(tickets.category, f.category) : undefined,
    f.cityId ? eq(tickets.cityId, f.cityId) : undefined,
    f.merchantId ? eq(tickets.merchantId, f.merchantId) : undefined,
    f.customerId ? eq(tickets.customerId, f.customerId) : undefined,
    f.technicianId ? eq(tickets.technicianId, f.technicianId) : undefined,
    f.beforeId ? lt(tickets.id, f.beforeId) : undefined,
    f.overdueAt !== undefined
      ? and(
          inArray(tickets.status, [...OPEN_TICKET_STATUSES]),
          or(lt(tickets.resolutionDueAt, f.overdueAt), and(isNull(tickets.firstRespondedAt), lt(tickets.firstResponseDueAt, f.overdueAt))),
        )
      : undefined,
  ];
  return db
    .select()
    .from(tickets)
    .where(and(...where))
    .orderBy(desc(tickets.id))
    .limit(limit);
}

/** The ticket's log, oldest first; `staff` includes the staff notes. */
export async function entriesOf(db: Db, ticketId: string, staff: boolean): Promise<TicketEntryRow[]> {
  return db
    .select()
    .from(ticketEntries)
    .where(and(eq(ticketEntries.ticketId, ticketId), staff ? undefined : sql`${ticketEntries.kind} <> 'note'`))
    .orderBy(ticketEntries.id)
    .limit(500);
}

export async function findEntry(db: Db, ticketId: string, entryId: string): Promise<TicketEntryRow | undefined> {
  const [row] = await db
    .select()
    .from(ticketEntries)
    .where(and(eq(ticketEntries.ticketId, ticketId), eq(ticketEntries.id, entryId)))
    .limit(1);
  return row;
}

export const ticketInsert = (db: Db, row: TicketRow, guard?: Guard) => insertRow(db, tickets, row, guard);

/** Gives a ticket its conversation, only while it has none (a batch statement). */
export const conversationSet = (db: Db, ticketId: string, conversationId: string) =>
  db.$client.prepare("UPDATE tickets SET conversation_id = ? WHERE id = ? AND conversation_id IS NULL").bind(conversationId, ticketId);

/** True in a batch once the ticket's conversation is `conversationId`. */
export const ticketHasConversation = (ticketId: string, conversationId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM tickets WHERE id = ? AND conversation_id = ?)",
  params: [ticketId, conversationId],
});

/** Records the first response (a staff message in the ticket's conversation) unless there was one. */
export async function markFirstResponse(db: Db, ticketId: string, now: number): Promise<void> {
  await db.$client
    .prepare(
      "UPDATE tickets SET first_responded_at = ?, updated_at = ? WHERE id = ? AND first_responded_at IS NULL AND status IN ('open', 'in_review')",
    )
    .bind(now, now, ticketId)
    .run();
}

export const entryInsert = (db: Db, row: TicketEntryRow, guard?: Guard) => insertRow(db, ticketEntries, row, guard);

/** True in a batch while the ticket carries `version` (the change made in this batch won). */
export const ticketAt = (ticketId: string, version: number): Guard => ({
  sql: "EXISTS (SELECT 1 FROM tickets WHERE id = ? AND version = ?)",
  params: [ticketId, version],
});

/** True in a batch once the ticket's decision is `decisionId` (that decision won). */
export const ticketDecidedBy = (ticketId: string, decisionId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM tickets WHERE id = ? AND decision_id = ?)",
  params: [ticketId, decisionId],
});

/** Moves the ticket from `version` (and one of `from`) with `set`, bumping the version. */
export function ticketMoved(
  db: Db,
  t: { id: string; version: number },
  from: readonly TicketStatus[],
  set: Values<typeof tickets>,
  now: number,
) {
  return updateRows(
    db,
    tickets,
    { ...set, version: t.version + 1, updatedAt: now },
    { sql: `id = ? AND version = ? AND status IN (${from.map(() => "?").join(", ")})`, params: [t.id, t.version, ...from] },
  );
}

/**
 * Claims the ticket for one decision until `until`: only while it is open or in review and nobody
 * else's claim is live. The first of two concurrent decisions gets it; the other is refused.
 */
export async function claimTicket(db: Db, ticketId: string, claimId: string, until: number, now: number): Promise<boolean> {
  const res = await db
    .update(tickets)
    .set({ claimId, claimUntil: until })
    .where(
      and(
        eq(tickets.id, ticketId),
        inArray(tickets.status, [...OPEN_TICKET_STATUSES]),
        or(isNull(tickets.claimUntil), lt(tickets.claimUntil, now)),
      ),
    )
    .run();
  return res.meta.changes === 1;
}

/** Gives a claim up (its decision failed before it was written). */
export async function releaseClaim(db: Db, ticketId: string, claimId: string): Promise<void> {
  await db
    .update(tickets)
    .set({ claimId: null, claimUntil: null })
    .where(and(eq(tickets.id, ticketId), eq(tickets.claimId, claimId)))
    .run();
}

/** The decision's write: only while the claim is this decision's, still live, and the ticket undecided. */
export function decisionWrite(db: Db, ticketId: string, claimId: string, set: Values<typeof tickets>, now: number) {
  const { names, values } = encodeRow(tickets, { ...set, decisionId: claimId, claimId: null, claimUntil: null, updatedAt: now });
  return db.$client
    .prepare(
      `UPDATE tickets SET ${names.map((n) => `${n} = ?`).join(", ")}, version = version + 1
       WHERE id = ? AND claim_id = ? AND claim_until >= ? AND status IN ('open', 'in_review')`,
    )
    .bind(...values, ticketId, claimId, now);
}

/** Whether a live claim other than `claimId` holds the ticket. */
export async function claimedByOther(db: Db, ticketId: string, now: number): Promise<boolean> {
  const [row] = await db
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.id, ticketId), gt(tickets.claimUntil, now)))
    .limit(1);
  return row !== undefined;
}

/** A compensation coupon, written only if the decision won. */
export const couponInsert = (db: Db, row: CouponInsert, guard: Guard) => insertRow(db, coupons, row, guard);

/** The technician's credit events about a ticket (for its view). */
export async function creditFactOf(db: Db, ticketId: string) {
  const rows = await db.$client
    .prepare(
      "SELECT points, score_after AS scoreAfter FROM technician_credit_events WHERE source_type = 'ticket' AND source_id = ? AND kind = 'complaint_upheld'",
    )
    .bind(ticketId)
    .all<{ points: number; scoreAfter: number }>();
  return rows.results[0] ?? null;
}

/** A statement that changes nothing (the place of an Idempotency-Key's answer when there is no key). */
export const nothingStored = (db: Db): D1PreparedStatement => db.$client.prepare("SELECT 1");

// ---- The person's tickets: the data export and account deletion (src/privacy) ----

/** The tickets whose customer, or whose opener (a technician's safety ticket), the account is. */
export async function ticketsOfPerson(db: Db, accountId: string): Promise<TicketRow[]> {
  return db
    .select()
    .from(tickets)
    .where(or(eq(tickets.customerId, accountId), eq(tickets.openedBy, accountId)))
    .orderBy(tickets.id);
}

/** The entries of the given tickets, oldest first (staff notes left out). */
export async function entriesOfTickets(db: Db, ticketIds: string[]): Promise<TicketEntryRow[]> {
  if (!ticketIds.length) return [];
  return db
    .select()
    .from(ticketEntries)
    .where(and(inArray(ticketEntries.ticketId, ticketIds), sql`${ticketEntries.kind} <> 'note'`))
    .orderBy(ticketEntries.id);
}

/** What the account wrote on tickets of which it is not the customer (a technician's appeals and evidence). */
export async function entriesByAuthorElsewhere(db: Db, accountId: string): Promise<TicketEntryRow[]> {
  return db
    .select()
    .from(ticketEntries)
    .where(
      and(
        eq(ticketEntries.authorId, accountId),
        sql`${ticketEntries.ticketId} NOT IN (SELECT id FROM tickets WHERE customer_id = ${accountId})`,
      ),
    )
    .orderBy(ticketEntries.id);
}

/**
 * What an account deletion erases of tickets: the description of the tickets they are the customer
 * of or opened; every statement and evidence photo on the tickets they are the customer of (theirs,
 * staff's replies to them, anyone's photos of their home); and whatever they wrote on other tickets
 * (statements, appeals, evidence). Staff notes, the other side's appeals, events and the decisions
 * stay: the record of what was decided and paid, no longer naming anyone but the tombstone's id.
 */
const ERASED_ENTRIES = `(ticket_id IN (SELECT id FROM tickets WHERE customer_id = ?1) AND kind IN ('statement', 'evidence'))
  OR (author_id = ?1 AND kind IN ('statement', 'appeal', 'evidence'))`;

/** The R2 keys of the evidence photos an account deletion erases. */
export async function erasedEvidenceKeys(db: Db, accountId: string): Promise<string[]> {
  const { results } = await db.$client
    .prepare(`SELECT r2_key FROM ticket_entries WHERE r2_key IS NOT NULL AND (${ERASED_ENTRIES})`)
    .bind(accountId)
    .all<{ r2_key: string }>();
  return results.map((r) => r.r2_key);
}

/** The erasure's statements (the rows stay, emptied; their ids keep the log's order). */
export function erasureStatements(db: Db, accountId: string): D1PreparedStatement[] {
  return [
    db.$client.prepare("UPDATE tickets SET description = '' WHERE customer_id = ?1 OR opened_by = ?1").bind(accountId),
    db.$client
      .prepare(`UPDATE ticket_entries SET body = NULL, r2_key = NULL, content_type = NULL, size = NULL WHERE ${ERASED_ENTRIES}`)
      .bind(accountId),
  ];
}
