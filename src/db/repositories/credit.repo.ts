/**
 * Technician credit: the score's facts (technician_credit_events), staff rewards and penalties and
 * the appeals against them. A fact is two statements of one batch: the event (its points clamped so
 * the score stays within 0–1000, computed from the score as the batch finds it) and the score set to
 * the event's `score_after`. D1 runs a batch as one transaction, so two facts at once both count, in
 * some order; the unique (source_type, source_id, kind) makes the same fact count once.
 */
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { CreditKind, Level } from "../../domain/credit";
import type { Db } from "../client";
import { orders, technicianCreditAppeals, technicianCreditDecisions, technicianCreditEvents, technicians } from "../schema";
import { insertRow, updateRows, type Guard } from "./statements";

export type CreditEventRow = typeof technicianCreditEvents.$inferSelect;
export type CreditDecisionRow = typeof technicianCreditDecisions.$inferSelect;
export type CreditAppealRow = typeof technicianCreditAppeals.$inferSelect;

export interface CreditFactRow {
  id: string;
  technicianId: string;
  kind: CreditKind;
  /** The change asked for; the event records what it moved after clamping. */
  points: number;
  sourceType: string;
  sourceId: string;
  reasonCode: string;
  actorId: string | null;
  createdAt: number;
}

/**
 * The statements of one fact: the event (nothing when the same fact is recorded already, or when
 * `guard` is false) and the technician's score set to the event's score_after (only when this event
 * was written). Put them in the batch of the change that is the fact.
 */
export function creditFactStatements(db: Db, f: CreditFactRow, guard?: Guard): D1PreparedStatement[] {
  const next = "MAX(0, MIN(1000, t.credit_score + ?))";
  const insert = db.$client
    .prepare(
      `INSERT INTO technician_credit_events (id, technician_id, kind, points, source_type, source_id, reason_code, score_after, actor_id, created_at)
       SELECT ?, t.id, ?, ${next} - t.credit_score, ?, ?, ?, ${next}, ?, ?
       FROM technicians t WHERE t.id = ?${guard ? ` AND (${guard.sql})` : ""}
       ON CONFLICT (source_type, source_id, kind) DO NOTHING`,
    )
    .bind(
      f.id,
      f.kind,
      f.points,
      f.sourceType,
      f.sourceId,
      f.reasonCode,
      f.points,
      f.actorId,
      f.createdAt,
      f.technicianId,
      ...(guard?.params ?? []),
    );
  const update = db.$client
    .prepare(
      "UPDATE technicians SET credit_score = (SELECT score_after FROM technician_credit_events WHERE id = ?) WHERE id = ? AND EXISTS (SELECT 1 FROM technician_credit_events WHERE id = ?)",
    )
    .bind(f.id, f.technicianId, f.id);
  return [insert, update];
}

/** How a review's visibility changes are kept apart on the history: `<reviewId>#<n>`, n counting from 1. */
export const REVIEW_VISIBILITY_SOURCES = { hidden: "review_hidden", shown: "review_shown" } as const;

/**
 * The statements that take a review's rating fact back out of the score when it is hidden, or put
 * it back when it is shown again, for the batch right after the review's own change. The points are
 * the opposite (hidden) or the same (shown) of what the rating fact moved. Guarded on the state the
 * batch leaves and on the history itself: a hide writes its reversal only while every earlier
 * reversal was restored (as many `review_hidden` as `review_shown` lines), a show only while one
 * reversal is outstanding, so repeats and two requests at once (D1 runs each batch as a transaction)
 * write one line per change; a review whose rating never counted (no rating fact) writes nothing.
 */
export function reviewVisibilityStatements(
  db: Db,
  v: { eventId: string; reviewId: string; hidden: boolean; reasonCode: string; actorId: string | null; now: number },
): D1PreparedStatement[] {
  const prefix = `${v.reviewId}#`;
  const count = (type: string) =>
    `(SELECT COUNT(*) FROM technician_credit_events WHERE source_type = '${type}' AND substr(source_id, 1, length(?3)) = ?3)`;
  const hiddenCount = count(REVIEW_VISIBILITY_SOURCES.hidden);
  const shownCount = count(REVIEW_VISIBILITY_SOURCES.shown);
  const next = `MAX(0, MIN(1000, t.credit_score ${v.hidden ? "-" : "+"} o.points))`;
  const insert = db.$client
    .prepare(
      `INSERT INTO technician_credit_events (id, technician_id, kind, points, source_type, source_id, reason_code, score_after, actor_id, created_at)
       SELECT ?1, t.id, 'rating', ${next} - t.credit_score, ?4, ?3 || (${v.hidden ? hiddenCount : shownCount} + 1), ?5, ${next}, ?6, ?7
       FROM technician_credit_events o JOIN technicians t ON t.id = o.technician_id
       WHERE o.source_type = 'review' AND o.source_id = ?2 AND o.kind = 'rating'
         AND EXISTS (SELECT 1 FROM reviews WHERE id = ?2 AND hidden_at IS ${v.hidden ? "NOT NULL" : "NULL"})
         AND ${hiddenCount} = ${shownCount}${v.hidden ? "" : " + 1"}
       ON CONFLICT (source_type, source_id, kind) DO NOTHING`,
    )
    .bind(
      v.eventId,
      v.reviewId,
      prefix,
      v.hidden ? REVIEW_VISIBILITY_SOURCES.hidden : REVIEW_VISIBILITY_SOURCES.shown,
      v.reasonCode,
      v.actorId,
      v.now,
    );
  const update = db.$client
    .prepare(
      "UPDATE technicians SET credit_score = (SELECT score_after FROM technician_credit_events WHERE id = ?1) WHERE id = (SELECT technician_id FROM technician_credit_events WHERE id = ?1)",
    )
    .bind(v.eventId);
  return [insert, update];
}

/** Records one fact on its own; whether it counted (false: recorded before) and the score after. */
export async function recordCreditFactRow(db: Db, f: CreditFactRow): Promise<{ recorded: boolean; score: number } | null> {
  const [insert, , read] = await db.$client.batch([
    ...creditFactStatements(db, f),
    db.$client.prepare("SELECT credit_score AS score FROM technicians WHERE id = ?").bind(f.technicianId),
  ]);
  const row = read?.results[0] as { score: number } | undefined;
  if (!row) return null;
  return { recorded: (insert?.meta.changes ?? 0) > 0, score: row.score };
}

export async function creditStanding(db: Db, technicianId: string) {
  const [row] = await db
    .select({
      id: technicians.id,
      merchantId: technicians.merchantId,
      name: technicians.name,
      creditScore: technicians.creditScore,
      level: technicians.level,
      completedJobs: sql<number>`(SELECT count(*) FROM orders o WHERE o.technician_id = ${technicians.id} AND o.status = 'completed')`,
    })
    .from(technicians)
    .where(eq(technicians.id, technicianId));
  return row;
}

/** Level and score of some technicians (dispatch ranking, commission). */
export async function standings(db: Db, ids: string[]): Promise<Map<string, { level: Level; creditScore: number }>> {
  const out = new Map<string, { level: Level; creditScore: number }>();
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db
      .select({ id: technicians.id, level: technicians.level, creditScore: technicians.creditScore })
      .from(technicians)
      .where(inArray(technicians.id, ids.slice(i, i + 90)));
    for (const r of rows) out.set(r.id, { level: r.level, creditScore: r.creditScore });
  }
  return out;
}

/** A technician's history, newest first (event ids grow with time), `limit + 1` rows from before `afterId`. */
export async function creditHistory(db: Db, technicianId: string, afterId: string | undefined, limit: number): Promise<CreditEventRow[]> {
  return db
    .select()
    .from(technicianCreditEvents)
    .where(and(eq(technicianCreditEvents.technicianId, technicianId), afterId ? lt(technicianCreditEvents.id, afterId) : undefined))
    .orderBy(desc(technicianCreditEvents.id))
    .limit(limit + 1);
}

/** Every technician with score, level and completed jobs: the nightly level recalculation's input. */
export async function levelInputs(db: Db) {
  return db
    .select({
      id: technicians.id,
      creditScore: technicians.creditScore,
      level: technicians.level,
      completedJobs: sql<number>`(SELECT count(*) FROM ${orders} o WHERE o.technician_id = ${technicians.id} AND o.status = 'completed')`,
    })
    .from(technicians);
}

/**
 * A level change: the technician's level (only if it is still `from`) and its history line (0 points,
 * the score as it stands), once per technician and day.
 */
export function levelChangeStatements(
  db: Db,
  c: { eventId: string; technicianId: string; from: Level; to: Level; reasonCode: string; day: string; now: number },
): D1PreparedStatement[] {
  const update = updateRows(db, technicians, { level: c.to }, { sql: "id = ? AND level = ?", params: [c.technicianId, c.from] });
  const insert = db.$client
    .prepare(
      `INSERT INTO technician_credit_events (id, technician_id, kind, points, source_type, source_id, reason_code, score_after, actor_id, created_at)
       SELECT ?, t.id, 'recalculated', 0, 'level', ?, ?, t.credit_score, NULL, ? FROM technicians t WHERE t.id = ? AND t.level = ?
       ON CONFLICT (source_type, source_id, kind) DO NOTHING`,
    )
    .bind(c.eventId, `${c.technicianId}:${c.day}`, c.reasonCode, c.now, c.technicianId, c.to);
  return [update, insert];
}

// ——— rewards, penalties, appeals ———

export function insertDecisionStatement(db: Db, row: CreditDecisionRow): D1PreparedStatement {
  return insertRow(db, technicianCreditDecisions, row);
}

export const decisionExists = (id: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM technician_credit_decisions WHERE id = ?)",
  params: [id],
});

export async function findDecision(db: Db, id: string): Promise<CreditDecisionRow | undefined> {
  const [row] = await db.select().from(technicianCreditDecisions).where(eq(technicianCreditDecisions.id, id));
  return row;
}

export async function decisionsOf(db: Db, technicianId: string, limit = 50) {
  const rows = await db
    .select()
    .from(technicianCreditDecisions)
    .where(eq(technicianCreditDecisions.technicianId, technicianId))
    .orderBy(desc(technicianCreditDecisions.id))
    .limit(limit);
  const appeals = rows.length
    ? await db
        .select()
        .from(technicianCreditAppeals)
        .where(
          inArray(
            technicianCreditAppeals.decisionId,
            rows.map((r) => r.id),
          ),
        )
        .orderBy(desc(technicianCreditAppeals.id))
    : [];
  return rows.map((d) => ({ ...d, appeals: appeals.filter((a) => a.decisionId === d.id) }));
}

/** A new open appeal; false when the decision has one open already (the partial unique index). */
export async function insertAppeal(db: Db, row: CreditAppealRow): Promise<boolean> {
  const r = await db.insert(technicianCreditAppeals).values(row).onConflictDoNothing().returning({ id: technicianCreditAppeals.id });
  return r.length > 0;
}

export async function findAppeal(db: Db, id: string): Promise<CreditAppealRow | undefined> {
  const [row] = await db.select().from(technicianCreditAppeals).where(eq(technicianCreditAppeals.id, id));
  return row;
}

/** Appeals by status, oldest first (the queue), with their decision and technician. */
export async function appealsQueue(db: Db, status: CreditAppealRow["status"], limit: number) {
  return db
    .select({ appeal: technicianCreditAppeals, decision: technicianCreditDecisions, technicianName: technicians.name })
    .from(technicianCreditAppeals)
    .innerJoin(technicianCreditDecisions, eq(technicianCreditDecisions.id, technicianCreditAppeals.decisionId))
    .innerJoin(technicians, eq(technicians.id, technicianCreditAppeals.technicianId))
    .where(eq(technicianCreditAppeals.status, status))
    .orderBy(technicianCreditAppeals.id)
    .limit(limit);
}

/** Decides an open appeal, marked with `changeId`: only the first decision matches `status = 'open'`. */
export function decideAppealStatement(
  db: Db,
  a: { id: string; changeId: string; status: "granted" | "denied"; decidedBy: string; note: string | null; now: number },
): D1PreparedStatement {
  return updateRows(
    db,
    technicianCreditAppeals,
    { status: a.status, changeId: a.changeId, decidedBy: a.decidedBy, decisionNote: a.note, decidedAt: a.now },
    { sql: "id = ? AND status = 'open'", params: [a.id] },
  );
}

export const appealDecidedBy = (appealId: string, changeId: string): Guard => ({
  sql: "EXISTS (SELECT 1 FROM technician_credit_appeals WHERE id = ? AND change_id = ?)",
  params: [appealId, changeId],
});

export function reverseDecisionStatement(db: Db, decisionId: string, now: number, guard: Guard): D1PreparedStatement {
  return updateRows(
    db,
    technicianCreditDecisions,
    { status: "reversed", updatedAt: now },
    { sql: "id = ? AND status = 'in_force'", params: [decisionId] },
    guard,
  );
}

/** The points a recorded fact moved (0 when there is none). */
export async function factPoints(db: Db, sourceType: string, sourceId: string, kind: CreditKind): Promise<number> {
  const [row] = await db
    .select({ points: technicianCreditEvents.points })
    .from(technicianCreditEvents)
    .where(
      and(
        eq(technicianCreditEvents.sourceType, sourceType),
        eq(technicianCreditEvents.sourceId, sourceId),
        eq(technicianCreditEvents.kind, kind),
      ),
    );
  return row?.points ?? 0;
}
