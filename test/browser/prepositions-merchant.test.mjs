/* global document -- inside page functions, which run in the browser */
// The pre-position card of a merchant admin in real Chromium against a real local Doorstep: with a
// shortfall made through the API (test/browser/shortfall.mjs) and the daily cron's forecast, the
// merchant admin's reports screen shows its own card: the city's shortfall, and only moves of its own
// technicians, exactly as the API answers the merchant admin, in zh-CN and in English.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { makeShortfall } from "./shortfall.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 136;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const MERCHANT = "mch_demo01"; // the merchant of MERCHANT_ADMIN_1
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

describe("pre-position suggestions for a merchant admin", () => {
  it("shows the city's shortfall and only moves of the merchant's own technicians, in both languages", async () => {
    const operator = await api.signIn(OPERATOR);
    await makeShortfall(api, operator);
    const cron = await fetch(`${server.url}/__scheduled?cron=${encodeURIComponent("30 2 * * *")}`);
    assert.equal(cron.status, 200);

    const admin = await api.signIn(MERCHANT_ADMIN_1);
    const city = await api.ok("GET", `/v1/admin/cities/${CITY}/prepositions?hours=6`, { token: operator.token });
    const mine = await api.ok("GET", `/v1/admin/cities/${CITY}/prepositions?hours=6`, { token: admin.token });
    assert.equal(mine.merchantId, MERCHANT);
    // The shortfall is the city's; the moves are no more than the city's and only of the merchant's technicians.
    assert.equal(mine.totals.shortfall, city.totals.shortfall);
    assert.ok(mine.totals.shortfall >= 1);
    assert.ok(mine.totals.moved <= city.totals.moved);
    const techs = await api.ok("GET", `/v1/admin/technicians?city=${CITY}&status=approved&limit=100`, { token: operator.token });
    const ownIn = (cell) => techs.items.filter((t) => t.homeCell === cell && t.merchantId === mine.merchantId).length;
    for (const h of mine.hours)
      for (const m of h.moves) assert.ok(m.technicians <= ownIn(m.from), `${m.technicians} of the merchant's own from ${m.from}`);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.click('a[data-nav="reports"]');
    const card = '[data-testid="preposition-card"][data-scope="merchant"]';
    await page.waitForSelector(`${card} [data-testid="preposition-shortfall"]`);
    assert.equal((await page.textContent(`${card} [data-testid="preposition-shortfall"]`)).trim(), String(mine.totals.shortfall));
    const moves = mine.hours.flatMap((h) => h.moves);
    const shown = await page.$$eval(`${card} [data-testid="preposition-move"]`, (els) => els.map((e) => e.textContent.trim()));
    assert.deepEqual(
      shown,
      moves.map((m) => `${m.technicians} 位技师：${m.fromLabel.zh} → ${m.toLabel.zh}（${m.distanceKm} 公里）`),
    );
    assert.match(await page.textContent(`${card} h2`), /本商户技师预调度建议/);
    const text = await page.textContent(card);
    assert.doesNotMatch(text, /\b8[0-9a-f]{14}\b/);
    assert.doesNotMatch(text, /pp_[a-z]+/);

    await page.click('[data-testid="lang"]');
    await page.waitForFunction(() =>
      /for your technicians/.test(document.querySelector('[data-testid="preposition-card"] h2')?.textContent ?? ""),
    );
    assert.match(await page.textContent(card), /Shortfall/);
    await page.close();
  });
});
