/* global document -- inside page functions, which run in the browser */
// The pre-position card of the reports screen in real Chromium against a real local Doorstep. The
// demo has no order history, so the test makes a shortfall through the API, whatever the time of day:
// every technician works around the clock, a customer books a visit in one of the next hours, and the
// technicians homed in that visit's cell take that day off; the daily cron (wrangler dev
// --test-scheduled) forecasts the booked visit as known demand. An operator's reports screen then
// shows the shortfall and at least one suggested move (from a neighbouring cell with technicians on
// shift to the visit's cell) exactly as the API answers them, places named from the city centre
// (never a cell id), in zh-CN and in English; a merchant admin has its own card instead
// (test/browser/prepositions-merchant.test.mjs).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { makeShortfall } from "./shortfall.mjs";
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
  it("shows the API's shortfall and moves by place, in both languages, to operators (merchant admins get their own card)", async () => {
    const operator = await api.signIn(OPERATOR);
    const shortfall = await makeShortfall(api, operator);
    const cron = await fetch(`${server.url}/__scheduled?cron=${encodeURIComponent("30 2 * * *")}`);
    assert.equal(cron.status, 200);
    const expected = await api.ok("GET", `/v1/admin/cities/${CITY}/prepositions?hours=6`, { token: operator.token });
    // the booked visit's hour: its cell is short of one technician, and a neighbour's is moved there
    const hour = expected.hours.find((h) => Date.parse(h.start) <= shortfall.start && shortfall.start < Date.parse(h.end));
    assert.ok(hour, "the visit's hour is on the card");
    assert.ok(
      hour.cells.some((c) => c.cell === shortfall.cell && c.shortfall >= 1),
      "the visit's cell is short",
    );
    assert.ok(
      hour.moves.some((m) => m.to === shortfall.cell && m.technicians >= 1 && m.from !== shortfall.cell),
      "a move into the visit's cell",
    );
    assert.ok(expected.totals.shortfall >= 1 && expected.totals.moved >= 1);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="reports"]');
    await page.waitForSelector('[data-testid="preposition-shortfall"]');
    const card = '[data-testid="preposition-card"]';
    assert.equal((await page.textContent('[data-testid="preposition-shortfall"]')).trim(), String(expected.totals.shortfall));
    const moves = expected.hours.flatMap((h) => h.moves);
    assert.ok(moves.length >= 1);
    const shown = await page.$$eval(`${card} [data-testid="preposition-move"]`, (els) => els.map((e) => e.textContent.trim()));
    assert.equal(shown.length, moves.length);
    assert.equal(await page.$(`${card} [data-testid="preposition-none"]`), null);
    // each move as a sentence: how many, from where, to where, how far
    for (const [i, m] of moves.entries()) {
      assert.equal(shown[i], `${m.technicians} 位技师：${m.fromLabel.zh} → ${m.toLabel.zh}（${m.distanceKm} 公里）`);
    }
    const text = await page.textContent(card);
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
    const shownEn = await page.$$eval(`${card} [data-testid="preposition-move"]`, (els) => els.map((e) => e.textContent.trim()));
    for (const [i, m] of moves.entries()) {
      assert.equal(shownEn[i], `${m.technicians} technicians: ${m.fromLabel.en} → ${m.toLabel.en} (${m.distanceKm} km)`);
    }
    await page.close();

    const m = await browser.context.newPage();
    m.setDefaultTimeout(15_000);
    await signInThroughUi(m, server.url, MERCHANT_ADMIN_1);
    await m.click('a[data-nav="reports"]');
    await m.waitForSelector('[data-testid="heatmap"]');
    await m.waitForSelector('[data-testid="preposition-card"][data-scope="merchant"]');
    await m.close();
  });
});
