// A flexible-window order in the dashboard in real Chromium against a real local Doorstep: a customer
// accepts a window instead of an exact start, an operator opens the orders screen and sees the
// window on the order's row and in its details, in the city's time.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 124;
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000003";
const SERVICE = "svc_demoElectrical";

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

/** "HH:MM" of a zoned ISO time ("2026-12-06T09:00:00+08:00"). */
const hhmm = (iso) => iso.slice(11, 16);

/** Books a window of six hours from the first free time a few days ahead. */
async function bookWindow(customer) {
  const addresses = await api.ok("GET", "/v1/me/addresses", { token: customer.token });
  const address = addresses.items[0];
  for (let d = 2; d < 6; d++) {
    const date = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(
      new Date(Date.now() + d * 86_400_000),
    );
    const q = new URLSearchParams({ serviceId: SERVICE, lat: String(address.lat), lng: String(address.lng), date });
    const avail = await api.call("GET", `/v1/availability?${q}`, { token: customer.token });
    const free = avail.status === 200 ? avail.body.slots.filter((s) => s.available > 0) : [];
    if (free.length === 0) continue;
    const start = free[0].start;
    const end = new Date(Date.parse(start) + 6 * 3_600_000).toISOString();
    const quote = await api.ok("POST", "/v1/quotes", {
      token: customer.token,
      body: { serviceId: SERVICE, lat: address.lat, lng: address.lng, window: { start, end } },
    });
    const r = await api.call("POST", "/v1/orders", {
      token: customer.token,
      key: `window-${Date.now()}`,
      body: { quoteId: quote.id, addressId: address.id, start: quote.start, paymentPlan: "after_service" },
    });
    if (r.status === 201) return r.body;
  }
  return null;
}

describe("flexible-window orders", () => {
  it("an operator sees a flexible-window order's window on the orders screen", async () => {
    const customer = await api.signIn(CUSTOMER);
    const order = await bookWindow(customer);
    assert.ok(order, "a window to book");
    assert.ok(order.window, "the order keeps its window");

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="orders"]');
    const row = `tr[data-order-id="${order.id}"]`;
    await page.waitForSelector(row);
    const badge = await page.textContent(`${row} [data-testid="order-window-badge"]`);
    assert.ok(badge.includes(`${hhmm(order.window.start)}–${hhmm(order.window.end)}`), badge);
    await page.click(row);
    await page.waitForSelector('[data-testid="order-window"]');
    const shown = await page.textContent('[data-testid="order-window"]');
    assert.ok(shown.includes(`${hhmm(order.window.start)}–${hhmm(order.window.end)}`), shown);
    assert.match(await page.textContent(".drawer, [role=dialog], body"), /预约时段|Window/);
  });
});
