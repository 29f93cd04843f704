// A team plan's proposed new times in real Chromium against a real local Doorstep: four electrical
// visits zigzag across one technician's day (west, east, west, east of their home cell); the operator
// requests a plan on the Routes screen, sees the proposed times with the figures they bring, and
// accepts with the new times; the orders then start at the proposed times.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cellToLatLng } from "h3-js";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { demoWorkday, signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 129;
const OPERATOR = "+8613800000001";
const SERVICE = "svc_demoElectrical";
/** Working days of the demo electricians ahead (see demoWorkday). */
const DAYS_AHEAD = 5;

let server;
let browser;
let api;
let operator;

before(async () => {
  // A wide tolerance, so that the zigzag can be undone whatever else the demo day holds.
  server = await startLocalServer({ port: PORT, vars: { ROUTE_PLAN_TIME_PROPOSAL_MINUTES: "240" } });
  api = new Client(server.url);
  operator = await api.signIn(OPERATOR);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Books the electrical service for a new customer at `point`, at `hhmm` on the date (after service payment). */
async function book(n, point, date, hhmm) {
  const customer = await api.signIn(`+86137000009${String(n).padStart(2, "0")}`);
  const address = await api.ok("POST", "/v1/me/addresses", {
    token: customer.token,
    body: { label: "家", text: `测试路 ${n} 号`, lat: point.lat, lng: point.lng, contactName: "张三", contactPhone: "13912345678" },
  });
  const quote = await api.ok("POST", "/v1/quotes", {
    token: customer.token,
    body: { serviceId: SERVICE, lat: point.lat, lng: point.lng, start: `${date}T${hhmm}:00+08:00` },
  });
  return api.ok("POST", "/v1/orders", {
    token: customer.token,
    key: `proposal-${n}-${Date.now()}`,
    body: { quoteId: quote.id, addressId: address.id, start: quote.start, paymentPlan: "after_service" },
  });
}

describe("route plan proposals", () => {
  it("lists the proposed new times and applies them with the plan", async () => {
    const date = demoWorkday(DAYS_AHEAD);
    // An electrical technician: the one the first booking (another day) went to.
    const first = await book(1, { lat: 31.2381, lng: 121.4786 }, demoWorkday(DAYS_AHEAD + 1), "09:00");
    const tech = await api.ok("GET", `/v1/admin/technicians/${first.technician.id}`, { token: operator.token });
    const [lat, lng] = cellToLatLng(tech.homeCell);
    const west = { lat, lng: lng - 0.012 };
    const east = { lat, lng: lng + 0.012 };
    // West 09:00, east 10:30, west 12:00, east 13:30: put on one technician by the dispatcher.
    const orders = [];
    for (const [n, point, hhmm] of [
      [2, west, "09:00"],
      [3, east, "10:30"],
      [4, west, "12:00"],
      [5, east, "13:30"],
    ]) {
      orders.push(await book(n, point, date, hhmm));
    }
    const moved = await api.call("POST", `/v1/admin/cells/${tech.homeCell}/moves`, {
      token: operator.token,
      body: { moves: orders.map((o) => ({ orderId: o.id, technicianId: tech.id, start: o.start, end: o.end })) },
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));

    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="routes"]');
    await page.waitForSelector('[data-testid="rp-cell"]');
    await page.selectOption('[data-testid="rp-cell"]', tech.homeCell);
    await page.fill('[data-testid="rp-date"]', date);
    await page.click('[data-testid="rp-request"]');
    await page.waitForSelector('[data-testid="rp-plan"][data-status="ready"]');

    const plans = await api.ok("GET", `/v1/admin/route-plans?cellId=${tech.homeCell}&date=${date}`, { token: operator.token });
    const plan = plans.items[0];
    assert.ok(plan.proposals.length > 0, "the zigzag brings proposals");
    assert.ok(plan.withProposals.travelMinutes < plan.after.travelMinutes);
    const rows = await page.$$('[data-testid="rp-proposal"]');
    assert.equal(rows.length, plan.proposals.length);
    const shown = await page.$$eval('[data-testid="rp-proposed-start"]', (cells) => cells.map((c) => c.textContent.trim()));
    assert.deepEqual(
      shown,
      plan.proposals.map((p) => p.start.slice(11, 16)),
    );
    const hint = await page.textContent('[data-testid="rp-proposals"]');
    assert.ok(/客户|customers/.test(hint), hint);

    await page.click('[data-testid="rp-accept-all"]');
    await page.waitForSelector('[data-testid="rp-plan"][data-status="accepted"]');
    await page.waitForSelector('[data-testid="rp-applied"]');
    for (const p of plan.proposals) {
      const order = await api.ok("GET", `/v1/admin/orders/${p.orderId}`, { token: operator.token });
      assert.equal(Date.parse(order.start), Date.parse(p.start), `${p.orderId} starts at the proposed time`);
    }
    await page.close();
  });
});
