// Recurring visits in real Chromium against a real local Doorstep: an operator creates a weekly
// series for a customer (the visits are booked through the cell as orders) and skips one visit,
// whose order is cancelled under the service's policy while the series goes on.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers (helper 5: 70 + 5 × 3)
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 85;
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000085";
const SERVICE = "svc_demoCleaning2h"; // paid in full or after the service: a series pays each visit after it
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

let server;
let browser;
let api;
let customer;
let address;

/** The local date `days` ahead in Shanghai, YYYY-MM-DD. */
const localDay = (days) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(Date.now() + days * 86_400_000),
  );

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  customer = await api.signIn(CUSTOMER);
  const addresses = await api.ok("GET", "/v1/me/addresses", { token: customer.token });
  address =
    addresses.items[0] ??
    (await api.ok("POST", "/v1/me/addresses", {
      token: customer.token,
      body: { label: "家", text: "淮海中路 1 号 1201 室", lat: 31.2304, lng: 121.4737, contactName: "王阿姨", contactPhone: "13912345678" },
    }));
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("operator", () => {
  it("creates a weekly series for a customer and skips one visit", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="series"]');
    await page.waitForSelector('[data-testid="series-create"]');
    // Nothing is waiting to be booked in the demo city: the staff list says so in words.
    assert.match(
      (await page.textContent('[data-testid="unbookable-none"]')) ?? "",
      /没有未能预约的上门。|No visit is waiting for a booking\./,
    );

    const startDate = localDay(3);
    const weekday = DAYS[(new Date(`${startDate}T00:00:00Z`).getUTCDay() + 6) % 7];
    await page.fill('[data-testid="series-create"] input[name="customerId"]', customer.me.id);
    await page.fill('[data-testid="series-create"] input[name="addressId"]', address.id);
    await page.selectOption('[data-testid="series-create"] select[name="serviceId"]', SERVICE);
    await page.selectOption('[data-testid="series-create"] select[name="day"]', weekday);
    await page.fill('[data-testid="series-create"] input[name="timeOfDay"]', "09:00");
    await page.fill('[data-testid="series-create"] input[name="startDate"]', startDate);
    await page.fill('[data-testid="series-create"] input[name="count"]', "2");
    await page.click('[data-testid="series-create-submit"]');
    await page.waitForSelector('[data-testid="series-table"] tr[data-series]');

    // The new series, its first visit booked at 09:00 local time as an order.
    const mine = await api.ok("GET", "/v1/series?mine=true", { token: customer.token });
    assert.equal(mine.items.length, 1, "the customer sees the series the operator created");
    const series = mine.items[0];
    assert.equal(series.rrule, `FREQ=WEEKLY;INTERVAL=1;BYDAY=${weekday.slice(0, 2).toUpperCase()};COUNT=2`);
    const first = series.visits[0];
    assert.equal(first.date, startDate);
    assert.equal(first.status, "booked");
    assert.equal(first.start, `${startDate}T09:00:00+08:00`);
    const visit = `[data-series="${series.id}"] li[data-visit="${startDate}"]`;
    await page.waitForSelector(`${visit}[data-visit-status="booked"]`);

    await page.click(`[data-testid="skip-${series.id}-${startDate}"]`);
    await page.waitForSelector(`${visit}[data-visit-status="skipped"]`);
    assert.match(await page.textContent(visit), /已跳过|skipped/);
    await page.waitForSelector(`[data-series="${series.id}"][data-status="active"]`);

    const order = await api.ok("GET", `/v1/orders/${first.orderId}`, { token: customer.token });
    assert.equal(order.status, "cancelled", "the skipped visit's order is cancelled");
    const after = await api.ok("GET", `/v1/series/${series.id}`, { token: customer.token });
    assert.deepEqual(
      after.visits.map((v) => [v.date, v.status]),
      series.visits.map((v) => [v.date, v.date === startDate ? "skipped" : v.status]),
    );
    await page.close();
  });
});
