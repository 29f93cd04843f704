/* global document -- inside page functions, which run in the browser */
// The pre-position card of the reports screen in real Chromium against a real local Doorstep: the
// daily cron forecasts the demo city (wrangler dev --test-scheduled); an operator's reports screen
// shows the next hours' shortfall and suggested moves exactly as the API answers them, places named
// from the city centre (never a cell id), in zh-CN and in English; a merchant admin has no such card.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 125;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const CITY = "cty_demoShanghai";

let server;
let browser;
let api;

before(async () => {
  server = await startLocalServer({ port: PORT, testScheduled: true });
  api = new Client(server.url);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("pre-position suggestions card", () => {
  it("shows the API's shortfall and moves by place, in both languages, to operators only", async () => {
    const cron = await fetch(`${server.url}/__scheduled?cron=${encodeURIComponent("30 2 * * *")}`);
    assert.equal(cron.status, 200);
    const operator = await api.signIn(OPERATOR);
    const expected = await api.ok("GET", `/v1/admin/cities/${CITY}/prepositions?hours=6`, { token: operator.token });

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="reports"]');
    await page.waitForSelector('[data-testid="preposition-shortfall"]');
    const card = '[data-testid="preposition-card"]';
    assert.equal((await page.textContent('[data-testid="preposition-shortfall"]')).trim(), String(expected.totals.shortfall));
    const moves = expected.hours.flatMap((h) => h.moves);
    assert.equal((await page.$$(`${card} [data-testid="preposition-move"]`)).length, moves.length);
    if (moves.length === 0 && !expected.hours.some((h) => h.cells.some((c) => c.shortfall > 0))) {
      await page.waitForSelector(`${card} [data-testid="preposition-none"]`);
    }
    const text = await page.textContent(card);
    for (const m of moves) assert.ok(text.includes(m.fromLabel.zh) && text.includes(m.toLabel.zh), "moves named by place");
    // never a cell id (an H3 index) or a raw key
    assert.doesNotMatch(text, /\b8[0-9a-f]{14}\b/);
    assert.doesNotMatch(text, /pp_[a-z]+/);
    assert.match(await page.textContent(`${card} h2`), /技师预调度建议/);

    await page.click('[data-testid="lang"]');
    await page.waitForFunction(() =>
      /Pre-position suggestions/.test(document.querySelector('[data-testid="preposition-card"] h2')?.textContent ?? ""),
    );
    const en = await page.textContent(card);
    assert.match(en, /Shortfall/);
    for (const m of moves) assert.ok(en.includes(m.fromLabel.en) && en.includes(m.toLabel.en));
    await page.close();

    const m = await browser.context.newPage();
    m.setDefaultTimeout(15_000);
    await signInThroughUi(m, server.url, MERCHANT_ADMIN_1);
    await m.click('a[data-nav="reports"]');
    await m.waitForSelector('[data-testid="heatmap"]');
    assert.equal(await m.$('[data-testid="preposition-card"]'), null);
    await m.close();
  });
});
