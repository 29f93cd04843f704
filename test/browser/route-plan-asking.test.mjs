/* global document -- inside page functions, which run in the browser */
// Asking the customers in the app, in real Chromium against a real local Doorstep: four electrical
// visits zigzag across one technician's day; the operator requests a plan on the Routes screen and
// asks the customers; the screen shows the technician's group waiting; the customers approve through
// the API (their list of time proposals) and the screen shows the group applied; the orders then start
// at the proposed times. On another day the operator withdraws a waiting group with its button: it shows
// dropped as withdrawn, the customers read it as off, and every order keeps its time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cellToLatLng } from "h3-js";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { demoWorkday, signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 135;
const OPERATOR = "+8613800000001";
const SERVICE = "svc_demoElectrical";
/** Working days of the demo electricians ahead (see demoWorkday). */
const DAYS_AHEAD = 6;

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

/** Books the electrical service for a new customer at `point`, at `hhmm` on the date; answers the order and the customer. */
async function book(n, point, date, hhmm) {
  const customer = await api.signIn(`+86137000007${String(n).padStart(2, "0")}`);
  const address = await api.ok("POST", "/v1/me/addresses", {
    token: customer.token,
    body: { label: "家", text: `测试路 ${n} 号`, lat: point.lat, lng: point.lng, contactName: "张三", contactPhone: "13912345678" },
  });
  const quote = await api.ok("POST", "/v1/quotes", {
    token: customer.token,
    body: { serviceId: SERVICE, lat: point.lat, lng: point.lng, start: `${date}T${hhmm}:00+08:00` },
  });
  const order = await api.ok("POST", "/v1/orders", {
    token: customer.token,
    key: `asking-${n}-${Date.now()}`,
    body: { quoteId: quote.id, addressId: address.id, start: quote.start, paymentPlan: "after_service" },
  });
  return { order, customer };
}

/**
 * Four electrical visits zigzagging across one technician's day `daysAhead` working days ahead (customers numbered from
 * `n`), then the Routes screen open on a ready plan of that day: answers the page, the technician,
 * the bookings, the date and the plan.
 */
async function zigzagPlan(n, daysAhead) {
  const date = demoWorkday(daysAhead);
  // An electrical technician: the one the first booking (another day) went to.
  const first = await book(n, { lat: 31.2381, lng: 121.4786 }, demoWorkday(daysAhead + 1), "09:00");
  const tech = await api.ok("GET", `/v1/admin/technicians/${first.order.technician.id}`, { token: operator.token });
  const [lat, lng] = cellToLatLng(tech.homeCell);
  const west = { lat, lng: lng - 0.012 };
  const east = { lat, lng: lng + 0.012 };
  const booked = [];
  for (const [i, point, hhmm] of [
    [1, west, "09:00"],
    [2, east, "10:30"],
    [3, west, "12:00"],
    [4, east, "13:30"],
  ]) {
    booked.push(await book(n + i, point, date, hhmm));
  }
  const moved = await api.call("POST", `/v1/admin/cells/${tech.homeCell}/moves`, {
    token: operator.token,
    body: { moves: booked.map(({ order: o }) => ({ orderId: o.id, technicianId: tech.id, start: o.start, end: o.end })) },
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
  const plan = (await api.ok("GET", `/v1/admin/route-plans?cellId=${tech.homeCell}&date=${date}`, { token: operator.token })).items[0];
  return { page, tech, booked, date, plan };
}

describe("asking the customers for a plan's new times", () => {
  it("asks from the Routes screen, and shows the technician's group applied once its customers approved", async () => {
    const { page, tech, booked, plan } = await zigzagPlan(1, DAYS_AHEAD);
    const ours = plan.proposals.filter((p) => p.technicianId === tech.id);
    assert.ok(ours.length >= 2, "the zigzag brings proposals on the technician's day");

    await page.click('[data-testid="rp-ask"]');
    await page.waitForSelector('[data-testid="rp-plan"][data-status="accepted"]');
    await page.waitForSelector('[data-testid="rp-group"][data-status="waiting"]');
    const asks = await api.ok("GET", `/v1/admin/route-plans/${plan.id}/asks`, { token: operator.token });
    const group = asks.groups.find((g) => g.technicianId === tech.id);
    assert.equal(group.status, "waiting");
    assert.equal(group.size, ours.length);
    const waitingText = await page.textContent('[data-testid="rp-group"][data-status="waiting"] [data-testid="rp-group-state"]');
    assert.match(waitingText, new RegExp(`已同意 0/${group.size}`));
    assert.doesNotMatch(waitingText, /\bwaiting\b|rp_/);

    // Each customer of the group finds the question in the app and approves it.
    const byOrder = new Map(booked.map((b) => [b.order.id, b]));
    for (const o of group.orders) {
      const { customer } = byOrder.get(o.orderId);
      const mine = await api.ok("GET", "/v1/me/time-proposals", { token: customer.token });
      const q = mine.items.find((x) => x.orderId === o.orderId);
      assert.equal(q.state, "open");
      assert.ok(q.text.zh.length > 0 && q.text.en.length > 0);
      await api.ok("POST", `/v1/me/time-proposals/${q.id}/approve`, { token: customer.token });
    }

    // The screen polls the groups: applied.
    await page.waitForSelector('[data-testid="rp-group"][data-status="applied"]');
    assert.match(await page.textContent('[data-testid="rp-group"][data-status="applied"] [data-testid="rp-group-state"]'), /已应用/);
    for (const p of ours) {
      const order = await api.ok("GET", `/v1/admin/orders/${p.orderId}`, { token: operator.token });
      assert.equal(Date.parse(order.start), Date.parse(p.start), `${p.orderId} starts at the proposed time`);
    }
    await page.click('[data-testid="lang"]');
    await page.waitForFunction(() =>
      /applied/.test(document.querySelector('[data-testid="rp-group"][data-status="applied"]')?.textContent ?? ""),
    );
    assert.match(await page.textContent('[data-testid="rp-asks"] h3'), /Asking the customers/);
    await page.close();
  });

  it("withdraws the waiting group from the Routes screen: dropped as withdrawn, nothing moved", async () => {
    const { page, tech, booked, plan } = await zigzagPlan(11, DAYS_AHEAD + 3);
    assert.ok(plan.proposals.filter((p) => p.technicianId === tech.id).length >= 2, "the zigzag brings proposals on the technician's day");

    await page.click('[data-testid="rp-ask"]');
    await page.waitForSelector('[data-testid="rp-group"][data-status="waiting"] [data-testid="rp-withdraw"]');
    const group = (await api.ok("GET", `/v1/admin/route-plans/${plan.id}/asks`, { token: operator.token })).groups.find(
      (g) => g.technicianId === tech.id,
    );
    const byOrder = new Map(booked.map((b) => [b.order.id, b]));
    const starts = new Map();
    for (const o of group.orders)
      starts.set(o.orderId, (await api.ok("GET", `/v1/admin/orders/${o.orderId}`, { token: operator.token })).start);
    // One customer approves before the operator withdraws.
    const one = byOrder.get(group.orders[0].orderId).customer;
    const q = (await api.ok("GET", "/v1/me/time-proposals", { token: one.token })).items[0];
    await api.ok("POST", `/v1/me/time-proposals/${q.id}/approve`, { token: one.token });

    await page.click('[data-testid="rp-group"][data-status="waiting"] [data-testid="rp-withdraw"]');
    await page.waitForSelector('[data-testid="rp-group"][data-status="dropped"]');
    const dropped = await page.textContent('[data-testid="rp-group"][data-status="dropped"] [data-testid="rp-group-state"]');
    assert.match(dropped, /调度员已撤回/);
    assert.doesNotMatch(dropped, /withdrawn|rp_/);
    assert.equal(await page.locator('[data-testid="rp-withdraw"]').count(), 0);

    for (const o of group.orders) {
      const { customer } = byOrder.get(o.orderId);
      const mine = (await api.ok("GET", "/v1/me/time-proposals", { token: customer.token })).items.find((x) => x.orderId === o.orderId);
      assert.equal(mine.state, "dropped");
      assert.equal(mine.reason, "withdrawn");
      const order = await api.ok("GET", `/v1/admin/orders/${o.orderId}`, { token: operator.token });
      assert.equal(order.start, starts.get(o.orderId), `${o.orderId} keeps its time`);
    }

    await page.click('[data-testid="lang"]');
    await page.waitForFunction(() =>
      /withdrew/.test(document.querySelector('[data-testid="rp-group"][data-status="dropped"]')?.textContent ?? ""),
    );
    await page.close();
  });
});
