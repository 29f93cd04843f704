/**
 * Training and exams: courses of lessons (text, an image or a video in R2), enrollment and progress,
 * question banks, exams drawn at random from a bank and graded here (answers never leave the server
 * before submission), and the certifications a pass issues, valid for the exam's `validDays`.
 *
 * Who: operators and admins run platform courses, banks and exams (for every technician) and see all;
 * a merchant_admin runs its merchant's own, seen by its technicians only, and sees nothing of another
 * merchant's (404). Technicians see published platform courses and exams and their merchant's.
 *
 * Time limit: an attempt may be submitted until `deadlineAt` + EXAM_SUBMIT_GRACE_SECONDS (network slack). A
 * later submission is refused with 409 EXAM_TIME_UP and the attempt is recorded as `expired` (a
 * failed attempt that counts towards the limit); an attempt never submitted shows as expired too.
 */
import { recordAudit } from "../audit";
import { forgetCellVersions } from "../cells/roster-versions";
import { config } from "../config";
import { getDb } from "../db/client";
import { existingSkillCodes } from "../db/repositories/catalog.repo";
import { technicianMerchants } from "../db/repositories/roster.repo";
import { drawQuestions, gradeAttempt } from "../domain/exam-grading";
import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError, invalid, notFound } from "../errors";
import { parseRange } from "../http/byte-range";
import { decodeCursor, toPage } from "../lib/cursor";
import { newId } from "../lib/ids";
import { bytesMatch, mediaType } from "../lib/media";
import * as repo from "./training.repo";

/** The largest lesson file (image or video) accepted, in bytes. */
export const MEDIA_MAX_BYTES = 50 * 1024 * 1024;
/** Slack after an attempt's deadline within which a submission is still graded (EXAM_SUBMIT_GRACE_SECONDS). */
const graceMs = (env: Env) => config(env).EXAM_SUBMIT_GRACE_SECONDS * 1000;
const DAY_MS = 86_400_000;

const MEDIA_TYPES = ["image/jpeg", "image/png", "image/webp", "video/mp4", "video/webm"] as const;

const COURSE = { en: "Course", zh: "课程" };
const LESSON = { en: "Lesson", zh: "课时" };
const BANK = { en: "Question bank", zh: "题库" };
const QUESTION = { en: "Question", zh: "题目" };
const EXAM = { en: "Exam", zh: "考试" };
const ATTEMPT = { en: "Exam attempt", zh: "考试记录" };
const SKILL = { en: "Skill", zh: "技能" };

/** A list's page as asked: `?limit=` (1–100, default 20) and `?cursor=` from the last page's `nextCursor`. */
export interface ListQuery {
  limit: number;
  cursor?: string;
}

const ask = (q: ListQuery): repo.PageAsk => ({ beforeId: decodeCursor(q.cursor), limit: q.limit });

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function mediaTooLarge(): AppError {
  return AppError.of("TRAINING_MEDIA_TOO_LARGE", { mb: MEDIA_MAX_BYTES / 1024 / 1024 });
}

/** Every staff write is audited: who changed which course, bank or exam, and what (names and settings, never answers). */
function audit(
  env: Env,
  auth: Auth,
  action: string,
  targetType: "training_course" | "training_bank" | "training_exam" | "skill",
  targetId: string,
  data: Record<string, unknown>,
): Promise<void> {
  return recordAudit(env, { actorId: auth.accountId, action: `training.${action}`, targetType, targetId, data });
}

// Who sees what

/** Null: the platform (everything); else the merchant a merchant_admin runs. */
function staffScope(auth: Auth): string | null {
  if (isPlatform(auth.roles)) return null;
  if (!auth.merchantId) throw AppError.of("FORBIDDEN");
  return auth.merchantId;
}

function inScope(scope: string | null, merchantId: string | null): boolean {
  return scope === null || merchantId === scope;
}

/** The merchant a new object belongs to: a merchant_admin's own; for operators the one asked (null: platform). */
function ownerFor(auth: Auth, asked: string | null | undefined): string | null {
  const scope = staffScope(auth);
  return scope ?? asked ?? null;
}

async function assertSkill(env: Env, skill: string | null | undefined): Promise<void> {
  if (!skill) return;
  if (!(await existingSkillCodes(getDb(env), [skill])).has(skill)) throw notFound(SKILL);
}

async function technicianOf(env: Env, auth: Auth): Promise<{ id: string; merchantId: string | null }> {
  const id = auth.technicianId;
  if (!id) throw AppError.of("FORBIDDEN");
  const merchants = await technicianMerchants(getDb(env), [id]);
  if (!merchants.has(id)) throw notFound("Technician");
  return { id, merchantId: merchants.get(id) ?? null };
}

const visibleTo = (merchantId: string | null, row: { merchantId: string | null; published: boolean }) =>
  row.published && (row.merchantId === null || row.merchantId === merchantId);

/** `<what>.publish` / `.unpublish` when a change flips `published`, else `<what>.update`. */
function publishAction(what: "course" | "exam", was: boolean, asked: boolean | undefined): string {
  if (asked === undefined || asked === was) return `${what}.update`;
  return asked ? `${what}.publish` : `${what}.unpublish`;
}

/** The fields a patch changes, each with its value before and after. */
function changed<T extends object>(before: T, patch: Partial<T>): { changes: Record<string, { from: unknown; to: unknown }> } {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, to] of Object.entries(patch)) {
    const from = (before as Record<string, unknown>)[k];
    if (to !== undefined && JSON.stringify(from) !== JSON.stringify(to)) changes[k] = { from, to };
  }
  return { changes };
}

function settingsOf(e: repo.ExamRow) {
  return {
    merchantId: e.merchantId,
    bankId: e.bankId,
    skill: e.skill,
    title: e.title,
    drawCount: e.drawCount,
    passPercent: e.passPercent,
    timeLimitSeconds: e.timeLimitSeconds,
    maxAttempts: e.maxAttempts,
    validDays: e.validDays,
    published: e.published,
  };
}

// Courses and lessons

function courseView(row: repo.CourseRow, lessons?: number) {
  return {
    id: row.id,
    merchantId: row.merchantId,
    skill: row.skill,
    title: row.title,
    description: row.description,
    published: row.published,
    lessonCount: lessons ?? 0,
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  };
}

function lessonView(row: repo.LessonRow, completed?: boolean) {
  return {
    id: row.id,
    courseId: row.courseId,
    position: row.position,
    title: row.title,
    body: row.body,
    media: row.mediaKey
      ? { contentType: row.mediaType!, size: row.mediaSize!, url: `/v1/training/courses/${row.courseId}/lessons/${row.id}/media` }
      : null,
    ...(completed === undefined ? {} : { completed }),
  };
}

export interface CourseInput {
  title: string;
  description: string;
  skill?: string | null;
  merchantId?: string | null;
  published?: boolean;
}

export async function createCourse(env: Env, auth: Auth, input: CourseInput) {
  await assertSkill(env, input.skill);
  const merchantId = ownerFor(auth, input.merchantId);
  const now = Date.now();
  const row: repo.CourseRow = {
    id: newId("crs", now),
    merchantId,
    skill: input.skill ?? null,
    title: input.title,
    description: input.description,
    published: input.published ?? false,
    createdBy: auth.accountId,
    createdAt: now,
    updatedAt: now,
  };
  if (merchantId !== null && !(await technicianMerchantExists(env, merchantId))) throw notFound("Merchant");
  await repo.insertCourse(getDb(env), row);
  await audit(env, auth, "course.create", "training_course", row.id, {
    merchantId,
    skill: row.skill,
    title: row.title,
    published: row.published,
  });
  return courseView(row, 0);
}

async function technicianMerchantExists(env: Env, merchantId: string): Promise<boolean> {
  return repo.merchantExists(getDb(env), merchantId);
}

async function staffCourse(env: Env, auth: Auth, courseId: string): Promise<repo.CourseRow> {
  const row = await repo.findCourse(getDb(env), courseId);
  if (!row || !inScope(staffScope(auth), row.merchantId)) throw notFound(COURSE);
  return row;
}

export async function courses(env: Env, auth: Auth, q: ListQuery) {
  const db = getDb(env);
  const page = toPage(await repo.listCourses(db, staffScope(auth), ask(q)), q.limit);
  const counts = await repo.lessonCounts(
    db,
    page.items.map((r) => r.id),
  );
  return { items: page.items.map((r) => courseView(r, counts.get(r.id) ?? 0)), nextCursor: page.nextCursor };
}

export async function course(env: Env, auth: Auth, courseId: string) {
  const row = await staffCourse(env, auth, courseId);
  const lessons = await repo.lessonsOf(getDb(env), row.id);
  return { ...courseView(row, lessons.length), lessons: lessons.map((l) => lessonView(l)) };
}

export async function changeCourse(env: Env, auth: Auth, courseId: string, patch: Partial<Omit<CourseInput, "merchantId">>) {
  const row = await staffCourse(env, auth, courseId);
  await assertSkill(env, patch.skill);
  const set = { ...patch, updatedAt: Math.max(Date.now(), row.updatedAt + 1) };
  await repo.updateCourse(getDb(env), row.id, set);
  await audit(env, auth, publishAction("course", row.published, patch.published), "training_course", row.id, changed(row, patch));
  return course(env, auth, row.id);
}

export async function addLesson(env: Env, auth: Auth, courseId: string, input: { title: string; body: string }) {
  const row = await staffCourse(env, auth, courseId);
  const now = Date.now();
  const lesson = await repo.insertLesson(getDb(env), {
    id: newId("lsn", now),
    courseId: row.id,
    title: input.title,
    body: input.body,
    mediaKey: null,
    mediaType: null,
    mediaSize: null,
    createdAt: now,
    updatedAt: now,
  });
  await audit(env, auth, "course.lesson.add", "training_course", row.id, { lessonId: lesson.id, title: lesson.title });
  return lessonView(lesson);
}

export async function changeLesson(env: Env, auth: Auth, courseId: string, lessonId: string, patch: { title?: string; body?: string }) {
  const row = await staffCourse(env, auth, courseId);
  const db = getDb(env);
  const lesson = await repo.findLesson(db, row.id, lessonId);
  if (!lesson) throw notFound(LESSON);
  await repo.updateLesson(db, lesson.id, { ...patch, updatedAt: Date.now() });
  await audit(env, auth, "course.lesson.update", "training_course", row.id, { lessonId: lesson.id, fields: Object.keys(patch).sort() });
  return lessonView({ ...lesson, ...patch });
}

/**
 * The lesson's image or video, replacing any earlier one: 415 unless JPEG, PNG, WebP, MP4 or WebM,
 * 413 over MEDIA_MAX_BYTES, 400 TRAINING_MEDIA_INVALID when the bytes are not that format. The bytes
 * go to R2 (PHOTOS bucket) at `training/<courseId>/<lessonId>/<fileId>`, then the lesson points at them.
 */
export async function uploadLessonMedia(
  env: Env,
  auth: Auth,
  courseId: string,
  lessonId: string,
  contentType: string | undefined,
  body: ArrayBuffer,
) {
  const type = mediaType(contentType, MEDIA_TYPES);
  if (!type) throw AppError.of("UNSUPPORTED_MEDIA_TYPE");
  if (body.byteLength > MEDIA_MAX_BYTES) throw mediaTooLarge();
  const bytes = new Uint8Array(body);
  if (!bytesMatch(type, bytes)) {
    throw AppError.of("TRAINING_MEDIA_INVALID", { type }, { errors: [{ path: "body", message: `not ${type}` }] });
  }
  const row = await staffCourse(env, auth, courseId);
  const db = getDb(env);
  const lesson = await repo.findLesson(db, row.id, lessonId);
  if (!lesson) throw notFound(LESSON);
  const now = Date.now();
  const key = `training/${row.id}/${lesson.id}/${newId("fil", now)}`;
  await env.PHOTOS.put(key, bytes, { httpMetadata: { contentType: type }, customMetadata: { courseId: row.id, lessonId: lesson.id } });
  try {
    await repo.updateLesson(db, lesson.id, { mediaKey: key, mediaType: type, mediaSize: bytes.byteLength, updatedAt: now });
  } catch (err) {
    await env.PHOTOS.delete(key);
    throw err;
  }
  if (lesson.mediaKey) await env.PHOTOS.delete(lesson.mediaKey);
  await audit(env, auth, "course.lesson.media", "training_course", row.id, {
    lessonId: lesson.id,
    contentType: type,
    size: bytes.byteLength,
    replaced: lesson.mediaKey !== null,
  });
  return lessonView({ ...lesson, mediaKey: key, mediaType: type, mediaSize: bytes.byteLength });
}

/**
 * A lesson's file for its course's staff and for technicians enrolled in it (404 for anyone else),
 * the part a `Range: bytes=…` header asks for (206) or all of it (200).
 */
export async function lessonMedia(env: Env, auth: Auth, courseId: string, lessonId: string, rangeHeader: string | undefined) {
  const db = getDb(env);
  const row = await repo.findCourse(db, courseId);
  let allowed = false;
  if (row && auth.technicianId && !auth.roles.some((r) => r === "operator" || r === "admin" || r === "merchant_admin")) {
    allowed = await repo.isEnrolled(db, auth.technicianId, row.id);
  } else if (row && auth.roles.some((r) => r === "operator" || r === "admin" || r === "merchant_admin")) {
    allowed = inScope(staffScope(auth), row.merchantId);
  }
  const lesson = row && allowed ? await repo.findLesson(db, row.id, lessonId) : undefined;
  if (!lesson?.mediaKey) throw notFound(LESSON);
  const size = lesson.mediaSize ?? 0;
  // Checked only once the caller may see the file: a stranger learns nothing of its size.
  const range = parseRange(rangeHeader, size);
  const object = await env.PHOTOS.get(lesson.mediaKey, range ? { range } : undefined);
  if (!object) throw notFound(LESSON);
  return { body: object.body, contentType: lesson.mediaType!, size, etag: object.httpEtag, range };
}

// Technicians: courses, enrollment, progress

function progressOf(lessons: number, completed: number) {
  return { lessons, completed, percent: lessons === 0 ? 0 : Math.floor((completed * 100) / lessons) };
}

export async function myCourses(env: Env, auth: Auth, q: ListQuery) {
  const tech = await technicianOf(env, auth);
  const db = getDb(env);
  const page = toPage(await repo.coursesForTechnician(db, tech.merchantId, ask(q)), q.limit);
  const rows = page.items;
  const [counts, enrolled, done] = await Promise.all([
    repo.lessonCounts(
      db,
      rows.map((r) => r.id),
    ),
    repo.enrollmentsOf(db, tech.id),
    repo.completedLessons(db, tech.id),
  ]);
  return {
    items: rows.map((r) => ({
      ...courseView(r, counts.get(r.id) ?? 0),
      enrolledAt: iso(enrolled.get(r.id) ?? null),
      progress: progressOf(counts.get(r.id) ?? 0, done.get(r.id)?.size ?? 0),
    })),
    nextCursor: page.nextCursor,
  };
}

async function techCourse(env: Env, auth: Auth, courseId: string) {
  const tech = await technicianOf(env, auth);
  const row = await repo.findCourse(getDb(env), courseId);
  if (!row || !visibleTo(tech.merchantId, row)) throw notFound(COURSE);
  return { tech, row };
}

export async function enrollIn(env: Env, auth: Auth, courseId: string) {
  const { tech, row } = await techCourse(env, auth, courseId);
  await repo.enroll(getDb(env), tech.id, row.id, Date.now());
  return myCourse(env, auth, row.id);
}

export async function myCourse(env: Env, auth: Auth, courseId: string) {
  const { tech, row } = await techCourse(env, auth, courseId);
  const db = getDb(env);
  const [lessons, enrolled, done] = await Promise.all([
    repo.lessonsOf(db, row.id),
    repo.enrollmentsOf(db, tech.id),
    repo.completedLessons(db, tech.id),
  ]);
  const mine = done.get(row.id) ?? new Set<string>();
  const isIn = enrolled.has(row.id);
  return {
    ...courseView(row, lessons.length),
    enrolledAt: iso(enrolled.get(row.id) ?? null),
    progress: progressOf(lessons.length, lessons.filter((l) => mine.has(l.id)).length),
    // Lesson content only for those enrolled; the outline for everyone who may enrol.
    lessons: lessons.map((l) => (isIn ? lessonView(l, mine.has(l.id)) : { ...lessonView(l, false), body: "", media: null })),
  };
}

export async function completeLesson(env: Env, auth: Auth, courseId: string, lessonId: string) {
  const { tech, row } = await techCourse(env, auth, courseId);
  const db = getDb(env);
  if (!(await repo.isEnrolled(db, tech.id, row.id))) throw AppError.of("TRAINING_NOT_ENROLLED");
  const lesson = await repo.findLesson(db, row.id, lessonId);
  if (!lesson) throw notFound(LESSON);
  await repo.completeLesson(db, tech.id, row.id, lesson.id, Date.now());
  return myCourse(env, auth, row.id);
}

// Question banks

function questionView(q: repo.QuestionRow) {
  return { id: q.id, bankId: q.bankId, kind: q.kind, prompt: q.prompt, options: q.options, correct: q.correct };
}

export async function createBank(env: Env, auth: Auth, input: { title: string; merchantId?: string | null }) {
  const merchantId = ownerFor(auth, input.merchantId);
  if (merchantId !== null && !(await technicianMerchantExists(env, merchantId))) throw notFound("Merchant");
  const now = Date.now();
  const row: repo.BankRow = { id: newId("qbk", now), merchantId, title: input.title, createdAt: now };
  await repo.insertBank(getDb(env), row);
  await audit(env, auth, "bank.create", "training_bank", row.id, { merchantId, title: row.title });
  return { ...row, createdAt: iso(now)!, questions: [] as ReturnType<typeof questionView>[] };
}

async function staffBank(env: Env, auth: Auth, bankId: string): Promise<repo.BankRow> {
  const row = await repo.findBank(getDb(env), bankId);
  if (!row || !inScope(staffScope(auth), row.merchantId)) throw notFound(BANK);
  return row;
}

export async function banks(env: Env, auth: Auth, q: ListQuery) {
  const page = toPage(await repo.listBanks(getDb(env), staffScope(auth), ask(q)), q.limit);
  return { items: page.items.map((r) => ({ ...r, createdAt: iso(r.createdAt)! })), nextCursor: page.nextCursor };
}

export async function bank(env: Env, auth: Auth, bankId: string) {
  const row = await staffBank(env, auth, bankId);
  const questions = await repo.questionsOf(getDb(env), row.id);
  return { ...row, createdAt: iso(row.createdAt)!, questions: questions.map(questionView) };
}

export interface QuestionInput {
  kind: "single" | "multiple" | "true_false";
  prompt: string;
  options?: string[];
  correct: number[];
}

/** The question as stored: true/false questions get the options 对/True and 错/False (0 true, 1 false). */
export function normalizeQuestion(input: QuestionInput): { options: string[]; correct: number[] } {
  const options = input.kind === "true_false" ? ["对 / True", "错 / False"] : (input.options ?? []);
  const correct = [...new Set(input.correct)].sort((a, b) => a - b);
  const errors: { path: string; message: string }[] = [];
  if (input.kind !== "true_false" && options.length < 2) errors.push({ path: "body.options", message: "at least 2 options" });
  if (correct.some((i) => i >= options.length)) errors.push({ path: "body.correct", message: "an index past the options" });
  if (input.kind !== "multiple" && correct.length !== 1) errors.push({ path: "body.correct", message: "exactly one right option" });
  if (input.kind === "multiple" && correct.length < 1) errors.push({ path: "body.correct", message: "at least one right option" });
  if (errors.length) throw invalid(errors);
  return { options, correct };
}

export async function addQuestion(env: Env, auth: Auth, bankId: string, input: QuestionInput) {
  const row = await staffBank(env, auth, bankId);
  const { options, correct } = normalizeQuestion(input);
  const now = Date.now();
  const q: repo.QuestionRow = {
    id: newId("qst", now),
    bankId: row.id,
    kind: input.kind,
    prompt: input.prompt,
    options,
    correct,
    createdAt: now,
  };
  await repo.insertQuestion(getDb(env), q);
  await audit(env, auth, "bank.question.add", "training_bank", row.id, { questionId: q.id, kind: q.kind });
  return questionView(q);
}

export async function removeQuestion(env: Env, auth: Auth, bankId: string, questionId: string): Promise<void> {
  const row = await staffBank(env, auth, bankId);
  if (!(await repo.deleteQuestion(getDb(env), row.id, questionId))) throw notFound(QUESTION);
  await audit(env, auth, "bank.question.remove", "training_bank", row.id, { questionId });
}

// Exams

export interface ExamSettings {
  title: string;
  bankId: string;
  skill?: string | null;
  drawCount: number;
  passPercent: number;
  timeLimitSeconds: number;
  maxAttempts: number;
  validDays: number;
  published?: boolean;
}

function examView(e: repo.ExamRow) {
  return {
    id: e.id,
    merchantId: e.merchantId,
    bankId: e.bankId,
    skill: e.skill,
    title: e.title,
    drawCount: e.drawCount,
    passPercent: e.passPercent,
    timeLimitSeconds: e.timeLimitSeconds,
    maxAttempts: e.maxAttempts,
    validDays: e.validDays,
    published: e.published,
    createdAt: iso(e.createdAt)!,
  };
}

export async function createExam(env: Env, auth: Auth, input: ExamSettings & { merchantId?: string | null }) {
  const bankRow = await staffBank(env, auth, input.bankId);
  await assertSkill(env, input.skill);
  // An exam draws from a bank of its own owner (a merchant's bank for its exams, a platform bank for the platform's).
  const merchantId = ownerFor(auth, input.merchantId ?? bankRow.merchantId);
  if (bankRow.merchantId !== merchantId) throw notFound(BANK);
  const now = Date.now();
  const row: repo.ExamRow = {
    id: newId("exm", now),
    merchantId,
    bankId: bankRow.id,
    skill: input.skill ?? null,
    title: input.title,
    drawCount: input.drawCount,
    passPercent: input.passPercent,
    timeLimitSeconds: input.timeLimitSeconds,
    maxAttempts: input.maxAttempts,
    validDays: input.validDays,
    published: input.published ?? false,
    createdAt: now,
    updatedAt: now,
  };
  await repo.insertExam(getDb(env), row);
  await audit(env, auth, "exam.create", "training_exam", row.id, settingsOf(row));
  return examView(row);
}

async function staffExam(env: Env, auth: Auth, examId: string): Promise<repo.ExamRow> {
  const row = await repo.findExam(getDb(env), examId);
  if (!row || !inScope(staffScope(auth), row.merchantId)) throw notFound(EXAM);
  return row;
}

export async function exams(env: Env, auth: Auth, q: ListQuery) {
  const page = toPage(await repo.listExams(getDb(env), staffScope(auth), ask(q)), q.limit);
  return { items: page.items.map(examView), nextCursor: page.nextCursor };
}

export async function changeExam(env: Env, auth: Auth, examId: string, patch: Partial<Omit<ExamSettings, "bankId">>) {
  const row = await staffExam(env, auth, examId);
  await assertSkill(env, patch.skill);
  await repo.updateExam(getDb(env), row.id, { ...patch, updatedAt: Date.now() });
  await audit(env, auth, publishAction("exam", row.published, patch.published), "training_exam", row.id, changed(row, patch));
  return examView({ ...row, ...patch });
}

// Technicians: exams, attempts, certifications

function attemptStatus(a: repo.AttemptRow, now: number, grace: number) {
  return a.status === "open" && now > a.deadlineAt + grace ? "expired" : a.status;
}

export async function myExams(env: Env, auth: Auth, q: ListQuery) {
  const tech = await technicianOf(env, auth);
  const db = getDb(env);
  const page = toPage(await repo.examsForTechnician(db, tech.merchantId, ask(q)), q.limit);
  const rows = page.items;
  const attempts = await repo.attemptsOf(
    db,
    tech.id,
    rows.map((e) => e.id),
  );
  const now = Date.now();
  return {
    items: rows.map((e) => {
      const mine = attempts.filter((a) => a.examId === e.id);
      return {
        ...examView(e),
        attemptsUsed: mine.length,
        attemptsLeft: Math.max(0, e.maxAttempts - mine.length),
        attempts: mine.map((a) => ({
          id: a.id,
          status: attemptStatus(a, now, graceMs(env)),
          score: a.score,
          startedAt: iso(a.startedAt)!,
          submittedAt: iso(a.submittedAt),
        })),
      };
    }),
    nextCursor: page.nextCursor,
  };
}

/**
 * Starts an attempt: draws `drawCount` questions of the bank at random and answers them without
 * their right options. 409 EXAM_ATTEMPTS_EXHAUSTED when the attempts are used up or one is open
 * (two starts at once: one wins), 409 EXAM_BANK_TOO_SMALL when the bank has fewer questions.
 */
export async function startAttempt(env: Env, auth: Auth, examId: string) {
  const tech = await technicianOf(env, auth);
  const db = getDb(env);
  const exam = await repo.findExam(db, examId);
  if (!exam || !visibleTo(tech.merchantId, exam)) throw notFound(EXAM);
  const pool = await repo.questionsOf(db, exam.bankId);
  if (pool.length < exam.drawCount) throw AppError.of("EXAM_BANK_TOO_SMALL", { count: pool.length, draw: exam.drawCount });
  const drawn = drawQuestions(pool, exam.drawCount, randomUnit);
  const now = Date.now();
  const row: repo.AttemptRow = {
    id: newId("att", now),
    examId: exam.id,
    technicianId: tech.id,
    questionIds: drawn.map((q) => q.id),
    status: "open",
    startedAt: now,
    deadlineAt: now + exam.timeLimitSeconds * 1000,
    submittedAt: null,
    score: null,
    createdAt: now,
  };
  if (!(await repo.insertAttemptGuarded(db, row, exam.maxAttempts)))
    throw AppError.of("EXAM_ATTEMPTS_EXHAUSTED", { max: exam.maxAttempts });
  return {
    id: row.id,
    examId: exam.id,
    startedAt: iso(now)!,
    deadlineAt: iso(row.deadlineAt)!,
    questions: drawn.map((q) => ({ id: q.id, kind: q.kind, prompt: q.prompt, options: q.options })),
  };
}

function randomUnit(): number {
  const [v] = crypto.getRandomValues(new Uint32Array(1));
  return v! / 2 ** 32;
}

/**
 * Grades a submission on the server. Only the attempt's first submission counts (two at once:
 * exactly one grades, the other gets 409 EXAM_ALREADY_SUBMITTED). Past the deadline plus
 * EXAM_SUBMIT_GRACE_SECONDS: recorded as expired and refused (409 EXAM_TIME_UP). A pass issues a
 * certification valid for the exam's `validDays` and moves the technician's roster version, so
 * dispatch offers a skill that requires it from then on.
 */
export async function submitAttempt(env: Env, auth: Auth, attemptId: string, answers: Record<string, number[]>) {
  const tech = await technicianOf(env, auth);
  const db = getDb(env);
  const attempt = await repo.findAttempt(db, attemptId);
  if (!attempt || attempt.technicianId !== tech.id) throw notFound(ATTEMPT);
  if (attempt.status !== "open") throw AppError.of("EXAM_ALREADY_SUBMITTED");
  const exam = await repo.findExam(db, attempt.examId);
  if (!exam) throw notFound(EXAM);
  const now = Date.now();
  if (now > attempt.deadlineAt + graceMs(env)) {
    const closed = await repo.closeAttempt(db, attempt.id, { status: "expired", score: 0, submittedAt: now }, null);
    throw AppError.of(closed ? "EXAM_TIME_UP" : "EXAM_ALREADY_SUBMITTED");
  }
  const questions = await repo.questionsById(db, attempt.questionIds);
  const byId = new Map(questions.map((q) => [q.id, q]));
  // A question deleted from the bank since the draw still counts, as wrong (it cannot be graded).
  const graded = attempt.questionIds.map((id) => ({ id, correct: byId.get(id)?.correct ?? [-1] }));
  const grade = gradeAttempt(graded, answers, exam.passPercent);
  const certification: repo.CertificationRow | null = grade.passed
    ? {
        id: newId("crt", now),
        technicianId: tech.id,
        examId: exam.id,
        attemptId: attempt.id,
        skill: exam.skill,
        issuedAt: now,
        expiresAt: now + exam.validDays * DAY_MS,
        lapsedAt: null,
      }
    : null;
  const won = await repo.closeAttempt(
    db,
    attempt.id,
    { status: grade.passed ? "passed" : "failed", score: grade.score, submittedAt: now },
    certification,
  );
  if (!won) throw AppError.of("EXAM_ALREADY_SUBMITTED");
  // A certification changes what dispatch may offer: this isolate asks the cells with the new roster version at once.
  if (certification) forgetCellVersions();
  return {
    attemptId: attempt.id,
    status: grade.passed ? ("passed" as const) : ("failed" as const),
    score: grade.score,
    total: grade.total,
    passPercent: exam.passPercent,
    results: grade.results,
    certification: certification ? certificationView(certification) : null,
  };
}

function certificationView(c: repo.CertificationRow, now = Date.now()) {
  return {
    id: c.id,
    technicianId: c.technicianId,
    examId: c.examId,
    skill: c.skill,
    issuedAt: iso(c.issuedAt)!,
    expiresAt: iso(c.expiresAt)!,
    valid: c.expiresAt > now,
  };
}

export async function myCertifications(env: Env, auth: Auth, q: ListQuery) {
  const tech = await technicianOf(env, auth);
  const page = toPage(await repo.certificationsOf(getDb(env), tech.id, ask(q)), q.limit);
  return { items: page.items.map((c) => certificationView(c)), nextCursor: page.nextCursor };
}

/** Staff: enrolled technicians' progress and the certifications issued (a merchant_admin: its technicians only). */
export async function trainingOverview(env: Env, auth: Auth) {
  const db = getDb(env);
  const scope = staffScope(auth);
  const [progress, certs] = await Promise.all([repo.progressRows(db, scope), repo.certificationRows(db, scope)]);
  return {
    progress: progress.map((p) => ({
      technicianId: p.technicianId,
      technicianName: p.technicianName,
      courseId: p.courseId,
      courseTitle: p.courseTitle,
      enrolledAt: iso(p.enrolledAt)!,
      progress: progressOf(Number(p.lessons), Number(p.completed)),
    })),
    certifications: certs.map((r) => ({ ...certificationView(r.c), technicianName: r.technicianName, examTitle: r.examTitle })),
  };
}

// Skill requirements

export async function skillRequirementList(env: Env) {
  return { items: (await repo.skillRequirements(getDb(env))).map((skill) => ({ skill })) };
}

/** Operators: whether dispatch offers `skill` only to certified technicians; the skill's technicians are reloaded in their cells. */
export async function setSkillRequirement(env: Env, auth: Auth, skill: string, required: boolean) {
  await assertSkill(env, skill);
  const db = getDb(env);
  const now = Date.now();
  await repo.setSkillRequirement(db, skill, required, auth.accountId, now);
  await repo.touchTechniciansWithSkill(db, skill, now);
  await audit(env, auth, required ? "skill_requirement.set" : "skill_requirement.clear", "skill", skill, { required });
  forgetCellVersions();
  return { skill, required };
}

/** The cron's step: certifications that expired are marked lapsed and their technicians reloaded in the cells. */
export async function lapseCertifications(env: Env, now = Date.now()): Promise<number> {
  const lapsed = await repo.lapseExpiredCertifications(getDb(env), now);
  if (lapsed > 0) forgetCellVersions();
  return lapsed;
}
