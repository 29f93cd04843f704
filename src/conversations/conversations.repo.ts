/**
 * Conversations in D1: the conversations, their participants (with read receipts), messages, abuse
 * flags and the staff's canned answers. Claiming is one guarded UPDATE, so of two staff claiming at
 * once exactly one wins.
 */
import { and, asc, desc, eq, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { cannedAnswers, conversationFlags, conversationMessages, conversationParticipants, conversations } from "../db/schema";
import { insertRow, outboxRow, runBatch, type Guard } from "../db/repositories/statements";
import type { OutboxMessage } from "../domain/outbox";

export type ConversationRow = typeof conversations.$inferSelect;
export type ParticipantRow = typeof conversationParticipants.$inferSelect;
export type MessageRow = typeof conversationMessages.$inferSelect;
export type FlagRow = typeof conversationFlags.$inferSelect;
export type CannedRow = typeof cannedAnswers.$inferSelect;

export async function findConversation(db: Db, id: string): Promise<ConversationRow | undefined> {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id)).limit(1);
  return row;
}

export async function findOrderConversation(db: Db, orderId: string): Promise<ConversationRow | undefined> {
  const [row] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.orderId, orderId), eq(conversations.kind, "order")))
    .limit(1);
  return row;
}

/** Writes a conversation with its participants; an order's second one is ignored (false). */
export async function insertConversation(
  db: Db,
  row: ConversationRow,
  participants: Pick<ParticipantRow, "accountId" | "role">[],
): Promise<boolean> {
  const [first] = await db.insert(conversations).values(row).onConflictDoNothing().returning({ id: conversations.id });
  if (!first) return false;
  if (participants.length) {
    await db
      .insert(conversationParticipants)
      .values(participants.map((p) => ({ ...p, conversationId: row.id, joinedAt: row.createdAt })))
      .onConflictDoNothing();
  }
  return true;
}

/** Adds (or keeps) a participant. */
export async function addParticipant(db: Db, conversationId: string, accountId: string, role: ParticipantRow["role"], now: number) {
  await db.insert(conversationParticipants).values({ conversationId, accountId, role, joinedAt: now }).onConflictDoNothing();
}

/** Replaces an order conversation's technician (the order changed hands). */
export async function replaceTechnician(db: Db, conversationId: string, accountId: string, now: number) {
  await runBatch(db, [
    db.$client
      .prepare("DELETE FROM conversation_participants WHERE conversation_id = ? AND role = 'technician' AND account_id <> ?")
      .bind(conversationId, accountId),
    db.$client
      .prepare(
        "INSERT INTO conversation_participants (conversation_id, account_id, role, joined_at) VALUES (?, ?, 'technician', ?) ON CONFLICT DO NOTHING",
      )
      .bind(conversationId, accountId, now),
  ]);
}

export async function participantsOf(db: Db, conversationId: string): Promise<ParticipantRow[]> {
  return db.select().from(conversationParticipants).where(eq(conversationParticipants.conversationId, conversationId));
}

/**
 * Stores a message (and its flag), moves the conversation's last message time and SLA clock
 * (`waiting`: "start" a user's unanswered wait if none runs, "stop" it on a staff reply), in one batch.
 */
export async function insertMessage(db: Db, row: MessageRow, opts: { flag?: FlagRow; waiting: "start" | "stop" | "keep" }): Promise<void> {
  const raw = db.$client;
  const waiting = opts.waiting === "start" ? "COALESCE(waiting_since, ?2)" : opts.waiting === "stop" ? "NULL" : "waiting_since";
  const statements: D1PreparedStatement[] = [
    raw
      .prepare(
        "INSERT INTO conversation_messages (id, conversation_id, sender_id, kind, text, r2_key, content_type, order_ref, masked, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .bind(
        row.id,
        row.conversationId,
        row.senderId,
        row.kind,
        row.text,
        row.r2Key,
        row.contentType,
        row.orderRef,
        row.masked ? 1 : 0,
        row.createdAt,
      ),
    raw
      .prepare(`UPDATE conversations SET last_message_at = ?2, waiting_since = ${waiting} WHERE id = ?1`)
      .bind(row.conversationId, row.createdAt),
    // The sender has read what they sent.
    raw
      .prepare(
        "UPDATE conversation_participants SET last_read_message_id = ?, last_read_at = ? WHERE conversation_id = ? AND account_id = ?",
      )
      .bind(row.id, row.createdAt, row.conversationId, row.senderId),
  ];
  if (opts.flag) {
    const f = opts.flag;
    statements.push(
      raw
        .prepare("INSERT INTO conversation_flags (id, conversation_id, message_id, words, created_at) VALUES (?, ?, ?, ?, ?)")
        .bind(f.id, f.conversationId, f.messageId, JSON.stringify(f.words), f.createdAt),
    );
  }
  await runBatch(db, statements);
}

/** Outbox messages (offline participants' notices), one batch. */
export async function writeNotices(db: Db, messages: OutboxMessage[], now: number): Promise<void> {
  if (messages.length)
    await runBatch(
      db,
      messages.map((m) => outboxRow(db, m, now)),
    );
}

/**
 * The throttle of offline notices: of `accountIds`, those not sent a notice about the conversation
 * since `since`, marked as sent one `now` in the same statement, so of a burst of messages (even
 * at once) exactly one notice per window goes to each.
 */
export async function takeNoticeTurns(db: Db, conversationId: string, accountIds: string[], now: number, since: number) {
  if (!accountIds.length) return [];
  const marks = accountIds.map(() => "?").join(", ");
  const res = await db.$client
    .prepare(
      `UPDATE conversation_participants SET last_notice_at = ?
       WHERE conversation_id = ? AND account_id IN (${marks}) AND (last_notice_at IS NULL OR last_notice_at <= ?)
       RETURNING account_id`,
    )
    .bind(now, conversationId, ...accountIds, since)
    .all<{ account_id: string }>();
  return res.results.map((r) => r.account_id);
}

export async function findMessage(db: Db, conversationId: string, id: string): Promise<MessageRow | undefined> {
  const [row] = await db
    .select()
    .from(conversationMessages)
    .where(and(eq(conversationMessages.conversationId, conversationId), eq(conversationMessages.id, id)))
    .limit(1);
  return row;
}

/** A page of messages, newest first, before the cursor's id. */
export async function listMessages(db: Db, conversationId: string, beforeId: string | undefined, limit: number): Promise<MessageRow[]> {
  return db
    .select()
    .from(conversationMessages)
    .where(and(eq(conversationMessages.conversationId, conversationId), beforeId ? lt(conversationMessages.id, beforeId) : undefined))
    .orderBy(desc(conversationMessages.id))
    .limit(limit);
}

/** Moves a participant's read receipt forward (never back). False when they are not a participant. */
export async function markRead(db: Db, conversationId: string, accountId: string, messageId: string, now: number): Promise<boolean> {
  const res = await db.$client
    .prepare(
      `UPDATE conversation_participants SET
         last_read_message_id = CASE WHEN last_read_message_id IS NULL OR last_read_message_id < ?1 THEN ?1 ELSE last_read_message_id END,
         last_read_at = ?2
       WHERE conversation_id = ?3 AND account_id = ?4`,
    )
    .bind(messageId, now, conversationId, accountId)
    .run();
  return (res.meta.changes ?? 0) > 0;
}

/** The account's conversations with their unread counts (others' messages after its read receipt), latest first. */
export async function conversationsOf(db: Db, accountId: string, beforeLast: number | undefined, limit: number) {
  const unread = sql<number>`(SELECT COUNT(*) FROM conversation_messages m WHERE m.conversation_id = ${conversations.id}
      AND m.sender_id <> ${accountId}
      AND (${conversationParticipants.lastReadMessageId} IS NULL OR m.id > ${conversationParticipants.lastReadMessageId}))`;
  return db
    .select({ conversation: conversations, participant: conversationParticipants, unread })
    .from(conversationParticipants)
    .innerJoin(conversations, eq(conversations.id, conversationParticipants.conversationId))
    .where(
      and(
        eq(conversationParticipants.accountId, accountId),
        beforeLast !== undefined ? lt(conversations.createdAt, beforeLast) : undefined,
      ),
    )
    .orderBy(desc(sql`COALESCE(${conversations.lastMessageAt}, ${conversations.createdAt})`), desc(conversations.id))
    .limit(limit);
}

/** Unread messages over all the account's conversations. */
export async function totalUnread(db: Db, accountId: string): Promise<number> {
  const row = await db.$client
    .prepare(
      `SELECT COUNT(*) AS n FROM conversation_participants p JOIN conversation_messages m ON m.conversation_id = p.conversation_id
       WHERE p.account_id = ?1 AND m.sender_id <> ?1 AND (p.last_read_message_id IS NULL OR m.id > p.last_read_message_id)`,
    )
    .bind(accountId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The staff inbox: support conversations, unassigned or assigned (to anyone, or to `assignee`), oldest wait first. */
export async function supportInbox(db: Db, q: { state: "unassigned" | "assigned" | "mine"; staffId: string }, limit: number) {
  const cond =
    q.state === "unassigned"
      ? isNull(conversations.assigneeId)
      : q.state === "mine"
        ? eq(conversations.assigneeId, q.staffId)
        : isNotNull(conversations.assigneeId);
  const last = sql<
    string | null
  >`(SELECT m.text FROM conversation_messages m WHERE m.conversation_id = "conversations"."id" ORDER BY m.id DESC LIMIT 1)`;
  return db
    .select({ conversation: conversations, lastText: last })
    .from(conversations)
    .where(and(eq(conversations.kind, "support"), cond))
    .orderBy(asc(sql`COALESCE(${conversations.waitingSince}, 9e15)`), desc(conversations.lastMessageAt))
    .limit(limit);
}

/** Claims an unassigned support conversation: true for exactly one of any number of claimants. */
export async function claim(db: Db, id: string, staffId: string): Promise<boolean> {
  const rows = await db
    .update(conversations)
    .set({ assigneeId: staffId })
    .where(and(eq(conversations.id, id), eq(conversations.kind, "support"), isNull(conversations.assigneeId)))
    .returning({ id: conversations.id });
  return rows.length === 1;
}

/** Hands a claimed conversation from `from` to `to` (false when `from` no longer holds it). */
export async function handOff(db: Db, id: string, from: string, to: string): Promise<boolean> {
  const rows = await db
    .update(conversations)
    .set({ assigneeId: to })
    .where(and(eq(conversations.id, id), eq(conversations.kind, "support"), eq(conversations.assigneeId, from)))
    .returning({ id: conversations.id });
  return rows.length === 1;
}

/** Flagged conversations, newest flag first, with how many flags each has. */
export async function flaggedConversations(db: Db, beforeId: string | undefined, limit: number) {
  return db
    .select({ flag: conversationFlags, kind: conversations.kind, orderId: conversations.orderId })
    .from(conversationFlags)
    .innerJoin(conversations, eq(conversations.id, conversationFlags.conversationId))
    .where(beforeId ? lt(conversationFlags.id, beforeId) : undefined)
    .orderBy(desc(conversationFlags.id))
    .limit(limit);
}

export async function listCanned(db: Db): Promise<CannedRow[]> {
  return db.select().from(cannedAnswers).orderBy(asc(cannedAnswers.title), asc(cannedAnswers.id)).limit(200);
}

export async function insertCanned(db: Db, row: CannedRow): Promise<void> {
  await db.insert(cannedAnswers).values(row);
}

export async function updateCanned(db: Db, id: string, set: { title: string; body: string; updatedBy: string; updatedAt: number }) {
  const [row] = await db.update(cannedAnswers).set(set).where(eq(cannedAnswers.id, id)).returning();
  return row;
}

export async function deleteCanned(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(cannedAnswers).where(eq(cannedAnswers.id, id)).returning({ id: cannedAnswers.id });
  return rows.length === 1;
}

/** Messages created before `before` (oldest first): what retention deletes next. */
export async function expiredMessages(db: Db, before: number, limit: number) {
  return db
    .select({ id: conversationMessages.id, r2Key: conversationMessages.r2Key })
    .from(conversationMessages)
    .where(lt(conversationMessages.createdAt, before))
    .orderBy(asc(conversationMessages.createdAt))
    .limit(limit);
}

/** Deletes messages (and their flags); then conversations quiet since `before` that have none left. */
export async function deleteMessages(db: Db, ids: string[], before: number): Promise<void> {
  const raw = db.$client;
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < ids.length; i += 90) {
    const part = ids.slice(i, i + 90);
    const marks = part.map(() => "?").join(", ");
    statements.push(raw.prepare(`DELETE FROM conversation_flags WHERE message_id IN (${marks})`).bind(...part));
    statements.push(raw.prepare(`DELETE FROM conversation_messages WHERE id IN (${marks})`).bind(...part));
  }
  const quiet = `SELECT c.id FROM conversations c WHERE COALESCE(c.last_message_at, c.created_at) < ?1
    AND NOT EXISTS (SELECT 1 FROM conversation_messages m WHERE m.conversation_id = c.id)`;
  statements.push(raw.prepare(`DELETE FROM conversation_flags WHERE conversation_id IN (${quiet})`).bind(before));
  statements.push(raw.prepare(`DELETE FROM conversation_participants WHERE conversation_id IN (${quiet})`).bind(before));
  statements.push(raw.prepare(`DELETE FROM conversations WHERE id IN (${quiet.replace("SELECT c.id", "SELECT c.id")})`).bind(before));
  await runBatch(db, statements);
}

/** The account's conversations and the messages it sent in them (the data export). */
export async function messagesOfAccount(db: Db, accountId: string) {
  const convs = await db
    .select({ conversation: conversations, role: conversationParticipants.role })
    .from(conversationParticipants)
    .innerJoin(conversations, eq(conversations.id, conversationParticipants.conversationId))
    .where(eq(conversationParticipants.accountId, accountId));
  const sent = await db
    .select()
    .from(conversationMessages)
    .where(eq(conversationMessages.senderId, accountId))
    .orderBy(asc(conversationMessages.id));
  return { convs, sent };
}

/** The account of a technician (null when unknown). */
export async function technicianAccount(db: Db, technicianId: string): Promise<string | null> {
  const row = await db.$client
    .prepare("SELECT account_id FROM technicians WHERE id = ?")
    .bind(technicianId)
    .first<{ account_id: string }>();
  return row?.account_id ?? null;
}

/** An account's roles (null when unknown). */
export async function accountRoles(db: Db, accountId: string): Promise<string[] | null> {
  const row = await db.$client.prepare("SELECT roles FROM accounts WHERE id = ?").bind(accountId).first<{ roles: string }>();
  return row ? (JSON.parse(row.roles) as string[]) : null;
}

// ---- Tickets' conversations and erasure ----

/** A conversation and its participants as statements for another area's batch (each only if `guard` holds). */
export function conversationInserts(
  db: Db,
  row: ConversationRow,
  participants: Pick<ParticipantRow, "accountId" | "role">[],
  guard?: Guard,
): D1PreparedStatement[] {
  return [
    insertRow(db, conversations, row, guard),
    ...participants.map((p) =>
      insertRow(db, conversationParticipants, { ...p, conversationId: row.id, joinedAt: row.createdAt }, guard, true),
    ),
  ];
}

/** Links a support conversation to a ticket, only while it is about no ticket (a batch statement). */
export function linkTicket(db: Db, conversationId: string, ticketId: string, orderId: string): D1PreparedStatement {
  return db.$client
    .prepare(
      "UPDATE conversations SET ticket_id = ?, order_id = COALESCE(order_id, ?) WHERE id = ? AND kind = 'support' AND ticket_id IS NULL",
    )
    .bind(ticketId, orderId, conversationId);
}

/** True in a batch once the conversation is about the ticket. */
export const conversationOfTicket = (conversationId: string, ticketId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM conversations WHERE id = ? AND ticket_id = ?)",
  params: [conversationId, ticketId],
});

/**
 * The messages an account deletion erases: those the person sent anywhere, and every message of the
 * support conversations they asked for (staff's replies there are about them too).
 */
const ERASED = `(sender_id = ?1 OR conversation_id IN (SELECT id FROM conversations WHERE kind = 'support' AND requester_id = ?1))`;

/** The R2 keys of the images an account deletion erases. */
export async function erasedImageKeys(db: Db, accountId: string): Promise<string[]> {
  const { results } = await db.$client
    .prepare(`SELECT r2_key FROM conversation_messages WHERE r2_key IS NOT NULL AND ${ERASED}`)
    .bind(accountId)
    .all<{ r2_key: string }>();
  return results.map((r) => r.r2_key);
}

/** The erasure's statements: the messages' flags go, their text and image keys are cleared (the rows stay, emptied). */
export function erasureStatements(db: Db, accountId: string): D1PreparedStatement[] {
  return [
    db.$client
      .prepare(`DELETE FROM conversation_flags WHERE message_id IN (SELECT id FROM conversation_messages WHERE ${ERASED})`)
      .bind(accountId),
    db.$client
      .prepare(`UPDATE conversation_messages SET text = NULL, r2_key = NULL, content_type = NULL, masked = 0 WHERE ${ERASED}`)
      .bind(accountId),
  ];
}
