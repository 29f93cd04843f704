/** Training helpers: courses, banks and exams made through the API, a small MP4 and an exam taken. */
import { expect } from "vitest";
import { call, type Called, type Session } from "./http";

/** An MP4 file's first box (`ftyp`) followed by `size - 12` bytes counting up (so ranges can be checked byte by byte). */
export function mp4OfSize(size: number): Uint8Array {
  const b = new Uint8Array(size);
  b.set([0x00, 0x00, 0x00, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
  for (let i = 12; i < size; i++) b[i] = i % 251;
  return b;
}

function created(res: Called, status = 201) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  return res.body;
}

export async function createCourse(staff: Session, body: Record<string, unknown> = {}) {
  return created(
    await call("POST", "/v1/training/courses", {
      token: staff.token,
      body: { title: "安全上门", description: "入门", published: true, ...body },
    }),
  );
}

export async function addLesson(staff: Session, courseId: string, title = "第一课") {
  return created(await call("POST", `/v1/training/courses/${courseId}/lessons`, { token: staff.token, body: { title, body: "内容" } }));
}

/** A bank of `n` single-choice questions whose right option is always index 1, and its id. */
export async function bankOf(staff: Session, n: number, body: Record<string, unknown> = {}): Promise<string> {
  const bank = created(await call("POST", "/v1/training/banks", { token: staff.token, body: { title: "题库", ...body } }));
  for (let i = 0; i < n; i++) {
    created(
      await call("POST", `/v1/training/banks/${bank.id}/questions`, {
        token: staff.token,
        body: { kind: "single", prompt: `题目 ${i}`, options: ["错", "对", "不知道"], correct: [1] },
      }),
    );
  }
  return bank.id as string;
}

export async function createExam(staff: Session, bankId: string, settings: Record<string, unknown> = {}) {
  return created(
    await call("POST", "/v1/training/exams", {
      token: staff.token,
      body: {
        title: "上岗考试",
        bankId,
        drawCount: 3,
        passPercent: 60,
        timeLimitSeconds: 600,
        maxAttempts: 2,
        validDays: 30,
        published: true,
        ...settings,
      },
    }),
  );
}

export function startAttempt(tech: Session, examId: string) {
  return call("POST", `/v1/technician/training/exams/${examId}/attempts`, { token: tech.token });
}

export function submit(tech: Session, attemptId: string, answers: Record<string, number[]>) {
  return call("POST", `/v1/technician/training/attempts/${attemptId}/submission`, { token: tech.token, body: { answers } });
}

/** Answers every drawn question with option `choice` (1 is right in banks from `bankOf`). */
export function answerAll(attempt: { questions: { id: string }[] }, choice: number): Record<string, number[]> {
  return Object.fromEntries(attempt.questions.map((q) => [q.id, [choice]]));
}
