/* global document, localStorage -- inside page functions, which run in the browser */
// The dashboard in real Chromium against a real local Doorstep (wrangler dev, fresh state, demo data).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800);
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";

let server;
let browser;
let api;
let page;
const online = [];

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  // Eight technicians of the demo city go on duty and report positions near home.
  const admin = await api.signIn("+8613800000000");
  for (let n = 1; n <= 8; n++) {
    const tech = await api.signIn(`+861390000000${n}`);
    const profile = await api.ok("GET", `/v1/admin/technicians/${tech.me.technician.id}`, { token: admin.token });
    await api.online(tech);
    await api.position(tech, { lat: profile.home.lat + 0.004, lng: profile.home.lng + 0.004 });
    online.push({ tech, profile });
  }
  browser = await openBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("operator", () => {
  it("signs in by OTP and sees the technicians on duty on the live map", async () => {
    await signInThroughUi(page, server.url, OPERATOR);
    await page.waitForSelector("svg.map polygon[data-cell]");
    const ids = online.map(({ tech }) => tech.me.technician.id);
    // the technicians are dots on the map's canvas; it tells where it drew each
    await page.waitForFunction(
      (all) => all.every((id) => document.querySelector("canvas.tech-layer")?.markerOf?.(id)?.state === "online"),
      ids,
    );
    // a technician that moves is redrawn where it reported
    const { tech, profile } = online[0];
    const id = tech.me.technician.id;
    const markerOf = (tid) => page.evaluate((x) => document.querySelector("canvas.tech-layer").markerOf(x), tid);
    const before = await markerOf(id);
    await api.position(tech, { lat: profile.home.lat - 0.01, lng: profile.home.lng - 0.01 });
    await page.waitForFunction(
      ([tid, was]) => {
        const m = document.querySelector("canvas.tech-layer")?.markerOf?.(tid);
        return m && (m.x !== was.x || m.y !== was.y);
      },
      [id, before],
    );
  });

  it("sees a new order appear live on the map", async () => {
    const customer = await api.signIn("+8613700000001");
    const order = await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 1 });
    assert.ok(order, "a free time was found");
    await page.waitForSelector(`path.order-pin[data-order-id="${order.id}"]`, { timeout: 10_000 });
    // pins may overlap: the click goes to this pin itself, wherever others lie
    await page.dispatchEvent(`path.order-pin[data-order-id="${order.id}"]`, "click");
    await page.waitForSelector('[data-testid="map-details"]');
    assert.match(await page.textContent('[data-testid="map-details"]'), new RegExp(order.id));
  });

  it("assigns an order from the exception queue using the ranked candidates", async () => {
    const operator = await api.signIn(OPERATOR);
    const customer = await api.signIn("+8613700000002");
    const booked = await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 1 });
    assert.ok(booked, "a free time was found");
    // Every technician it is offered to declines, until dispatch gives up and queues it for operators.
    const order = await api.declineUntilQueued(operator, booked);
    // declined too often, or nobody free left who has not declined
    assert.ok(["max_rounds", "no_candidate"].includes(order.exception), order.exception);
    await page.click('a[data-nav="exceptions"]');
    await page.click(`tr[data-order-id="${order.id}"]`);
    await page.waitForSelector('[data-testid="candidates"] button');
    const candidate = await page.getAttribute('[data-testid="candidates"] tr[data-candidate]', "data-candidate");
    await page.click(`[data-testid="assign-${candidate}"]`);
    await page.waitForSelector('[data-testid="order-drawer"][data-status="assigned"]');
    assert.match(await page.textContent('[data-testid="order-technician"]'), new RegExp(candidate));
    const check = await api.ok("GET", `/v1/admin/orders/${order.id}`, { token: operator.token });
    assert.equal(check.technician.id, candidate);
    assert.equal(check.status, "assigned");
    assert.equal(check.exception, null);
  });
});

describe("merchant admin", () => {
  it("sees its own merchant's orders and none of another merchant's", async () => {
    const customer = await api.signIn("+8613700000003");
    const own = await api.bookFirstFree(customer, "svc_demoCleaning2h", { fromDay: 2 });
    const foreign = await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 1 });
    assert.ok(own, "the own booking found a free time");
    assert.ok(foreign, "the foreign booking found a free time");
    await page.evaluate(() => localStorage.clear());
    const p = await browser.context.newPage();
    p.setDefaultTimeout(15_000);
    await signInThroughUi(p, server.url, MERCHANT_ADMIN_1);
    await p.click('a[data-nav="orders"]');
    await p.waitForSelector(`tr[data-order-id="${own.id}"]`);
    const merchants = await p.$$eval("tr[data-order-id]", (rows) => rows.map((r) => r.getAttribute("data-merchant-id")));
    assert.ok(merchants.length >= 1);
    assert.deepEqual([...new Set(merchants)], ["mch_demo01"]);
    assert.equal(await p.$(`tr[data-order-id="${foreign.id}"]`), null);
    // nor on the map
    await p.click('a[data-nav="map"]');
    await p.waitForSelector(`path.order-pin[data-order-id="${own.id}"]`);
    assert.equal(await p.$(`path.order-pin[data-order-id="${foreign.id}"]`), null);
    await p.close();
  });
});
