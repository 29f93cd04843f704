/* global document -- inside page functions, which run in the browser */
// A technician's day route in the dashboard in real Chromium against a real local Doorstep: a customer
// books a demo service, an operator opens the technician who got it, picks the visit's day and sees
// the visit as a stop of the day's route with its time and its map hand-off links; a flexible-window
// visit's day is planned off the request: the drawer shows it being planned, then the plan's state.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 100;
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000002";

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

describe("day routes", () => {
  it("an operator sees a booked visit as a stop of its technician's day route, with links to the map apps", async () => {
    const customer = await api.signIn(CUSTOMER);
    const order = await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 1 });
    assert.ok(order, "a free time to book");
    const assigned = await api.ok("GET", `/v1/orders/${order.id}`, { token: customer.token });
    const techId = assigned.technician?.id;
    assert.ok(techId, "the order has a technician");
    const date = assigned.start.slice(0, 10);
    const operator = await api.signIn(OPERATOR);
    const route = await api.ok("GET", `/v1/admin/technicians/${techId}/route?date=${date}`, { token: operator.token });
    assert.ok(route.stops.some((s) => s.orderId === order.id));

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="technicians"]');
    await page.click(`tr[data-technician-id="${techId}"]`);
    await page.fill('input[name="routeDate"]', date);
    await page.dispatchEvent('input[name="routeDate"]', "change");
    const row = `[data-testid="day-route"] tr[data-order-id="${order.id}"]`;
    await page.waitForSelector(row);
    assert.ok((await page.textContent(row)).includes(assigned.start.slice(11, 16)));
    const links = await page.$$eval(`${row} a`, (as) => as.map((a) => a.getAttribute("href")));
    assert.equal(links.length, 4);
    assert.ok(links[0].startsWith("https://uri.amap.com/navigation?"));
    assert.ok(links[1].startsWith("https://api.map.baidu.com/direction?"));
    assert.match(await page.textContent('[data-testid="day-route"] thead'), /预计到达|ETA/);
    assert.doesNotMatch(await page.textContent(row), /route_|en_route|assigned/);
  });

  it("shows the day plan of a flexible-window visit: being planned off the request, then its state", async () => {
    const customer = await api.signIn(CUSTOMER);
    const address = (await api.ok("GET", "/v1/me/addresses", { token: customer.token })).items[0];
    let order = null;
    for (let d = 2; d < 6 && !order; d++) {
      const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(
        new Date(Date.now() + d * 86_400_000),
      );
      const window = { start: `${day}T09:00:00+08:00`, end: `${day}T15:00:00+08:00` };
      const q = await api.call("POST", "/v1/quotes", {
        token: customer.token,
        body: { serviceId: "svc_demoElectrical", lat: address.lat, lng: address.lng, window },
      });
      if (q.status !== 201) continue;
      const r = await api.call("POST", "/v1/orders", {
        token: customer.token,
        key: `flex-${Date.now()}-${Math.random()}`,
        body: { quoteId: q.body.id, addressId: address.id, start: q.body.start, paymentPlan: "after_service" },
      });
      if (r.status === 201) order = r.body;
    }
    assert.ok(order, "a window to book");
    const booked = await api.ok("GET", `/v1/orders/${order.id}`, { token: customer.token });
    const techId = booked.technician?.id;
    assert.ok(techId, "the order has a technician");
    assert.ok(booked.window, "a flexible-window order");
    const date = booked.start.slice(0, 10);
    const operator = await api.signIn(OPERATOR);
    // the read never plans: the day's first read answers that it is being planned
    const first = await api.ok("GET", `/v1/admin/technicians/${techId}/route?date=${date}`, { token: operator.token });
    assert.equal(first.proposalStatus, "planning");
    assert.equal(first.proposal, null);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="technicians"]');
    await page.click(`tr[data-technician-id="${techId}"]`);
    await page.fill('input[name="routeDate"]', date);
    await page.dispatchEvent('input[name="routeDate"]', "change");
    await page.waitForSelector(`[data-testid="day-route"] tr[data-order-id="${order.id}"]`);
    // the drawer reads the day again until the queue consumer stored its plan, then shows its state
    const status = '[data-testid="route-proposal-status"]';
    await page.waitForFunction((sel) => {
      const text = document.querySelector(sel)?.textContent ?? "";
      return text !== "" && !/规划中|正在规划|Planning/.test(text);
    }, status);
    const done = await api.ok("GET", `/v1/admin/technicians/${techId}/route?date=${date}`, { token: operator.token });
    assert.notEqual(done.proposalStatus, "planning");
    const shown = await page.textContent(status);
    assert.ok([done.proposalStatusText.zh, done.proposalStatusText.en].includes(shown.trim()), shown);
    if (done.proposal) await page.waitForSelector('[data-testid="route-proposal"]');
    assert.doesNotMatch(await page.textContent("body"), /route_plan|route_saves|proposalStatus/);
  });
});
