/**
 * Training's SQL: courses, lessons, enrollments and progress, question banks, exams, attempts and
 * certifications. Grading writes the attempt's outcome only while it is still open (`status = 'open'`),
 * and the certification in the same batch only if that update won, so two submissions at once grade once.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { chunked } from "../db/chunks";
import {
  merchants,
  technicians,
  trainingAttempts,
  trainingBanks,
  trainingCertifications,
  trainingCourses,
  trainingEnrollments,
  trainingExams,
  trainingLessons,
  trainingProgress,
  trainingQuestions,
  trainingSkillRequirements,
} from "../db/schema";
import { insertRow, runBatch, updateRows } from "../db/repositories/statements";

export type CourseRow = typeof trainingCourses.$inferSelect;
export type LessonRow = typeof trainingLessons.$inferSelect;
export type BankRow = typeof trainingBanks.$inferSelect;
export type QuestionRow = typeof trainingQuestions.$inferSelect;
export type ExamRow = typeof trainingExams.$inferSelect;
export type AttemptRow = typeof trainingAttempts.$inferSelect;
export type CertificationRow = typeof trainingCertifications.$inferSelect;

/** Rows the staff overview answers at most of each kind (newest first). */
export const LIST_MAX = 200;

/** One page of a list, newest first: `limit + 1` rows (the extra one tells there is more) before `beforeId`. */
export interface PageAsk {
  beforeId?: string;
  limit: number;
}

/** Null: every merchant's and the platform's; a merchant id: only that merchant's. */
type Scope = string | null;

function scoped(
  column: typeof trainingCourses.merchantId | typeof trainingBanks.merchantId | typeof trainingExams.merchantId,
  scope: Scope,
) {
  return scope === null ? undefined : eq(column, scope);
}

// Courses and lessons

export async function insertCourse(db: Db, row: CourseRow): Promise<void> {
  await db.insert(trainingCourses).values(row);
}

export async function findCourse(db: Db, id: string): Promise<CourseRow | undefined> {
  const [row] = await db.select().from(trainingCourses).where(eq(trainingCourses.id, id)).limit(1);
  return row;
}

export async function listCourses(db: Db, scope: Scope, page: PageAsk): Promise<CourseRow[]> {
  return db
    .select()
    .from(trainingCourses)
    .where(and(scoped(trainingCourses.merchantId, scope), page.beforeId ? lt(trainingCourses.id, page.beforeId) : undefined))
    .orderBy(desc(trainingCourses.id))
    .limit(page.limit + 1);
}

/** Published courses a technician of `merchantId` (null: a platform technician) may take. */
export async function coursesForTechnician(db: Db, merchantId: string | null, page: PageAsk): Promise<CourseRow[]> {
  const audience =
    merchantId === null
      ? isNull(trainingCourses.merchantId)
      : or(isNull(trainingCourses.merchantId), eq(trainingCourses.merchantId, merchantId));
  return db
    .select()
    .from(trainingCourses)
    .where(and(eq(trainingCourses.published, true), audience, page.beforeId ? lt(trainingCourses.id, page.beforeId) : undefined))
    .orderBy(desc(trainingCourses.id))
    .limit(page.limit + 1);
}

export async function updateCourse(db: Db, id: string, set: Partial<CourseRow>): Promise<void> {
  await db.update(trainingCourses).set(set).where(eq(trainingCourses.id, id));
}

export async function lessonsOf(db: Db, courseId: string): Promise<LessonRow[]> {
  return db
    .select()
    .from(trainingLessons)
    .where(eq(trainingLessons.courseId, courseId))
    .orderBy(asc(trainingLessons.position), asc(trainingLessons.id));
}

export async function lessonCounts(db: Db, courseIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const ids of chunked(courseIds)) {
    const rows = await db
      .select({ courseId: trainingLessons.courseId, n: sql<number>`count(*)` })
      .from(trainingLessons)
      .where(inArray(trainingLessons.courseId, ids))
      .groupBy(trainingLessons.courseId);
    for (const r of rows) out.set(r.courseId, Number(r.n));
  }
  return out;
}

export async function findLesson(db: Db, courseId: string, lessonId: string): Promise<LessonRow | undefined> {
  const [row] = await db
    .select()
    .from(trainingLessons)
    .where(and(eq(trainingLessons.id, lessonId), eq(trainingLessons.courseId, courseId)))
    .limit(1);
  return row;
}

/** Adds the lesson at the end of its course (position = the course's last + 1, worked out in the insert). */
export async function insertLesson(db: Db, row: Omit<LessonRow, "position">): Promise<LessonRow> {
  const [inserted] = await db
    .insert(trainingLessons)
    .values({
      ...row,
      position: sql`(SELECT coalesce(max(position), 0) + 1 FROM training_lessons WHERE course_id = ${row.courseId})`,
    })
    .returning();
  return inserted!;
}

export async function updateLesson(db: Db, lessonId: string, set: Partial<LessonRow>): Promise<void> {
  await db.update(trainingLessons).set(set).where(eq(trainingLessons.id, lessonId));
}

// Enrollment and progress

export async function enroll(db: Db, technicianId: string, courseId: string, now: number): Promise<void> {
  await db.insert(trainingEnrollments).values({ technicianId, courseId, enrolledAt: now }).onConflictDoNothing();
}

export async function isEnrolled(db: Db, technicianId: string, courseId: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(trainingEnrollments)
    .where(and(eq(trainingEnrollments.technicianId, technicianId), eq(trainingEnrollments.courseId, courseId)))
    .limit(1);
  return row !== undefined;
}

export async function enrollmentsOf(db: Db, technicianId: string): Promise<Map<string, number>> {
  const rows = await db.select().from(trainingEnrollments).where(eq(trainingEnrollments.technicianId, technicianId));
  return new Map(rows.map((r) => [r.courseId, r.enrolledAt]));
}

export async function completeLesson(db: Db, technicianId: string, courseId: string, lessonId: string, now: number): Promise<void> {
  await db.insert(trainingProgress).values({ technicianId, courseId, lessonId, completedAt: now }).onConflictDoNothing();
}

/** Per course: the lessons the technician completed. */
export async function completedLessons(db: Db, technicianId: string): Promise<Map<string, Set<string>>> {
  const rows = await db.select().from(trainingProgress).where(eq(trainingProgress.technicianId, technicianId));
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.courseId) ?? new Set<string>();
    set.add(r.lessonId);
    out.set(r.courseId, set);
  }
  return out;
}

/** Enrolled technicians of the scope's courses with their completed lesson counts. */
export async function progressRows(db: Db, scope: Scope) {
  return db
    .select({
      technicianId: trainingEnrollments.technicianId,
      technicianName: technicians.name,
      courseId: trainingCourses.id,
      courseTitle: trainingCourses.title,
      enrolledAt: trainingEnrollments.enrolledAt,
      completed: sql<number>`(SELECT count(*) FROM training_progress p WHERE p.technician_id = ${trainingEnrollments.technicianId} AND p.course_id = ${trainingCourses.id})`,
      lessons: sql<number>`(SELECT count(*) FROM training_lessons l WHERE l.course_id = ${trainingCourses.id})`,
    })
    .from(trainingEnrollments)
    .innerJoin(trainingCourses, eq(trainingCourses.id, trainingEnrollments.courseId))
    .innerJoin(technicians, eq(technicians.id, trainingEnrollments.technicianId))
    .where(scope === null ? undefined : eq(technicians.merchantId, scope))
    .orderBy(desc(trainingEnrollments.enrolledAt))
    .limit(LIST_MAX);
}

// Banks and questions

export async function insertBank(db: Db, row: BankRow): Promise<void> {
  await db.insert(trainingBanks).values(row);
}

export async function findBank(db: Db, id: string): Promise<BankRow | undefined> {
  const [row] = await db.select().from(trainingBanks).where(eq(trainingBanks.id, id)).limit(1);
  return row;
}

export async function listBanks(db: Db, scope: Scope, page: PageAsk): Promise<BankRow[]> {
  return db
    .select()
    .from(trainingBanks)
    .where(and(scoped(trainingBanks.merchantId, scope), page.beforeId ? lt(trainingBanks.id, page.beforeId) : undefined))
    .orderBy(desc(trainingBanks.id))
    .limit(page.limit + 1);
}

export async function insertQuestion(db: Db, row: QuestionRow): Promise<void> {
  await db.insert(trainingQuestions).values(row);
}

export async function questionsOf(db: Db, bankId: string): Promise<QuestionRow[]> {
  return db
    .select()
    .from(trainingQuestions)
    .where(eq(trainingQuestions.bankId, bankId))
    .orderBy(asc(trainingQuestions.createdAt), asc(trainingQuestions.id));
}

export async function deleteQuestion(db: Db, bankId: string, questionId: string): Promise<boolean> {
  const r = await db
    .delete(trainingQuestions)
    .where(and(eq(trainingQuestions.id, questionId), eq(trainingQuestions.bankId, bankId)))
    .returning({ id: trainingQuestions.id });
  return r.length > 0;
}

export async function questionsById(db: Db, ids: string[]): Promise<QuestionRow[]> {
  const out: QuestionRow[] = [];
  for (const part of chunked(ids)) out.push(...(await db.select().from(trainingQuestions).where(inArray(trainingQuestions.id, part))));
  return out;
}

// Exams, attempts, certifications

export async function insertExam(db: Db, row: ExamRow): Promise<void> {
  await db.insert(trainingExams).values(row);
}

export async function findExam(db: Db, id: string): Promise<ExamRow | undefined> {
  const [row] = await db.select().from(trainingExams).where(eq(trainingExams.id, id)).limit(1);
  return row;
}

export async function listExams(db: Db, scope: Scope, page: PageAsk): Promise<ExamRow[]> {
  return db
    .select()
    .from(trainingExams)
    .where(and(scoped(trainingExams.merchantId, scope), page.beforeId ? lt(trainingExams.id, page.beforeId) : undefined))
    .orderBy(desc(trainingExams.id))
    .limit(page.limit + 1);
}

export async function examsForTechnician(db: Db, merchantId: string | null, page: PageAsk): Promise<ExamRow[]> {
  const audience =
    merchantId === null ? isNull(trainingExams.merchantId) : or(isNull(trainingExams.merchantId), eq(trainingExams.merchantId, merchantId));
  return db
    .select()
    .from(trainingExams)
    .where(and(eq(trainingExams.published, true), audience, page.beforeId ? lt(trainingExams.id, page.beforeId) : undefined))
    .orderBy(desc(trainingExams.id))
    .limit(page.limit + 1);
}

export async function updateExam(db: Db, id: string, set: Partial<ExamRow>): Promise<void> {
  await db.update(trainingExams).set(set).where(eq(trainingExams.id, id));
}

/** A technician's attempts at some exams, newest first. */
export async function attemptsOf(db: Db, technicianId: string, examIds: string[]): Promise<AttemptRow[]> {
  const out: AttemptRow[] = [];
  for (const part of chunked(examIds)) {
    out.push(
      ...(await db
        .select()
        .from(trainingAttempts)
        .where(and(eq(trainingAttempts.technicianId, technicianId), inArray(trainingAttempts.examId, part)))
        .orderBy(desc(trainingAttempts.startedAt))),
    );
  }
  return out.sort((a, b) => b.startedAt - a.startedAt);
}

/**
 * Starts the attempt only while the technician has fewer than `maxAttempts` attempts at the exam
 * and none open: two starts at once cannot both pass the limit. False when refused.
 */
export async function insertAttemptGuarded(db: Db, row: AttemptRow, maxAttempts: number): Promise<boolean> {
  const [r] = await runBatch(db, [
    insertRow(db, trainingAttempts, row, {
      sql: `(SELECT count(*) FROM training_attempts WHERE exam_id = ? AND technician_id = ?) < ?
        AND NOT EXISTS (SELECT 1 FROM training_attempts WHERE exam_id = ? AND technician_id = ? AND status = 'open' AND deadline_at > ?)`,
      params: [row.examId, row.technicianId, maxAttempts, row.examId, row.technicianId, row.startedAt],
    }),
  ]);
  return (r?.meta.changes ?? 0) > 0;
}

export async function findAttempt(db: Db, id: string): Promise<AttemptRow | undefined> {
  const [row] = await db.select().from(trainingAttempts).where(eq(trainingAttempts.id, id)).limit(1);
  return row;
}

/**
 * Records the attempt's outcome while it is still open, and (when it passed and `certification`
 * is given) the certification and a new roster version of the technician in the same batch, both
 * only if this update won. True when this call graded it.
 */
export async function closeAttempt(
  db: Db,
  attemptId: string,
  outcome: { status: "passed" | "failed" | "expired"; score: number; submittedAt: number },
  certification: CertificationRow | null,
): Promise<boolean> {
  const won = {
    sql: "EXISTS (SELECT 1 FROM training_attempts WHERE id = ? AND status = ? AND submitted_at = ?)",
    params: [attemptId, outcome.status, outcome.submittedAt],
  };
  const statements = [updateRows(db, trainingAttempts, outcome, { sql: "id = ? AND status = 'open'", params: [attemptId] })];
  if (certification) {
    statements.push(insertRow(db, trainingCertifications, certification, won, true));
    statements.push(
      updateRows(
        db,
        technicians,
        { updatedAt: certification.issuedAt },
        { sql: "id = ? AND updated_at < ?", params: [certification.technicianId, certification.issuedAt] },
      ),
    );
  }
  const [r] = await runBatch(db, statements);
  return (r?.meta.changes ?? 0) > 0;
}

export async function certificationsOf(db: Db, technicianId: string, page: PageAsk): Promise<CertificationRow[]> {
  return db
    .select()
    .from(trainingCertifications)
    .where(
      and(eq(trainingCertifications.technicianId, technicianId), page.beforeId ? lt(trainingCertifications.id, page.beforeId) : undefined),
    )
    .orderBy(desc(trainingCertifications.id))
    .limit(page.limit + 1);
}

export async function certificationRows(db: Db, scope: Scope) {
  return db
    .select({ c: trainingCertifications, technicianName: technicians.name, examTitle: trainingExams.title })
    .from(trainingCertifications)
    .innerJoin(technicians, eq(technicians.id, trainingCertifications.technicianId))
    .innerJoin(trainingExams, eq(trainingExams.id, trainingCertifications.examId))
    .where(scope === null ? undefined : eq(technicians.merchantId, scope))
    .orderBy(desc(trainingCertifications.issuedAt))
    .limit(LIST_MAX);
}

// Skill requirements (dispatch eligibility)

export async function skillRequirements(db: Db): Promise<string[]> {
  return (await db.select({ skill: trainingSkillRequirements.skill }).from(trainingSkillRequirements)).map((r) => r.skill);
}

export async function setSkillRequirement(db: Db, skill: string, required: boolean, actorId: string, now: number): Promise<void> {
  if (required) {
    await db.insert(trainingSkillRequirements).values({ skill, createdBy: actorId, createdAt: now }).onConflictDoNothing();
  } else {
    await db.delete(trainingSkillRequirements).where(eq(trainingSkillRequirements.skill, skill));
  }
}

/** Technicians holding any of `skills`: their roster version moves so every cell reloads them. */
export async function touchTechniciansWithSkill(db: Db, skill: string, now: number): Promise<void> {
  await db
    .update(technicians)
    .set({ updatedAt: now })
    .where(
      and(sql`EXISTS (SELECT 1 FROM json_each(${technicians.skills}) WHERE value = ${skill})`, sql`${technicians.updatedAt} < ${now}`),
    );
}

/** Per technician: the skills they hold an unexpired certification of at `now`. */
export async function certifiedSkills(db: Db, technicianIds: string[], now: number): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const ids of chunked(technicianIds, 90)) {
    const rows = await db
      .select({ technicianId: trainingCertifications.technicianId, skill: trainingCertifications.skill })
      .from(trainingCertifications)
      .where(and(inArray(trainingCertifications.technicianId, ids), gt(trainingCertifications.expiresAt, now)));
    for (const r of rows) {
      if (r.skill === null) continue;
      const set = out.get(r.technicianId) ?? new Set<string>();
      set.add(r.skill);
      out.set(r.technicianId, set);
    }
  }
  return out;
}

/**
 * Certifications that expired by `now` and were not yet acted on: marks them lapsed and moves their
 * technicians' roster version in one batch, so the cells reload them without the skill. The count.
 */
export async function lapseExpiredCertifications(db: Db, now: number, max = 100): Promise<number> {
  const due = await db
    .select({ id: trainingCertifications.id, technicianId: trainingCertifications.technicianId })
    .from(trainingCertifications)
    .where(and(isNull(trainingCertifications.lapsedAt), lte(trainingCertifications.expiresAt, now)))
    .limit(max);
  if (due.length === 0) return 0;
  const statements: D1PreparedStatement[] = [];
  for (const d of due) {
    statements.push(updateRows(db, trainingCertifications, { lapsedAt: now }, { sql: "id = ? AND lapsed_at IS NULL", params: [d.id] }));
  }
  for (const id of new Set(due.map((d) => d.technicianId))) {
    statements.push(updateRows(db, technicians, { updatedAt: now }, { sql: "id = ? AND updated_at < ?", params: [id, now] }));
  }
  await runBatch(db, statements);
  return due.length;
}

export async function merchantExists(db: Db, merchantId: string): Promise<boolean> {
  const [row] = await db.select({ id: merchants.id }).from(merchants).where(eq(merchants.id, merchantId)).limit(1);
  return row !== undefined;
}
