/* global localStorage -- inside page functions, which run in the browser */
// The training screen in real Chromium against a real local Doorstep (demo data), signed in as the
// admin: a course is created, a lesson added and a video attached to it; a question bank gets a
// question (a wrong right-answer number is refused at its field first); an exam is set up on that
// bank. Each step is checked through the API as well.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port (40 + 3 × helper 4), clear of the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 52;
const ADMIN = "+8613800000000";

let server;
let browser;
let page;
let api;
let adminToken;

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  adminToken = (await api.signIn(ADMIN)).token;
  browser = await openBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  await signInThroughUi(page, server.url, ADMIN);
  await page.evaluate(() => localStorage.setItem("doorstep.lang", "zh"));
  await page.goto(`${server.url}/dashboard/#/setup/training`);
  await page.reload();
  await page.waitForSelector('[data-screen="training"]');
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const get = (path) => api.call("GET", path, { token: adminToken }).then((r) => r.body);

/** A small MP4: its `ftyp` box and some bytes. */
function mp4() {
  const b = Buffer.alloc(2048, 7);
  Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]).copy(b);
  return b;
}

describe("training screen", () => {
  it("creates a course with a lesson and its video", async () => {
    const form = '[data-testid="course-create"]';
    await page.fill(`${form} input[name="title"]`, "上门安全规范");
    await page.fill(`${form} input[name="description"]`, "新技师必修");
    await page.check(`${form} input[name="published"]`);
    await page.click('[data-testid="course-create-submit"]');
    await page.waitForSelector('tr[data-course]:has-text("上门安全规范")');
    await page.click('[data-testid="open-course-上门安全规范"]');
    await page.waitForSelector('[data-testid="course-editor"]');
    await page.fill('[data-testid="lesson-create"] input[name="title"]', "第一课：进门之前");
    await page.fill('[data-testid="lesson-create"] input[name="body"]', "鞋套、工牌、确认身份");
    await page.click('[data-testid="lesson-create-submit"]');
    await page.waitForSelector('[data-testid="lesson-list"] li:has-text("第一课：进门之前")');
    await page.setInputFiles('[data-testid="lesson-file-1"]', { name: "lesson.mp4", mimeType: "video/mp4", buffer: mp4() });
    await page.waitForSelector('[data-testid="lesson-media"]:has-text("video/mp4")');

    const course = (await get("/v1/training/courses")).items.find((c) => c.title === "上门安全规范");
    assert.ok(course, "the course is stored");
    assert.equal(course.published, true);
    const detail = await get(`/v1/training/courses/${course.id}`);
    assert.equal(detail.lessons.length, 1);
    assert.equal(detail.lessons[0].media.contentType, "video/mp4");
    assert.equal(detail.lessons[0].media.size, 2048);
  });

  it("creates a question bank with a question and an exam drawing from it", async () => {
    await page.goto(`${server.url}/dashboard/#/setup/training`);
    await page.reload();
    await page.click('[data-tab="banks"]');
    await page.fill('[data-testid="bank-create"] input[name="title"]', "安全题库");
    await page.click('[data-testid="bank-create-submit"]');
    await page.click('[data-testid="open-bank-安全题库"]');
    await page.waitForSelector('[data-testid="bank-editor"]');
    const q = '[data-testid="question-create"]';
    await page.fill(`${q} input[name="prompt"]`, "进门前要做什么？");
    await page.fill(`${q} input[name="options"]`, "直接进门 | 穿鞋套并出示工牌 | 打电话");
    await page.fill(`${q} input[name="correct"]`, "5");
    await page.click('[data-testid="question-create-submit"]');
    // an option number past the options: refused, shown at the field, in Chinese
    await page.waitForSelector(`${q} [data-error-for="body.correct"]`);
    assert.match(await page.textContent(`${q} p.error[role="alert"]`), /[\u4e00-\u9fff]/);
    await page.fill(`${q} input[name="correct"]`, "2");
    await page.click('[data-testid="question-create-submit"]');
    await page.waitForSelector('[data-testid="bank-questions"] tr:has-text("进门前要做什么？")');

    const bank = (await get("/v1/training/banks")).items.find((b) => b.title === "安全题库");
    const stored = await get(`/v1/training/banks/${bank.id}`);
    assert.deepEqual(
      stored.questions.map((x) => [x.kind, x.options.length, x.correct]),
      [["single", 3, [1]]],
    );

    await page.goto(`${server.url}/dashboard/#/setup/training`);
    await page.reload();
    await page.click('[data-tab="exams"]');
    const e = '[data-testid="exam-create"]';
    await page.fill(`${e} input[name="title"]`, "上岗安全考试");
    await page.selectOption(`${e} select[name="bankId"]`, bank.id);
    await page.fill(`${e} input[name="drawCount"]`, "1");
    await page.fill(`${e} input[name="passPercent"]`, "100");
    await page.fill(`${e} input[name="timeLimitMinutes"]`, "10");
    await page.fill(`${e} input[name="maxAttempts"]`, "2");
    await page.fill(`${e} input[name="validDays"]`, "180");
    await page.check(`${e} input[name="published"]`);
    await page.click('[data-testid="exam-create-submit"]');
    await page.waitForSelector('tr[data-exam]:has-text("上岗安全考试")');
    const exam = (await get("/v1/training/exams")).items.find((x) => x.title === "上岗安全考试");
    assert.deepEqual(
      [exam.bankId, exam.drawCount, exam.passPercent, exam.timeLimitSeconds, exam.maxAttempts, exam.validDays, exam.published],
      [bank.id, 1, 100, 600, 2, 180, true],
    );
  });
});
