// The after-sales ticket screen in real Chromium against a real local Doorstep: a customer's ticket
// about a completed, paid order is found in the queue, its log and support conversation read, the
// customer answered in that conversation, and resolved by an operator with a free rework visit by the
// same technician, booked through the cell like any order.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers (helper 5: 40 + 5 × 3)
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 55;
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000007";

let server;
let browser;
let api;
let customer;
/** The completed, paid order, its technician and the customer's ticket about it. */
const world = {};

/** A free start for `technicianId` on `serviceId` at the customer's address, from the day after tomorrow. */
async function freeStart(serviceId, technicianId, notBefore) {
  const addresses = await api.ok("GET", "/v1/me/addresses", { token: customer.token });
  const a = addresses.items[0];
  for (let d = 2; d < 10; d++) {
    const date = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(
      new Date(Date.now() + d * 86_400_000),
    );
    const q = new URLSearchParams({ serviceId, lat: String(a.lat), lng: String(a.lng), date, technicianId });
    const avail = await api.ok("GET", `/v1/availability?${q}`, { token: customer.token });
    const slot = avail.slots.find((s) => s.available > 0 && Date.parse(s.start) > notBefore);
    if (slot) return slot.start;
  }
  throw new Error("no free time for the rework");
}

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  customer = await api.signIn(CUSTOMER);
  const booked = await api.bookFirstFree(customer, "svc_demoDeepCleaning", { fromDay: 1, paymentPlan: "full" });
  assert.ok(booked, "a free time for the first visit");
  const paid = await api.payWithSandbox(customer, booked.id);
  assert.equal(paid.status, "assigned", `paid and dispatched: ${paid.status}`);
  const tech = await api.signIn(`+86139000000${paid.technician.id.slice(-2)}`);
  await api.completeVisit(tech, paid.id, booked.startCode);
  world.order = paid;
  world.technicianId = paid.technician.id;
  world.ticket = await api.ok("POST", `/v1/orders/${paid.id}/tickets`, {
    token: customer.token,
    body: { category: "quality", description: "厨房油污没有清理" },
  });
  await api.ok("POST", `/v1/tickets/${world.ticket.id}/entries`, { token: tech.token, body: { body: "客户当时确认满意" } });
  await api.ok("POST", `/v1/tickets/${world.ticket.id}/messages`, { token: customer.token, body: { text: "请尽快安排返工" } });
  world.reworkStart = await freeStart("svc_demoDeepCleaning", world.technicianId, Date.parse(paid.start ?? booked.start));
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("operator", () => {
  it("resolves a ticket with a free rework visit by the same technician", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="tickets"]');
    const row = `[data-testid="tickets-table"] tr[data-ticket="${world.ticket.id}"]`;
    await page.waitForSelector(row);
    // the quality filter keeps it, the safety filter hides it
    await page.selectOption('select[name="ticketCategory"]', "safety");
    await page.waitForSelector(row, { state: "detached" });
    await page.selectOption('select[name="ticketCategory"]', "quality");
    await page.click(`[data-testid="open-ticket-${world.ticket.id}"]`);
    await page.waitForSelector('[data-testid="ticket-detail"][data-status="open"]');
    // the log: the customer's statement and the technician's appeal
    await page.waitForSelector('[data-testid="ticket-log"] li[data-kind="appeal"]');
    assert.match(await page.textContent('[data-testid="ticket-log"]'), /客户当时确认满意/);
    // the support conversation: the customer's message, then the operator's reply from the ticket
    await page.waitForSelector('[data-testid="ticket-conversation"] li[data-side="customer"]');
    assert.match(await page.textContent('[data-testid="ticket-conversation"]'), /请尽快安排返工/);
    await page.fill('textarea[name="ticketMessage"]', "已为您安排返工，请留意时间");
    await page.click('[data-testid="send-ticket-message"]');
    await page.waitForSelector('[data-testid="ticket-conversation"] li[data-side="staff"]');
    assert.match(await page.textContent('[data-testid="ticket-conversation"] li[data-side="staff"]'), /已为您安排返工/);
    const seen = await api.ok("GET", `/v1/tickets/${world.ticket.id}`, { token: customer.token });
    assert.deepEqual(
      seen.conversation.messages.map((m) => [m.senderSide, m.text]),
      [
        ["customer", "请尽快安排返工"],
        ["staff", "已为您安排返工，请留意时间"],
      ],
    );
    assert.ok(seen.sla.firstRespondedAt, "the reply is the ticket's first response");
    await page.fill('input[name="ticketReason"]', "返工重新清洁厨房");
    await page.check('input[name="partRework"]');
    // datetime-local takes the browser's local time
    const local = await page.evaluate((iso) => {
      const d = new Date(iso);
      return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    }, world.reworkStart);
    await page.fill('input[name="reworkStart"]', local);
    await page.click('[data-testid="resolve-ticket"]');
    await page.waitForSelector('[data-testid="ticket-detail"][data-status="resolved"]');
    await page.waitForSelector('[data-testid="resolution-rework"]');

    const operator = await api.signIn(OPERATOR);
    const ticket = await api.ok("GET", `/v1/tickets/${world.ticket.id}`, { token: operator.token });
    assert.equal(ticket.status, "resolved");
    assert.ok(ticket.reworkOrderId);
    assert.match(await page.textContent('[data-testid="resolution-rework"]'), new RegExp(ticket.reworkOrderId));
    const rework = await api.ok("GET", `/v1/orders/${ticket.reworkOrderId}`, { token: customer.token });
    assert.equal(rework.total.amount, 0);
    assert.equal(rework.technician.id, world.technicianId);
    assert.equal(Date.parse(rework.start), Date.parse(world.reworkStart));
    // in the technician's calendar, held or booked, once
    const from = new Date(Date.parse(world.reworkStart) - 3_600_000).toISOString();
    const to = new Date(Date.parse(world.reworkStart) + 6 * 3_600_000).toISOString();
    const schedule = await api.ok(
      "GET",
      `/v1/admin/technicians/${world.technicianId}/schedule?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
      { token: operator.token },
    );
    assert.equal(schedule.items.filter((i) => i.orderId === ticket.reworkOrderId).length, 1);
    await page.close();
  });
});
