/** The surge notices' SQL: the technicians of some cells, skill names, and the once-per-cooldown claim with its message. */
import { and, eq, inArray } from "drizzle-orm";
import { chunked } from "../db/chunks";
import type { Db } from "../db/client";
import { outboxRow, runBatch } from "../db/repositories/statements";
import { skills, technicians } from "../db/schema";
import type { OutboxMessage } from "../domain/outbox";

/** Approved technicians homed in the cells given (cells in parts under D1's parameter limit). */
export async function approvedTechniciansIn(db: Db, cells: readonly string[]) {
  const out: { id: string; homeCell: string; merchantId: string | null; skills: string[]; lapsedSkills: string[] }[] = [];
  for (const part of chunked([...new Set(cells)], 90)) {
    const rows = await db
      .select({
        id: technicians.id,
        homeCell: technicians.homeCell,
        merchantId: technicians.merchantId,
        skills: technicians.skills,
        lapsedSkills: technicians.lapsedSkills,
      })
      .from(technicians)
      .where(and(inArray(technicians.homeCell, part), eq(technicians.status, "approved")));
    out.push(...rows);
  }
  return out;
}

/** The names of the skills given, in their order (an unknown code left out). */
export async function skillNamesOf(db: Db, codes: readonly string[]): Promise<{ zh: string; en: string }[]> {
  if (codes.length === 0) return [];
  const rows = await db
    .select({ code: skills.code, zh: skills.nameZh, en: skills.nameEn })
    .from(skills)
    .where(inArray(skills.code, [...codes]));
  const byCode = new Map(rows.map((r) => [r.code, { zh: r.zh, en: r.en }]));
  return codes.flatMap((c) => byCode.get(c) ?? []);
}

/**
 * Claims the technician's surge notice for this event and writes its message, in one batch: the
 * claim takes when the technician was never told or last told at least `cooldownMs` before `at`;
 * the message is written only with the claim this event made. True when it was sent.
 */
export async function claimSurgeNotice(
  db: Db,
  c: { technicianId: string; cellId: string; eventId: string; at: number; cooldownMs: number },
  m: OutboxMessage,
): Promise<boolean> {
  const results = await runBatch(db, [
    db.$client
      .prepare(
        `INSERT INTO surge_technician_notices (technician_id, cell_id, event_id, notified_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (technician_id) DO UPDATE SET cell_id = excluded.cell_id, event_id = excluded.event_id, notified_at = excluded.notified_at
         WHERE surge_technician_notices.notified_at <= ?5`,
      )
      .bind(c.technicianId, c.cellId, c.eventId, c.at, c.at - c.cooldownMs),
    outboxRow(db, m, Date.now(), {
      sql: "EXISTS (SELECT 1 FROM surge_technician_notices WHERE technician_id = ? AND event_id = ? AND notified_at = ?)",
      params: [c.technicianId, c.eventId, c.at],
    }),
  ]);
  return results[0]?.meta.changes === 1;
}
