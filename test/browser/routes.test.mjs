// A technician's day route in the dashboard in real Chromium against a real local Doorstep: a customer
// books a demo service, an operator opens the technician who got it, picks the visit's day and sees
// the visit as a stop of the day's route with its time and its map hand-off links.
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
});
