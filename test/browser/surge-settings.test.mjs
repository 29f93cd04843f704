/* global document -- inside page functions, which run in the browser */
// The surge settings form of the settings screen in real Chromium against a real local Doorstep: an
// operator sees the city's surge pricing and surge notices as the API holds them, changes and saves
// both, and a reload shows what was saved; a value the API refuses shows the API's own message next
// to the field and changes nothing; the labels exist in zh-CN and in English (no raw keys, the ring
// in words); a merchant admin (refused by the API) has no such form.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 127;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const CITY = "cty_demoShanghai";
const URL_PATH = `/v1/admin/cities/${CITY}/surge-settings`;

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

const form = '[data-testid="surge-settings"]';
const pricing = '[data-testid="surge-pricing"]';
const notify = '[data-testid="surge-notify"]';

/** What the form shows, as the API's shape (the amount back in fen). */
async function shown(page) {
  return {
    pricing: {
      enabled: await page.isChecked(`${pricing} input[name="enabled"]`),
      percent: Number(await page.inputValue(`${pricing} input[name="percent"]`)),
      maxAmount: Math.round(Number(await page.inputValue(`${pricing} input[name="maxAmount"]`)) * 100),
    },
    notify: {
      enabled: await page.isChecked(`${notify} input[name="enabled"]`),
      ring: Number(await page.inputValue(`${notify} select[name="ring"]`)),
      cooldownMinutes: Number(await page.inputValue(`${notify} input[name="cooldownMinutes"]`)),
    },
  };
}

/** Submits one of the two forms; resolves once the API answered 200 and the form says so. */
async function save(page, testid) {
  const answered = page.waitForResponse((r) => r.url().endsWith(URL_PATH) && r.request().method() === "PUT");
  await page.click(`[data-testid="${testid}-submit"]`);
  assert.equal((await answered).status(), 200);
  await page.waitForSelector('[data-testid="surge-saved"]');
}

async function openSettings(page) {
  await page.click('a[data-nav="settings"]');
  await page.waitForSelector(`${pricing} input[name="percent"]`);
}

/** The API's problem for a body, in the given language (what the dashboard is shown). */
async function problemFor(token, body, language) {
  const res = await fetch(`${server.url}${URL_PATH}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Accept-Language": language },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 400);
  return res.json();
}

describe("surge settings form", () => {
  it("loads, saves and reloads the city's surge pricing and notices, shows the API's problems, in both languages", async () => {
    const operator = await api.signIn(OPERATOR);
    const initial = await api.ok("GET", URL_PATH, { token: operator.token });

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await openSettings(page);

    // the values in force, as the API answers them
    assert.deepEqual(await shown(page), { pricing: initial.pricing, notify: initial.notify });
    assert.match(await page.textContent(`${form} h2`), /高峰设置/);
    const zh = await page.textContent(form);
    assert.match(zh, /高峰加价/);
    assert.match(zh, /技师高峰通知/);
    assert.match(zh, new RegExp(`最多 ${initial.caps.maxPercent}%`));
    const ringsZh = await page.$$eval(`${notify} select[name="ring"] option`, (os) => os.map((o) => o.textContent.trim()));
    assert.deepEqual(ringsZh, ["仅高峰网格本身", "高峰网格及相邻一圈网格", "高峰网格及周围两圈网格", "高峰网格及周围三圈网格"]);
    assert.doesNotMatch(zh, /sg_[A-Za-z0-9]+/);

    // change and save both parts
    await page.check(`${pricing} input[name="enabled"]`);
    await page.fill(`${pricing} input[name="percent"]`, "10");
    await page.fill(`${pricing} input[name="maxAmount"]`, "5.00");
    await save(page, "surge-pricing");
    await page.check(`${notify} input[name="enabled"]`);
    await page.selectOption(`${notify} select[name="ring"]`, "2");
    await page.fill(`${notify} input[name="cooldownMinutes"]`, "30");
    await save(page, "surge-notify");

    const saved = { pricing: { enabled: true, percent: 10, maxAmount: 500 }, notify: { enabled: true, ring: 2, cooldownMinutes: 30 } };
    const stored = await api.ok("GET", URL_PATH, { token: operator.token });
    assert.deepEqual({ pricing: stored.pricing, notify: stored.notify }, saved);

    // a reload shows what was saved
    await page.reload();
    await openSettings(page);
    assert.deepEqual(await shown(page), saved);

    // a cooldown below 5 minutes: the API's message next to the field, nothing changed
    await page.fill(`${notify} input[name="cooldownMinutes"]`, "3");
    await page.click('[data-testid="surge-notify-submit"]');
    const cooldownError = `${notify} [data-error-for="body.notify.cooldownMinutes"]`;
    await page.waitForSelector(cooldownError);
    const badCooldown = await problemFor(operator.token, { notify: { enabled: true, ring: 2, cooldownMinutes: 3 } }, "zh-CN");
    assert.equal(badCooldown.code, "VALIDATION_FAILED");
    const expectedCooldown = badCooldown.errors.filter((e) => e.path === "body.notify.cooldownMinutes").map((e) => e.message);
    assert.ok(expectedCooldown.length > 0);
    assert.equal((await page.textContent(cooldownError)).trim(), expectedCooldown.join("; "));
    assert.match(await page.textContent(`${notify} [role="alert"]`), new RegExp(escape(badCooldown.detail)));

    // a percent above the deployment's cap: the API's message (in the interface language) and the field named
    await page.fill(`${pricing} input[name="percent"]`, String(initial.caps.maxPercent + 1));
    await page.click('[data-testid="surge-pricing-submit"]');
    const percentError = `${pricing} [data-error-for="body.pricing.percent"]`;
    await page.waitForSelector(percentError);
    const aboveCap = await problemFor(
      operator.token,
      { pricing: { enabled: true, percent: initial.caps.maxPercent + 1, maxAmount: 500 } },
      "zh-CN",
    );
    assert.equal(aboveCap.code, "SURGE_ABOVE_CAP");
    assert.match(aboveCap.detail, /高峰加价最多为/);
    assert.ok((await page.textContent(`${pricing} [role="alert"]`)).includes(aboveCap.detail));
    assert.equal((await page.textContent(percentError)).trim(), aboveCap.errors.find((e) => e.path === "body.pricing.percent").message);
    const unchanged = await api.ok("GET", URL_PATH, { token: operator.token });
    assert.deepEqual({ pricing: unchanged.pricing, notify: unchanged.notify }, saved);

    // English: every label, the ring in words
    await page.click('[data-testid="lang"]');
    await page.waitForFunction(() => /Surge settings/.test(document.querySelector('[data-testid="surge-settings"] h2')?.textContent ?? ""));
    const en = await page.textContent(form);
    for (const label of [
      "Surge pricing",
      "Surge notices to technicians",
      "Surcharge (% of the subtotal)",
      "Who is told",
      "minutes, 5–1440",
    ]) {
      assert.ok(en.includes(label), `"${label}" shown`);
    }
    const ringsEn = await page.$$eval(`${notify} select[name="ring"] option`, (os) => os.map((o) => o.textContent.trim()));
    assert.deepEqual(ringsEn, [
      "The surging cell only",
      "The surging cell and the ring of cells around it",
      "The surging cell and two rings of cells around it",
      "The surging cell and three rings of cells around it",
    ]);
    assert.doesNotMatch(en, /sg_[A-Za-z0-9]+/);
    await page.close();

    // a merchant admin: the API refuses the settings, the screen has no such form
    const merchant = await api.signIn(MERCHANT_ADMIN_1);
    assert.equal((await api.call("GET", URL_PATH, { token: merchant.token })).status, 403);
    const m = await browser.context.newPage();
    m.setDefaultTimeout(15_000);
    await signInThroughUi(m, server.url, MERCHANT_ADMIN_1);
    await m.click('a[data-nav="settings"]');
    await m.waitForSelector('[data-testid="weights-source"]');
    assert.equal(await m.$(form), null);
    await m.close();
  });
});

/** A text as a literal inside a regular expression. */
function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
