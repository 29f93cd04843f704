/** The rows of time proposals asked in the app (route_plan_groups, route_plan_questions), the only SQL of asking. */
import { and, asc, desc, eq, exists, gt, inArray, lt, lte, ne, not } from "drizzle-orm";
import { chunked } from "../db/chunks";
import type { Db } from "../db/client";
import { routePlanGroups, routePlanQuestions } from "../db/schema";
import { insertRow, outboxRow, runBatch, updateRows, type Guard } from "../db/repositories/statements";
import type { OutboxMessage } from "../domain/outbox";

export type GroupRow = typeof routePlanGroups.$inferSelect;
export type QuestionRow = typeof routePlanQuestions.$inferSelect;

const changed = (groupId: string, changeId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM route_plan_groups WHERE id = ? AND change_id = ?)",
  params: [groupId, changeId],
});

/**
 * Writes a group with its questions and the customers' notices at once; nothing when the plan already
 * has a group of that technician (an ask repeated or run twice). True when this call wrote it.
 */
export async function insertGroup(
  db: Db,
  group: GroupRow,
  questions: QuestionRow[],
  messages: OutboxMessage[],
  now: number,
): Promise<boolean> {
  const guard = changed(group.id, group.changeId);
  const [first] = await runBatch(db, [
    insertRow(db, routePlanGroups, group, undefined, true),
    ...questions.map((q) => insertRow(db, routePlanQuestions, q, guard)),
    ...messages.map((m) => outboxRow(db, m, now, guard)),
  ]);
  return (first?.meta.changes ?? 0) === 1;
}

export async function groupsOfPlan(db: Db, planId: string): Promise<GroupRow[]> {
  return db.select().from(routePlanGroups).where(eq(routePlanGroups.planId, planId)).orderBy(asc(routePlanGroups.technicianId));
}

export async function groupById(db: Db, id: string): Promise<GroupRow | undefined> {
  return db.select().from(routePlanGroups).where(eq(routePlanGroups.id, id)).get();
}

export async function groupsByIds(db: Db, ids: string[]): Promise<GroupRow[]> {
  const out: GroupRow[] = [];
  for (const part of chunked([...new Set(ids)]))
    if (part.length) out.push(...(await db.select().from(routePlanGroups).where(inArray(routePlanGroups.id, part))));
  return out;
}

export async function questionsOf(db: Db, groupIds: string[]): Promise<QuestionRow[]> {
  const out: QuestionRow[] = [];
  for (const part of chunked([...new Set(groupIds)]))
    if (part.length)
      out.push(
        ...(await db
          .select()
          .from(routePlanQuestions)
          .where(inArray(routePlanQuestions.groupId, part))
          .orderBy(asc(routePlanQuestions.currentStart))),
      );
  return out;
}

export async function questionById(db: Db, id: string): Promise<QuestionRow | undefined> {
  return db.select().from(routePlanQuestions).where(eq(routePlanQuestions.id, id)).get();
}

/** A customer's questions, newest first, before the cursor's id. */
export async function questionsOfCustomer(db: Db, customerId: string, before: string | undefined, limit: number): Promise<QuestionRow[]> {
  return db
    .select()
    .from(routePlanQuestions)
    .where(and(eq(routePlanQuestions.customerId, customerId), before === undefined ? undefined : lt(routePlanQuestions.id, before)))
    .orderBy(desc(routePlanQuestions.id))
    .limit(limit);
}

/**
 * Records a customer's answer while the question is pending and its group still waits before its
 * close: false otherwise (answered already, dropped, expired, being applied).
 */
export async function answerQuestion(db: Db, id: string, to: "approved" | "declined", now: number): Promise<boolean> {
  const open = db
    .select({ one: routePlanGroups.id })
    .from(routePlanGroups)
    .where(
      and(eq(routePlanGroups.id, routePlanQuestions.groupId), eq(routePlanGroups.status, "waiting"), gt(routePlanGroups.expiresAt, now)),
    );
  const rows = await db
    .update(routePlanQuestions)
    .set({ status: to, decidedAt: now })
    .where(and(eq(routePlanQuestions.id, id), eq(routePlanQuestions.status, "pending"), exists(open)))
    .returning({ id: routePlanQuestions.id });
  return rows.length === 1;
}

/**
 * waiting → applying while every question of the group is approved and it has not closed: of the
 * last approvals arriving together exactly one wins. The row's `updatedAt` becomes `now` (its lease).
 */
export async function claimApply(db: Db, groupId: string, now: number): Promise<boolean> {
  const unanswered = db
    .select({ one: routePlanQuestions.id })
    .from(routePlanQuestions)
    .where(and(eq(routePlanQuestions.groupId, groupId), ne(routePlanQuestions.status, "approved")));
  const rows = await db
    .update(routePlanGroups)
    .set({ status: "applying", updatedAt: now })
    .where(
      and(
        eq(routePlanGroups.id, groupId),
        eq(routePlanGroups.status, "waiting"),
        gt(routePlanGroups.expiresAt, now),
        not(exists(unanswered)),
      ),
    )
    .returning({ id: routePlanGroups.id });
  return rows.length === 1;
}

/** applying (since `updatedAt`) → applying now: a lapsed apply taken up again by exactly one run. */
export async function reclaimApply(db: Db, groupId: string, updatedAt: number, now: number): Promise<boolean> {
  const rows = await db
    .update(routePlanGroups)
    .set({ updatedAt: now })
    .where(and(eq(routePlanGroups.id, groupId), eq(routePlanGroups.status, "applying"), eq(routePlanGroups.updatedAt, updatedAt)))
    .returning({ id: routePlanGroups.id });
  return rows.length === 1;
}

/**
 * Closes a group from `from` (and, when given, the same `updatedAt`): applied with its move, or
 * dropped with a reason and the customers' notices in the same batch. False when it was not there.
 */
export async function closeGroup(
  db: Db,
  group: GroupRow,
  from: { status: GroupRow["status"]; updatedAt?: number; expiredBy?: number },
  patch: { status: "applied" | "dropped"; reason?: string | null; moveId?: string | null },
  messages: OutboxMessage[],
  changeId: string,
  now: number,
): Promise<boolean> {
  const conds = ["id = ?", "status = ?"];
  const params: unknown[] = [group.id, from.status];
  if (from.updatedAt !== undefined) {
    conds.push("updated_at = ?");
    params.push(from.updatedAt);
  }
  if (from.expiredBy !== undefined) {
    conds.push("expires_at <= ?");
    params.push(from.expiredBy);
  }
  const guard = changed(group.id, changeId);
  const [first] = await runBatch(db, [
    updateRows(db, routePlanGroups, { ...patch, changeId, updatedAt: now }, { sql: conds.join(" AND "), params }),
    ...messages.map((m) => outboxRow(db, m, now, guard)),
  ]);
  return (first?.meta.changes ?? 0) === 1;
}

/** Waiting groups past their close, oldest close first. */
export async function expiredWaiting(db: Db, now: number, limit: number): Promise<GroupRow[]> {
  return db
    .select()
    .from(routePlanGroups)
    .where(and(eq(routePlanGroups.status, "waiting"), lte(routePlanGroups.expiresAt, now)))
    .orderBy(asc(routePlanGroups.expiresAt))
    .limit(limit);
}

/** Groups left `applying` since before `before` (the apply died), oldest first. */
export async function lapsedApplying(db: Db, before: number, limit: number): Promise<GroupRow[]> {
  return db
    .select()
    .from(routePlanGroups)
    .where(and(eq(routePlanGroups.status, "applying"), lt(routePlanGroups.updatedAt, before)))
    .orderBy(asc(routePlanGroups.updatedAt))
    .limit(limit);
}
