// Team route plans in real Chromium against a real local Doorstep: an operator picks the cell a demo
// technician lives in and tomorrow, requests a plan (built by the route-plans queue's consumer while
// the screen polls it), sees it ready with its figures, and accepts it; the API then says accepted.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 121;
const OPERATOR = "+8613800000001";

let server;
let browser;
let api;
let operator;

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  operator = await api.signIn(OPERATOR);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("route plans", () => {
  it("requests a plan for a cell and a day, waits for it and accepts it", async () => {
    const tech = await api.ok("GET", "/v1/admin/technicians/tch_demo001", { token: operator.token });
    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="routes"]');
    await page.waitForSelector('[data-testid="rp-cell"]');
    await page.selectOption('[data-testid="rp-cell"]', tech.homeCell);
    await page.click('[data-testid="rp-request"]');

    // queued, then built in the background: the screen polls until it is ready
    await page.waitForSelector('[data-testid="rp-plan"][data-status="ready"]');
    const status = (await page.textContent('[data-testid="rp-status"]')).trim();
    assert.ok(status.length > 0 && status !== "ready", `a status in words, not a code: ${status}`);
    const plans = await api.ok(
      "GET",
      `/v1/admin/route-plans?cellId=${tech.homeCell}&date=${await page.inputValue('[data-testid="rp-date"]')}`,
      {
        token: operator.token,
      },
    );
    assert.equal(plans.items.length, 1);
    assert.equal(plans.items[0].status, "ready");
    assert.equal(String(plans.items[0].moves.length), (await page.textContent('[data-testid="rp-moves"]')).trim());

    await page.click('[data-testid="rp-accept"]');
    await page.waitForSelector('[data-testid="rp-plan"][data-status="accepted"]');
    const accepted = await api.ok("GET", `/v1/admin/route-plans/${plans.items[0].id}`, { token: operator.token });
    assert.equal(accepted.status, "accepted");
    await page.close();
  });
});
