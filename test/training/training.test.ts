import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { lapseCertifications } from "../../src/training";
import { freshCenter, insertMerchant } from "../support/fixtures";
import { call, callBytes, expectProblem, signIn, signInWithRoles, type Called, type Session } from "../support/http";
import { storedKeys } from "../support/visit";
import { addTechnician, createWorld, localDay, merchantWorld } from "../support/world";
import { addLesson, answerAll, bankOf, createCourse, createExam, mp4OfSize, startAttempt, submit } from "../support/training";

const operator = () => signInWithRoles(["operator"]);

async function rawGet(token: string, path: string, headers: Record<string, string> = {}) {
  const { exports } = await import("cloudflare:workers");
  const res = await exports.default.fetch(
    new Request(`http://doorstep.test${path}`, { headers: { Authorization: `Bearer ${token}`, ...headers } }),
  );
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("courses, lessons and media", () => {
  it("stores a lesson video in R2 and serves it whole and by range to enrolled technicians only", async () => {
    const m = await merchantWorld();
    const op = await operator();
    const course = await createCourse(op, { skill: m.w.skill });
    const lesson = await addLesson(op, course.id);
    const video = mp4OfSize(4096);
    const mediaPath = `/v1/training/courses/${course.id}/lessons/${lesson.id}/media`;

    // type and content checks: not a video → 400, unsupported type → 415
    expectProblem(
      await callBytes("PUT", mediaPath, { token: op.token, type: "video/mp4", bytes: new Uint8Array(64) }),
      400,
      "TRAINING_MEDIA_INVALID",
    );
    expectProblem(await callBytes("PUT", mediaPath, { token: op.token, type: "application/zip", bytes: video }), 415);
    expect(await storedKeys(`training/${course.id}/`)).toEqual([]);

    const up = await callBytes("PUT", mediaPath, { token: op.token, type: "video/mp4", bytes: video });
    expect(up.status).toBe(200);
    expect(up.body.media).toMatchObject({ contentType: "video/mp4", size: 4096, url: mediaPath });
    expect(await storedKeys(`training/${course.id}/${lesson.id}/`)).toHaveLength(1);

    // not enrolled: 404 and no content in the outline
    expect((await rawGet(m.techSession.token, mediaPath)).status).toBe(404);
    const outline = await call("GET", `/v1/technician/training/courses/${course.id}`, { token: m.techSession.token });
    expect(outline.body.lessons[0]).toMatchObject({ body: "", media: null });

    expect((await call("PUT", `/v1/technician/training/courses/${course.id}/enrollment`, { token: m.techSession.token })).status).toBe(200);
    const whole = await rawGet(m.techSession.token, mediaPath);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("Accept-Ranges")).toBe("bytes");
    expect(whole.bytes).toEqual(video);

    const part = await rawGet(m.techSession.token, mediaPath, { Range: "bytes=100-199" });
    expect(part.status).toBe(206);
    expect(part.headers.get("Content-Range")).toBe("bytes 100-199/4096");
    expect(part.bytes).toEqual(video.slice(100, 200));
    const tail = await rawGet(m.techSession.token, mediaPath, { Range: "bytes=-96" });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("Content-Range")).toBe("bytes 4000-4095/4096");
    expect(tail.bytes).toEqual(video.slice(4000));
    const open = await rawGet(m.techSession.token, mediaPath, { Range: "bytes=4090-" });
    expect(open.bytes).toEqual(video.slice(4090));
    // a range past the end, or a header that is not one byte range: 416 problem+json with the size
    for (const bad of [
      "bytes=5000-6000",
      "bytes=4096-",
      "bytes=-0",
      "bytes=200-100",
      "bytes=0-1,5-6",
      "items=0-5",
      "bytes=abc",
      "bytes=-",
    ]) {
      const refused = await rawGet(m.techSession.token, mediaPath, { Range: bad });
      expect(refused.status, bad).toBe(416);
      expect(refused.headers.get("Content-Range"), bad).toBe("bytes */4096");
      expect(refused.headers.get("Content-Type"), bad).toContain("application/problem+json");
      expect(JSON.parse(new TextDecoder().decode(refused.bytes)), bad).toMatchObject({
        status: 416,
        code: "RANGE_NOT_SATISFIABLE",
        size: 4096,
      });
    }
    // the last byte alone is still a range; an end past the file is cut to it
    const last = await rawGet(m.techSession.token, mediaPath, { Range: "bytes=4095-9999" });
    expect(last.status).toBe(206);
    expect(last.headers.get("Content-Range")).toBe("bytes 4095-4095/4096");
    // someone who may not see the file learns nothing from a bad range
    expect((await rawGet((await signIn()).token, mediaPath, { Range: "bytes=9999-" })).status).toBe(404);

    // a replacement deletes the old bytes
    await callBytes("PUT", mediaPath, { token: op.token, type: "video/mp4", bytes: mp4OfSize(100) });
    expect(await storedKeys(`training/${course.id}/${lesson.id}/`)).toHaveLength(1);
    // a customer reaches nothing
    const customer = await signIn();
    expect((await rawGet(customer.token, mediaPath)).status).toBe(404);
  });

  it("tracks a technician's lessons completed and the percentage, for them and for staff", async () => {
    const m = await merchantWorld();
    const course = await createCourse(m.merchantAdmin);
    const lessons = [
      await addLesson(m.merchantAdmin, course.id, "一"),
      await addLesson(m.merchantAdmin, course.id, "二"),
      await addLesson(m.merchantAdmin, course.id, "三"),
    ];
    expect(lessons.map((l) => l.position)).toEqual([1, 2, 3]);
    const t = m.techSession.token;
    const done = (l: { id: string }) =>
      call("PUT", `/v1/technician/training/courses/${course.id}/lessons/${l.id}/completion`, { token: t });
    expectProblem(await done(lessons[0]!), 409, "TRAINING_NOT_ENROLLED");
    await call("PUT", `/v1/technician/training/courses/${course.id}/enrollment`, { token: t });
    await done(lessons[0]!);
    await done(lessons[0]!); // idempotent
    const after = await done(lessons[2]!);
    expect(after.body.progress).toEqual({ lessons: 3, completed: 2, percent: 66 });
    expect(after.body.lessons.map((l: { completed: boolean }) => l.completed)).toEqual([true, false, true]);
    const mine = await call("GET", "/v1/technician/training/courses", { token: t });
    expect(mine.body.items.find((c: { id: string }) => c.id === course.id).progress.percent).toBe(66);
    const overview = await call("GET", "/v1/training/overview", { token: m.merchantAdmin.token });
    expect(overview.body.progress).toEqual([
      expect.objectContaining({ technicianId: m.tech.id, courseId: course.id, progress: { lessons: 3, completed: 2, percent: 66 } }),
    ]);
  });

  it("keeps a merchant's courses, banks and exams from other merchants and their technicians", async () => {
    const a = await merchantWorld();
    const bMerchant = await insertMerchant("B");
    const bAdmin = await signInWithRoles(["merchant_admin"], bMerchant);
    const bTech = await addTechnician(a.w, a.w.center, { merchantId: bMerchant });
    const bTechSession = await bTech.session();
    const course = await createCourse(a.merchantAdmin);
    const lesson = await addLesson(a.merchantAdmin, course.id);
    const bankId = await bankOf(a.merchantAdmin, 3);
    const exam = await createExam(a.merchantAdmin, bankId);
    expect(course.merchantId).toBe(a.merchantId);
    // an operator's course for everyone is visible to both merchants' technicians
    const platformCourse = await createCourse(await operator());

    for (const [method, path, body] of [
      ["GET", `/v1/training/courses/${course.id}`],
      ["PATCH", `/v1/training/courses/${course.id}`, { title: "改" }],
      ["POST", `/v1/training/courses/${course.id}/lessons`, { title: "x", body: "" }],
      ["PATCH", `/v1/training/courses/${course.id}/lessons/${lesson.id}`, { title: "x" }],
      ["GET", `/v1/training/banks/${bankId}`],
      ["POST", `/v1/training/banks/${bankId}/questions`, { kind: "true_false", prompt: "?", correct: [0] }],
      ["PATCH", `/v1/training/exams/${exam.id}`, { passPercent: 0 }],
    ] as const) {
      expectProblem(await call(method, path, { token: bAdmin.token, body }), 404);
    }
    const list = await call("GET", "/v1/training/courses", { token: bAdmin.token });
    expect(list.body.items.map((c: { id: string }) => c.id)).not.toContain(course.id);
    expect((await call("GET", "/v1/training/exams", { token: bAdmin.token })).body.items).toEqual([]);
    // a merchant_admin cannot place a course with another merchant
    const forced = await createCourse(bAdmin, { merchantId: a.merchantId });
    expect(forced.merchantId).toBe(bMerchant);
    // B's technician sees the platform course but not A's, and cannot start A's exam
    const bCourses = (await call("GET", "/v1/technician/training/courses", { token: bTechSession.token })).body.items.map(
      (c: { id: string }) => c.id,
    );
    expect(bCourses).toContain(platformCourse.id);
    expect(bCourses).not.toContain(course.id);
    expectProblem(await call("PUT", `/v1/technician/training/courses/${course.id}/enrollment`, { token: bTechSession.token }), 404);
    expectProblem(await startAttempt(bTechSession, exam.id), 404);
    expect((await call("GET", `/v1/technician/training/courses/${course.id}`, { token: a.techSession.token })).status).toBe(200);
  });
});

describe("lists and the audit of staff writes", () => {
  /** Every page of a list asked `limit` at a time: the ids in order and how many pages it took. */
  async function walk(token: string, path: string, limit: number) {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Called = await call("GET", `${path}?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(limit);
      ids.push(...res.body.items.map((i: { id: string }) => i.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it("pages courses, banks, exams and a technician's lists by cursor, newest first", async () => {
    const m = await merchantWorld();
    const admin = m.merchantAdmin;
    const courses: { id: string }[] = [];
    for (const title of ["一", "二", "三"]) courses.push(await createCourse(admin, { title }));
    const bankIds = [await bankOf(admin, 3), await bankOf(admin, 3), await bankOf(admin, 3)];
    const exams: { id: string }[] = [];
    for (const bankId of bankIds) exams.push(await createExam(admin, bankId));
    const newestFirst = (xs: { id: string }[]) => xs.map((x) => x.id).reverse();

    const first = await call("GET", "/v1/training/courses?limit=2", { token: admin.token });
    expect(first.body.items.map((c: { title: string }) => c.title)).toEqual(["三", "二"]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await call("GET", `/v1/training/courses?limit=2&cursor=${first.body.nextCursor}`, { token: admin.token });
    expect(second.body).toEqual({ items: [expect.objectContaining({ title: "一", lessonCount: 0 })], nextCursor: null });
    expect(await walk(admin.token, "/v1/training/courses", 1)).toEqual({ ids: newestFirst(courses), pages: 3 });
    expect((await walk(admin.token, "/v1/training/banks", 2)).ids).toEqual([...bankIds].reverse());
    expect(await walk(admin.token, "/v1/training/exams", 3)).toEqual({ ids: newestFirst(exams), pages: 1 });
    // the default page is 20; a bad cursor or limit is a clear 400
    expect((await call("GET", "/v1/training/exams", { token: admin.token })).body.nextCursor).toBeNull();
    expectProblem(await call("GET", "/v1/training/courses?cursor=%%%", { token: admin.token }), 400, "INVALID_CURSOR");
    expectProblem(await call("GET", "/v1/training/banks?limit=0", { token: admin.token }), 400, "VALIDATION_FAILED");
    expectProblem(await call("GET", "/v1/training/exams?limit=101", { token: admin.token }), 400, "VALIDATION_FAILED");

    // the technician's lists (platform courses of other tests included): each item once, the merchant's in order
    const tech = m.techSession.token;
    const myCourses = await walk(tech, "/v1/technician/training/courses", 2);
    expect(new Set(myCourses.ids).size).toBe(myCourses.ids.length);
    expect(myCourses.ids.filter((id) => courses.some((c) => c.id === id))).toEqual(newestFirst(courses));
    const attempt = await startAttempt(m.techSession, exams[0]!.id);
    await submit(m.techSession, attempt.body.id, answerAll(attempt.body, 1));
    const myExams = await walk(tech, "/v1/technician/training/exams", 1);
    expect(myExams.ids.filter((id) => exams.some((e) => e.id === id))).toEqual(newestFirst(exams));
    const oldest = await call("GET", `/v1/technician/training/exams?limit=100`, { token: tech });
    expect(oldest.body.items.find((e: { id: string }) => e.id === exams[0]!.id)).toMatchObject({ attemptsUsed: 1 });
    const certs = await walk(tech, "/v1/technician/training/certifications", 1);
    expect(certs.ids).toHaveLength(1);
  });

  it("audits course, bank, exam and requirement writes with what changed", async () => {
    const m = await merchantWorld({ technician: false });
    const admin = m.merchantAdmin;
    const course = await createCourse(admin, { title: "旧名", published: false });
    await call("PATCH", `/v1/training/courses/${course.id}`, { token: admin.token, body: { title: "新名" } });
    await call("PATCH", `/v1/training/courses/${course.id}`, { token: admin.token, body: { published: true } });
    const lesson = await addLesson(admin, course.id);
    await call("PATCH", `/v1/training/courses/${course.id}/lessons/${lesson.id}`, { token: admin.token, body: { body: "改" } });
    const bankId = await bankOf(admin, 1);
    const bank = await call("GET", `/v1/training/banks/${bankId}`, { token: admin.token });
    await call("DELETE", `/v1/training/banks/${bankId}/questions/${bank.body.questions[0].id}`, { token: admin.token });
    const exam = await createExam(admin, await bankOf(admin, 3), { published: false });
    await call("PATCH", `/v1/training/exams/${exam.id}`, { token: admin.token, body: { passPercent: 80 } });
    await call("PATCH", `/v1/training/exams/${exam.id}`, { token: admin.token, body: { published: true } });
    // a refused write records nothing
    expectProblem(await call("PATCH", `/v1/training/exams/${exam.id}`, { token: admin.token, body: { passPercent: 101 } }), 400);
    const op = await operator();
    expect(
      (await call("PUT", `/v1/admin/training/skill-requirements/${m.w.skill}`, { token: op.token, body: { required: true } })).status,
    ).toBe(200);
    await call("PUT", `/v1/admin/training/skill-requirements/${m.w.skill}`, { token: op.token, body: { required: false } });

    const entries = async (targetId: string) =>
      (
        await env.DB.prepare("SELECT actor_id, action, target_type, data FROM audit_log WHERE target_id = ? ORDER BY seq")
          .bind(targetId)
          .all<{ actor_id: string; action: string; target_type: string; data: string }>()
      ).results.map((r) => ({ ...r, data: JSON.parse(r.data) }));
    const ofCourse = await entries(course.id);
    expect(ofCourse.map((e) => e.action)).toEqual([
      "training.course.create",
      "training.course.update",
      "training.course.publish",
      "training.course.lesson.add",
      "training.course.lesson.update",
    ]);
    expect(ofCourse.every((e) => e.actor_id === admin.accountId && e.target_type === "training_course")).toBe(true);
    expect(ofCourse[1]!.data).toEqual({ changes: { title: { from: "旧名", to: "新名" } } });
    expect(ofCourse[2]!.data).toEqual({ changes: { published: { from: false, to: true } } });
    expect(ofCourse[4]!.data).toEqual({ lessonId: lesson.id, fields: ["body"] });
    expect((await entries(bankId)).map((e) => e.action)).toEqual([
      "training.bank.create",
      "training.bank.question.add",
      "training.bank.question.remove",
    ]);
    const ofExam = await entries(exam.id);
    expect(ofExam.map((e) => e.action)).toEqual(["training.exam.create", "training.exam.update", "training.exam.publish"]);
    expect(ofExam[0]!.data).toMatchObject({ merchantId: m.merchantId, passPercent: 60, published: false });
    expect(ofExam[1]!.data).toEqual({ changes: { passPercent: { from: 60, to: 80 } } });
    const ofSkill = (await entries(m.w.skill)).filter((e) => e.action.startsWith("training."));
    expect(ofSkill.map((e) => [e.action, e.actor_id])).toEqual([
      ["training.skill_requirement.set", op.accountId],
      ["training.skill_requirement.clear", op.accountId],
    ]);
  });
});

describe("exams", () => {
  async function setUp(settings: Record<string, unknown> = {}) {
    const m = await merchantWorld();
    const bankId = await bankOf(m.merchantAdmin, 5);
    const exam = await createExam(m.merchantAdmin, bankId, { skill: m.w.skill, ...settings });
    return { m, exam, tech: m.techSession };
  }

  it("draws questions without their answers and grades the submission on the server; a pass issues a certification with expiry", async () => {
    const { exam, tech, m } = await setUp({ validDays: 10 });
    const started = await startAttempt(tech, exam.id);
    expect(started.status).toBe(201);
    expect(started.body.questions).toHaveLength(3);
    expect(new Set(started.body.questions.map((q: { id: string }) => q.id)).size).toBe(3);
    expect(JSON.stringify(started.body)).not.toContain("correct");
    const deadline = Date.parse(started.body.deadlineAt) - Date.parse(started.body.startedAt);
    expect(deadline).toBe(600_000);

    // 2 of 3 right: 66% ≥ 60%
    const answers = answerAll(started.body, 1);
    answers[started.body.questions[0].id] = [0];
    const before = Date.now();
    const graded = await submit(tech, started.body.id, answers);
    expect(graded.status).toBe(200);
    expect(graded.body).toMatchObject({ status: "passed", score: 2, total: 3, passPercent: 60 });
    const cert = graded.body.certification;
    expect(cert).toMatchObject({ examId: exam.id, technicianId: m.tech.id, skill: m.w.skill, valid: true });
    const validFor = Date.parse(cert.expiresAt) - Date.parse(cert.issuedAt);
    expect(validFor).toBe(10 * 86_400_000);
    expect(Date.parse(cert.issuedAt)).toBeGreaterThanOrEqual(before - 1000);
    const mine = await call("GET", "/v1/technician/training/certifications", { token: tech.token });
    expect(mine.body.items.map((c: { id: string }) => c.id)).toEqual([cert.id]);
    const overview = await call("GET", "/v1/training/overview", { token: m.merchantAdmin.token });
    expect(overview.body.certifications.map((c: { id: string }) => c.id)).toEqual([cert.id]);
    expectProblem(await submit(tech, started.body.id, answers), 409, "EXAM_ALREADY_SUBMITTED");
  });

  it("fails below the pass mark without a certification, and refuses a start past the attempts limit", async () => {
    const { exam, tech } = await setUp({ maxAttempts: 2 });
    for (let i = 0; i < 2; i++) {
      const a = await startAttempt(tech, exam.id);
      expect(a.status).toBe(201);
      // one open attempt at a time
      if (i === 0) expectProblem(await startAttempt(tech, exam.id), 409, "EXAM_ATTEMPTS_EXHAUSTED");
      const graded = await submit(tech, a.body.id, answerAll(a.body, 0));
      expect(graded.body).toMatchObject({ status: "failed", score: 0, certification: null });
    }
    expectProblem(await startAttempt(tech, exam.id), 409, "EXAM_ATTEMPTS_EXHAUSTED");
    const list = await call("GET", "/v1/technician/training/exams", { token: tech.token });
    expect(list.body.items.find((e: { id: string }) => e.id === exam.id)).toMatchObject({ attemptsUsed: 2, attemptsLeft: 0 });
    expect((await call("GET", "/v1/technician/training/certifications", { token: tech.token })).body.items).toEqual([]);
  });

  it("lets only one of many concurrent starts through the attempts limit", async () => {
    const { exam, tech } = await setUp({ maxAttempts: 1 });
    const starts = await Promise.all(Array.from({ length: 5 }, () => startAttempt(tech, exam.id)));
    expect(starts.filter((s) => s.status === 201)).toHaveLength(1);
    expect(starts.filter((s) => s.status === 409)).toHaveLength(4);
  });

  it("refuses a submission after the time limit and counts the attempt as expired", async () => {
    const { exam, tech } = await setUp({ timeLimitSeconds: 60 });
    const a = await startAttempt(tech, exam.id);
    // 31 s past the deadline: beyond the 30 s grace
    await env.DB.prepare("UPDATE training_attempts SET deadline_at = ? WHERE id = ?")
      .bind(Date.now() - 31_000, a.body.id)
      .run();
    expectProblem(await submit(tech, a.body.id, answerAll(a.body, 1)), 409, "EXAM_TIME_UP");
    expectProblem(await submit(tech, a.body.id, answerAll(a.body, 1)), 409, "EXAM_ALREADY_SUBMITTED");
    const list = await call("GET", "/v1/technician/training/exams", { token: tech.token });
    expect(list.body.items.find((e: { id: string }) => e.id === exam.id).attempts).toEqual([
      expect.objectContaining({ id: a.body.id, status: "expired" }),
    ]);
    expect((await call("GET", "/v1/technician/training/certifications", { token: tech.token })).body.items).toEqual([]);

    // within the grace: still graded
    const b = await startAttempt(tech, exam.id);
    await env.DB.prepare("UPDATE training_attempts SET deadline_at = ? WHERE id = ?")
      .bind(Date.now() - 5_000, b.body.id)
      .run();
    expect((await submit(tech, b.body.id, answerAll(b.body, 1))).body.status).toBe("passed");
  });

  it("grades an attempt submitted twice at once exactly once, with one certification", async () => {
    const { exam, tech, m } = await setUp();
    const a = await startAttempt(tech, exam.id);
    const answers = answerAll(a.body, 1);
    const both = await Promise.all(Array.from({ length: 4 }, () => submit(tech, a.body.id, answers)));
    expect(both.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of both.filter((x) => x.status !== 200)) expectProblem(r, 409, "EXAM_ALREADY_SUBMITTED");
    const certs = await env.DB.prepare("SELECT count(*) AS n FROM training_certifications WHERE technician_id = ?")
      .bind(m.tech.id)
      .first<{ n: number }>();
    expect(certs?.n).toBe(1);
  });

  it("refuses a draw larger than the bank and bad questions with clear 4xx", async () => {
    const m = await merchantWorld();
    const bankId = await bankOf(m.merchantAdmin, 2);
    const exam = await createExam(m.merchantAdmin, bankId, { drawCount: 3 });
    expectProblem(await startAttempt(m.techSession, exam.id), 409, "EXAM_BANK_TOO_SMALL");
    const q = (body: unknown) => call("POST", `/v1/training/banks/${bankId}/questions`, { token: m.merchantAdmin.token, body });
    expectProblem(await q({ kind: "single", prompt: "?", options: ["a", "b"], correct: [0, 1] }), 400, "VALIDATION_FAILED");
    expectProblem(await q({ kind: "multiple", prompt: "?", options: ["a", "b"], correct: [2] }), 400, "VALIDATION_FAILED");
    expectProblem(await q({ kind: "single", prompt: "?", options: ["a"], correct: [0] }), 400, "VALIDATION_FAILED");
    const tf = await q({ kind: "true_false", prompt: "天是蓝的", correct: [0] });
    expect(tf.body.options).toHaveLength(2);
  });
});

describe("certification required by a skill", () => {
  const avail = (w: { serviceId: string; center: { lat: number; lng: number } }, date: string) =>
    call("GET", `/v1/availability?serviceId=${w.serviceId}&lat=${w.center.lat}&lng=${w.center.lng}&date=${date}`);
  const offered = async (w: Parameters<typeof avail>[0], date: string) => {
    const res = await avail(w, date);
    expect(res.status).toBe(200);
    return Math.max(0, ...res.body.slots.map((s: { available: number }) => s.available));
  };

  it("is not offered by dispatch until the technician passes, and again not after the certification expires", async () => {
    const w = await createWorld(freshCenter());
    const tech = await addTechnician(w, w.center);
    const session: Session = await tech.session();
    const date = localDay(w.timeZone, 3);
    expect(await offered(w, date)).toBe(1);

    const op = await operator();
    const req = await call("PUT", `/v1/admin/training/skill-requirements/${w.skill}`, { token: op.token, body: { required: true } });
    expect(req.status).toBe(200);
    expect(await offered(w, date)).toBe(0);

    const bankId = await bankOf(op, 3);
    const exam = await createExam(op, bankId, { skill: w.skill, validDays: 30 });
    const failed = await startAttempt(session, exam.id);
    await submit(session, failed.body.id, answerAll(failed.body, 0));
    expect(await offered(w, date)).toBe(0);

    const a = await startAttempt(session, exam.id);
    const graded = await submit(session, a.body.id, answerAll(a.body, 1));
    expect(graded.body.status).toBe("passed");
    expect(await offered(w, date)).toBe(1);

    // the certification expires: the cron's step reloads the technician without the skill
    await env.DB.prepare("UPDATE training_certifications SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, graded.body.certification.id)
      .run();
    expect(await lapseCertifications(env)).toBeGreaterThanOrEqual(1);
    expect(await offered(w, date)).toBe(0);
    const certs = await call("GET", "/v1/technician/training/certifications", { token: session.token });
    expect(certs.body.items[0].valid).toBe(false);

    // no longer required: offered again
    await call("PUT", `/v1/admin/training/skill-requirements/${w.skill}`, { token: op.token, body: { required: false } });
    expect(await offered(w, date)).toBe(1);
    // only operators set requirements
    const merchantAdmin = await signInWithRoles(["merchant_admin"], await insertMerchant());
    expectProblem(
      await call("PUT", `/v1/admin/training/skill-requirements/${w.skill}`, { token: merchantAdmin.token, body: { required: true } }),
      403,
    );
  });
});
