// The Technician credit screen in real Chromium against a real local Doorstep: an operator looks a
// technician up and penalises them (a deduction in yuan and points), a bad form is refused with the
// field named and nothing decided; the technician appeals through the API; the operator grants the
// appeal from the queue, and the API shows the score back and the penalty reversed. A merchant admin
// has no such screen.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, away from the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 64;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const TECHNICIAN = "+8613900000007";

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

describe("technician credit screen", () => {
  it("an operator penalises a technician, the technician appeals, the operator grants it: score back, penalty reversed", async () => {
    const tech = await api.signIn(TECHNICIAN);
    const before = await api.call("GET", "/v1/technician/credit", { token: tech.token });
    assert.equal(before.status, 200);
    const { technicianId, score: score0 } = before.body;
    const decisions0 = (await api.call("GET", "/v1/technician/credit/decisions", { token: tech.token })).body.items.length;

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="credit"]');
    await page.fill('[data-testid="credit-technician-id"]', technicianId);
    await page.click('[data-testid="credit-look-up"]');
    await page.waitForSelector(`[data-testid="credit-summary"][data-technician="${technicianId}"]`);
    assert.equal((await page.textContent('[data-testid="credit-score"]')).trim(), String(score0));

    // a bad form: points beyond 200 is refused with the field named, nothing decided
    const form = '[data-testid="credit-decision-form"]';
    await page.selectOption(`${form} select[name="kind"]`, "penalty");
    await page.selectOption(`${form} select[name="reasonCode"]`, "PENALTY_SERVICE_QUALITY");
    await page.fill(`${form} input[name="amount"]`, "50");
    await page.fill(`${form} input[name="points"]`, "500");
    await page.click('[data-testid="credit-decision-submit"]');
    await page.waitForSelector(`${form} [data-error-for="body.points"]`);
    await page.waitForSelector(`${form} .error[role="alert"]`);
    const unchanged = await api.call("GET", "/v1/technician/credit/decisions", { token: tech.token });
    assert.equal(unchanged.body.items.length, decisions0);

    // the reason is offered by its label, not its code
    const options = await page.locator(`${form} select[name="reasonCode"] option`).allTextContents();
    assert.ok(options.includes("服务质量问题"), options.join());
    assert.ok(
      options.every((o) => !/PENALTY_/.test(o)),
      options.join(),
    );

    await page.fill(`${form} input[name="points"]`, "20");
    await page.fill(`${form} input[name="note"]`, "上门迟到且未告知客户");
    await page.click('[data-testid="credit-decision-submit"]');
    await page.waitForSelector(`[data-testid="credit-score"]:text-is("${score0 - 20}")`);
    const row = '[data-testid="credit-decisions"] tr[data-decision]';
    await page.waitForSelector(`${row}[data-status="in_force"]`);
    assert.match(await page.textContent(row), /¥50\.00/);
    assert.match(await page.textContent(row), /服务质量问题/);
    await page.waitForSelector('[data-testid="credit-history"] tr[data-reason="PENALTY_SERVICE_QUALITY"]');
    assert.doesNotMatch(await page.textContent('[data-testid="credit-history"]'), /PENALTY_/);

    // the API has the penalty: 50 yuan in fen, 20 points off
    const listed = await api.call("GET", "/v1/technician/credit/decisions", { token: tech.token });
    const penalty = listed.body.items.find((d) => d.kind === "penalty" && d.status === "in_force" && d.note === "上门迟到且未告知客户");
    assert.ok(penalty, JSON.stringify(listed.body));
    assert.equal(penalty.amount, 5000);
    assert.equal(penalty.reason.code, "PENALTY_SERVICE_QUALITY");
    assert.equal((await api.call("GET", "/v1/technician/credit", { token: tech.token })).body.score, score0 - 20);

    // the technician appeals through the API
    const appeal = await api.call("POST", `/v1/technician/credit/decisions/${penalty.id}/appeal`, {
      token: tech.token,
      body: { reason: "客户改约时间，我已提前电话告知" },
    });
    assert.equal(appeal.status, 201, JSON.stringify(appeal.body));

    // the operator grants it from the queue
    await page.click('[data-testid="credit-appeals-reload"]');
    const appealRow = `[data-testid="credit-appeals"] tr[data-appeal="${appeal.body.id}"]`;
    await page.waitForSelector(`${appealRow}[data-status="open"]`);
    assert.match(await page.textContent(`${appealRow} [data-testid="credit-appeal-reason"]`), /提前电话告知/);
    await page.fill(`${appealRow} input[name="appeal-note"]`, "核实通话记录属实");
    await page.click(`${appealRow} [data-testid="credit-appeal-grant"]`);
    await page.waitForSelector(appealRow, { state: "detached" });
    await page.waitForSelector(`[data-testid="credit-decisions"] tr[data-decision="${penalty.id}"][data-status="reversed"]`);
    await page.waitForSelector(`[data-testid="credit-score"]:text-is("${score0}")`);
    await page.waitForSelector('[data-testid="credit-history"] tr[data-reason="APPEAL_GRANTED"]');

    // through the API: score back, the penalty reversed, the appeal granted with the note
    const afterCredit = await api.call("GET", "/v1/technician/credit", { token: tech.token });
    assert.equal(afterCredit.body.score, score0);
    const afterDecisions = await api.call("GET", "/v1/technician/credit/decisions", { token: tech.token });
    const reversed = afterDecisions.body.items.find((d) => d.id === penalty.id);
    assert.equal(reversed.status, "reversed");
    assert.equal(reversed.appeals.length, 1);
    assert.equal(reversed.appeals[0].status, "granted");
    assert.equal(reversed.appeals[0].decisionNote, "核实通话记录属实");

    // the granted queue shows it; in English the reasons are English labels
    await page.selectOption('[data-testid="credit-appeal-filter"]', "granted");
    await page.waitForSelector(`${appealRow}[data-status="granted"]`);
    await page.click('[data-testid="lang"]');
    await page.waitForSelector("text=Technician credit");
    const reasons = await page.locator(`${form} select[name="reasonCode"] option`).allTextContents();
    assert.ok(reasons.includes("Service quality"), reasons.join());
    await page.click('[data-testid="lang"]');
    await page.close();
  });

  it("an operator saves the level rules; a bad threshold is refused with the field named", async () => {
    const operator = await api.signIn(OPERATOR);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="credit"]');
    const rules = '[data-testid="credit-rules"]';
    await page.waitForSelector(`${rules} input[name="gold.minScore"]`);
    await page.fill(`${rules} input[name="gold.minScore"]`, "2000");
    await page.click('[data-testid="credit-rules-save"]');
    await page.waitForSelector(`${rules} [data-error-for="body.thresholds.gold.minScore"]`);
    const unchanged = await api.call("GET", "/v1/admin/settings/credit", { token: operator.token });
    assert.equal(unchanged.body.rules.thresholds.gold.minScore, unchanged.body.defaults.thresholds.gold.minScore);

    await page.fill(`${rules} input[name="gold.minScore"]`, "760");
    await page.fill(`${rules} input[name="gold.share"]`, "72.5");
    await page.click('[data-testid="credit-rules-save"]');
    await page.waitForSelector('[data-testid="credit-rules-saved"]');
    const saved = await api.call("GET", "/v1/admin/settings/credit", { token: operator.token });
    assert.equal(saved.body.rules.thresholds.gold.minScore, 760);
    assert.equal(saved.body.rules.technicianShareBps.gold, 7250);
    assert.equal(saved.body.rules.technicianShareBps.trainee, saved.body.defaults.technicianShareBps.trainee);
    await page.close();
  });

  it("a merchant admin has no Technician credit screen and cannot decide appeals", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    assert.equal(await page.locator('a[data-nav="credit"]').count(), 0);
    const merchant = await api.signIn(MERCHANT_ADMIN_1);
    assert.equal((await api.call("GET", "/v1/admin/credit/appeals", { token: merchant.token })).status, 403);
    await page.close();
  });
});
