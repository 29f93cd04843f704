/* global document -- inside page functions, which run in the browser */
// The accounts screen in real Chromium against a real local Doorstep: an operator disables a
// customer with a reason (the customer's session ends at once and signing in is refused with that
// reason), then enables the account again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, next to the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 6;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const CUSTOMER = "+8613700000011";

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

describe("accounts", () => {
  it("an operator disables a customer with a reason: the customer is out at once and told why; enabling lets them back", async () => {
    const customer = await api.signIn(CUSTOMER);
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="accounts"]');
    await page.waitForSelector("h1");
    await page.fill('form.filters input[name="phone"]', CUSTOMER);
    await page.click('[data-testid="find-account"]');
    const row = `tr[data-account="${customer.me.id}"]`;
    await page.waitForSelector(`${row}[data-status="active"]`);
    await page.selectOption(`${row} [data-testid="disable-reason"]`, "harassment");
    await page.fill(`${row} input[name="note"]`, "abusive messages to a technician");
    await page.click(`${row} [data-testid="disable"]`);
    await page.waitForSelector(`${row}[data-status="disabled"]`);
    assert.match(await page.textContent(`${row} [data-testid="reason"]`), /骚扰|Harassment/);

    const refused = await api.call("GET", "/v1/me", { token: customer.token });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, "ACCOUNT_DISABLED");
    assert.equal(refused.body.reason, "harassment");
    await assert.rejects(api.signIn(CUSTOMER), /403.*ACCOUNT_DISABLED/);

    // The disabled list shows it too.
    await page.fill('form.filters input[name="phone"]', "");
    await page.click('[data-testid="find-account"]');
    await page.waitForSelector(`${row}[data-status="disabled"]`);
    await page.click(`${row} [data-testid="enable"]`);
    await page.waitForFunction((sel) => !document.querySelector(sel), `${row}[data-status="disabled"]`);
    const back = await api.signIn(CUSTOMER);
    assert.equal((await api.call("GET", "/v1/me", { token: back.token })).status, 200);
    await page.close();
  });

  it("a merchant admin has no accounts screen", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.waitForSelector('a[data-nav="orders"]');
    assert.equal(await page.$('a[data-nav="accounts"]'), null);
    await page.close();
  });
});
