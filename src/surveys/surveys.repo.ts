/** The survey's SQL: configured questions, responses (one per order) and the rows its reports read. */
import { and, asc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { surveyQuestions, surveyResponses, technicians } from "../db/schema";

export type QuestionRow = typeof surveyQuestions.$inferSelect;
export type ResponseRow = typeof surveyResponses.$inferSelect;

/** Every question, asked ones first, in survey order. */
export async function listQuestions(db: Db, activeOnly: boolean): Promise<QuestionRow[]> {
  return db
    .select()
    .from(surveyQuestions)
    .where(activeOnly ? eq(surveyQuestions.active, true) : undefined)
    .orderBy(asc(surveyQuestions.position), asc(surveyQuestions.id))
    .limit(200);
}

export async function findQuestion(db: Db, id: string): Promise<QuestionRow | undefined> {
  const [row] = await db.select().from(surveyQuestions).where(eq(surveyQuestions.id, id)).limit(1);
  return row;
}

export async function insertQuestion(db: Db, row: QuestionRow): Promise<void> {
  await db.insert(surveyQuestions).values(row);
}

export async function updateQuestion(db: Db, id: string, patch: Partial<QuestionRow>): Promise<void> {
  await db.update(surveyQuestions).set(patch).where(eq(surveyQuestions.id, id));
}

export async function findResponse(db: Db, orderId: string): Promise<ResponseRow | undefined> {
  const [row] = await db.select().from(surveyResponses).where(eq(surveyResponses.orderId, orderId)).limit(1);
  return row;
}

/** Writes the response unless the order has one already (the unique order index decides between racing answers); false then. */
export async function insertResponse(db: Db, row: ResponseRow): Promise<boolean> {
  const result = await db.insert(surveyResponses).values(row).onConflictDoNothing({ target: surveyResponses.orderId });
  return result.meta.changes > 0;
}

/** Responses to visits that started in [from, to), in a city or all, of a merchant or all. */
export async function responsesBetween(
  db: Db,
  q: { cityId: string | null; merchantId: string | undefined; fromMs: number; toMs: number },
): Promise<ResponseRow[]> {
  const where: SQL[] = [gte(surveyResponses.startAt, q.fromMs), lt(surveyResponses.startAt, q.toMs)];
  if (q.cityId !== null) where.push(eq(surveyResponses.cityId, q.cityId));
  if (q.merchantId !== undefined) where.push(eq(surveyResponses.merchantId, q.merchantId));
  return db
    .select()
    .from(surveyResponses)
    .where(and(...where))
    .limit(100_000);
}

/** Display names of technicians by id. */
export async function technicianNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db
      .select({ id: technicians.id, name: technicians.name })
      .from(technicians)
      .where(inArray(technicians.id, ids.slice(i, i + 90)));
    for (const r of rows) names.set(r.id, r.name);
  }
  return names;
}
