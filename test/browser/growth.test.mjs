/* global document -- inside page functions, which run in the browser */
// The growth and feedback screen in real Chromium against a real local Doorstep: an operator adds a
// survey question (a bad one is refused with the field named, nothing added); a customer whose
// visit was completed answers the survey through the API with the new question; the screen's NPS
// card then shows the score with its count. A merchant admin sees the reports but not the questions.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, away from the other browser tests' servers (helper 8: 70 + 8 × 3)
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 94;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const CUSTOMER = "+8613700000004";

let server;
let browser;
let api;

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("growth and feedback screen", () => {
  it("an operator configures a question, a customer answers the survey through the API, the report shows the NPS", async () => {
    const customer = await api.signIn(CUSTOMER);
    const booked = await api.bookFirstFree(customer, "svc_demoDeepCleaning", { fromDay: 1, paymentPlan: "full" });
    assert.ok(booked, "a free time for svc_demoDeepCleaning");
    const paid = await api.payWithSandbox(customer, booked.id);
    assert.equal(paid.status, "assigned");
    const tech = await api.signIn(`+86139000000${paid.technician.id.slice(-2)}`);
    await api.completeVisit(tech, paid.id, booked.startCode);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="growth"]');
    await page.waitForSelector('[data-screen="growth"] [data-testid="survey-nps"]');
    assert.equal((await page.textContent('[data-testid="survey-nps"]')).trim(), "—");
    // the revenue and cost lines: drawn as bars, with their own CSV
    await page.waitForSelector('[data-testid="growth-card"] [data-testid="csv-revenue-lines"]');
    assert.ok((await page.$$('[data-testid="growth-card"] ul.bars li')).length >= 1);

    // a choice question without options is refused, with the field named, and nothing is added
    const form = '[data-testid="survey-question-form"]';
    await page.selectOption(`${form} select[name="kind"]`, "choice");
    await page.fill(`${form} input[name="promptZh"]`, "您对哪项最满意？");
    await page.fill(`${form} input[name="promptEn"]`, "What did you like most?");
    await page.click('[data-testid="survey-question-form-submit"]');
    await page.waitForSelector(`${form} [data-error-for="body.options"]`);
    const operator = await api.signIn(OPERATOR);
    assert.equal((await api.ok("GET", "/v1/admin/survey-questions", { token: operator.token })).items.length, 0);

    await page.selectOption(`${form} select[name="kind"]`, "rating");
    await page.fill(`${form} input[name="promptZh"]`, "师傅准时吗？");
    await page.fill(`${form} input[name="promptEn"]`, "Was the technician on time?");
    await page.check(`${form} input[name="required"]`);
    await page.click('[data-testid="survey-question-form-submit"]');
    const row = '[data-testid="survey-question-table"] tr[data-active="true"]';
    await page.waitForSelector(row);
    assert.match(await page.textContent(row), /师傅准时吗？/);

    // the customer answers through the API: the configured question is asked, and required
    const survey = await api.ok("GET", `/v1/orders/${paid.id}/survey`, { token: customer.token });
    assert.equal(survey.status, "open");
    const question = survey.questions.find((q) => q.prompt.en === "Was the technician on time?");
    assert.ok(question, JSON.stringify(survey.questions));
    const missing = await api.call("POST", `/v1/orders/${paid.id}/survey`, { token: customer.token, body: { nps: 9, answers: [] } });
    assert.equal(missing.status, 400);
    await api.ok("POST", `/v1/orders/${paid.id}/survey`, {
      token: customer.token,
      body: { nps: 9, answers: [{ questionId: question.id, value: 4 }] },
    });

    // the report shows it: one promoter, NPS 100, with its count
    await page.reload();
    await page.waitForSelector('[data-testid="survey-counts"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="survey-nps"]')?.textContent.trim() === "100");
    assert.match(await page.textContent('[data-testid="survey-counts"]'), /n=1 · 推荐者 1 · 中立者 0 · 贬损者 0/);
    await page.selectOption('select[name="npsBy"]', "service");
    // the per-service bars replace the daily columns once the report is in
    await page.waitForFunction(() => /100 · n=1/.test(document.querySelector('[data-testid="nps-card"] ul.bars')?.textContent ?? ""));

    // the reports screen shows how good the demand forecasts were (MAPE, or — with nothing to compare)
    await page.click('a[data-nav="reports"]');
    await page.waitForSelector('[data-testid="forecast-mape"]');
    assert.match((await page.textContent('[data-testid="forecast-mape"]')).trim(), /^(—|\d+(\.\d)?%)$/);
    assert.match(await page.textContent('[data-testid="forecast-card"] h2'), /需求预测准确度|Demand forecast accuracy/);
    await page.close();

    // a merchant admin sees the reports of its merchant but not the survey's questions
    const m = await browser.context.newPage();
    m.setDefaultTimeout(15_000);
    await signInThroughUi(m, server.url, MERCHANT_ADMIN_1);
    await m.click('a[data-nav="growth"]');
    await m.waitForSelector('[data-testid="survey-counts"]');
    assert.equal(await m.$('[data-testid="survey-questions"]'), null);
    await m.close();
  });
});
