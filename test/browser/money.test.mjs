/* global location -- inside page functions, which run in the browser */
// The money screen, the order drawer's refunds and the catalog editor in real Chromium against a
// real local Doorstep. Paid orders are made through the public API: booked with full payment, paid
// through the sandbox provider (its signed notification goes through the verifying webhook code),
// visited and completed by their technician, then complained about by the customer.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, next to the other browser tests' server
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 4;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";

let server;
let browser;
let api;
/** Per merchant: the completed paid order, its complaint's refund request, its technician's withdrawal. */
const money = {};

/** A paid, completed order of `serviceId` with a complaint waiting, and a withdrawal by its technician. */
async function complainedOrder(customerPhone, serviceId) {
  const customer = await api.signIn(customerPhone);
  const booked = await api.bookFirstFree(customer, serviceId, { fromDay: 1, paymentPlan: "full" });
  assert.ok(booked, `a free time for ${serviceId}`);
  assert.equal(booked.status, "pending_payment");
  const paid = await api.payWithSandbox(customer, booked.id);
  assert.equal(paid.status, "assigned", `paid and dispatched: ${paid.status}`);
  const tech = await api.signIn(`+86139000000${paid.technician.id.slice(-2)}`);
  await api.completeVisit(tech, paid.id, booked.startCode);
  const complaint = await api.ok("POST", `/v1/orders/${paid.id}/complaints`, { token: customer.token, body: { reason: "地板没擦干净" } });
  const withdrawal = await api.ok("POST", "/v1/technician/withdrawals", {
    token: tech.token,
    key: `w-${paid.id}`,
    body: { amount: 1000 },
  });
  return { order: paid, refund: complaint.items[0], withdrawal, technicianId: paid.technician.id };
}

before(async () => {
  // Earnings can be withdrawn at once, so the withdrawal queue has something to show.
  server = await startLocalServer({ port: PORT, vars: { SETTLEMENT_DELAY_HOURS: "0" } });
  api = new Client(server.url);
  money.own = await complainedOrder("+8613700000004", "svc_demoDeepCleaning"); // 洁家家政 mch_demo01
  money.foreign = await complainedOrder("+8613700000005", "svc_demoElectrical"); // 快修师傅 mch_demo02
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("operator", () => {
  it("approves a complaint's refund on the money screen, and the order becomes refunded", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="money"]');
    const row = `[data-testid="refunds-table"] tr[data-refund-id="${money.own.refund.id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.getAttribute(row, "data-status"), "pending_approval");
    // operators see the reconciliation and the commission rules too
    assert.ok(await page.$('[data-tab="reconciliation"]'));
    assert.ok(await page.$('[data-tab="commission"]'));
    await page.click(`${row} [data-testid="approve-refund"]`);
    // it leaves the approval queue once decided
    await page.waitForSelector(row, { state: "detached" });
    await page.selectOption('select[name="refundStatus"]', "");
    await page.waitForSelector(`${row}[data-status="succeeded"]`);
    // the order's drawer shows it refunded, with the refund and the payment it went back to
    await page.click(`${row} a[href="#/orders/${money.own.order.id}"]`);
    await page.waitForSelector('[data-testid="order-drawer"][data-status="refunded"]');
    await page.waitForSelector(`[data-testid="order-refunds"] li[data-refund-id="${money.own.refund.id}"][data-status="succeeded"]`);
    assert.ok(await page.$('[data-testid="payments"] tr[data-payment-id]'));
    const operator = await api.signIn(OPERATOR);
    const check = await api.ok("GET", `/v1/admin/orders/${money.own.order.id}`, { token: operator.token });
    assert.equal(check.status, "refunded");
    assert.equal(check.refunds[0].status, "succeeded");
    await page.close();
  });
});

describe("operator: daily statements", () => {
  it("fetches the day's statements on the reconciliation screen and lists a payment the provider took but we never heard of", async () => {
    // The sandbox takes the money but its notification is "lost": the provider's records say paid, ours pending.
    const customer = await api.signIn("+8613700000006");
    const booked = await api.bookFirstFree(customer, "svc_demoDeepCleaning", { fromDay: 2, paymentPlan: "full" });
    assert.ok(booked, "a free time for svc_demoDeepCleaning");
    const payment = await api.ok("POST", `/v1/orders/${booked.id}/payments`, {
      token: customer.token,
      key: `statement-${booked.id}`,
      body: { provider: "sandbox" },
    });
    await api.ok("POST", `/v1/sandbox/payments/${payment.id}/pay`, { token: customer.token, body: { notify: false } });

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="money"]');
    await page.click('[data-tab="reconciliation"]');
    await page.waitForSelector('[data-testid="statement-runs"] tr[data-provider="sandbox"][data-status="none"]');
    await page.click('[data-testid="run-statements"]');
    const row = `[data-testid="statement-mismatches"] tr[data-kind="status_mismatch"][data-ref="${payment.id}"]`;
    await page.waitForSelector(row);
    await page.waitForSelector('[data-testid="statement-runs"] tr[data-provider="sandbox"][data-status="succeeded"]');
    // the only difference of the day, in words: never the raw codes
    assert.equal(await page.locator('[data-testid="statement-mismatches"] tbody tr').count(), 1);
    const zh = await page.textContent(row);
    for (const words of ["sandbox", "状态不一致", "支付", "待支付", "已支付", booked.id.slice(-8)])
      assert.ok(zh.includes(words), `${words} in ${zh}`);
    assert.ok(!/status_mismatch|payment_|succeeded|pending/.test(zh), zh);
    await page.click('[data-testid="lang"]');
    await page.waitForSelector(`${row}:has-text("Statuses differ")`);
    const en = await page.textContent(row);
    for (const words of ["Payment", "Pending", "Paid"]) assert.ok(en.includes(words), `${words} in ${en}`);
    // the run is on the record: the API shows the same single mismatch
    const operator = await api.signIn(OPERATOR);
    const today = await page.inputValue('input[name="reconDate"]');
    const view = await api.ok("GET", `/v1/admin/statements?date=${today}`, { token: operator.token });
    assert.deepEqual(
      view.mismatches.map((m) => [m.provider, m.kind, m.ref]),
      [["sandbox", "status_mismatch", payment.id]],
    );
    await page.click('[data-testid="lang"]');
    await page.close();
  });
});

describe("merchant admin", () => {
  it("sees only its own merchant's refunds and withdrawals, without reconciliation or commission rules", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.click('a[data-nav="money"]');
    await page.waitForSelector('[data-testid="money"]');
    await page.selectOption('select[name="refundStatus"]', "");
    await page.waitForSelector(`tr[data-refund-id="${money.own.refund.id}"]`);
    const refunds = await page.$$eval("tr[data-refund-id]", (rows) => rows.map((r) => r.getAttribute("data-refund-id")));
    assert.ok(!refunds.includes(money.foreign.refund.id), "another merchant's refund is not shown");
    assert.equal(await page.$('[data-tab="reconciliation"]'), null);
    assert.equal(await page.$('[data-tab="commission"]'), null);

    await page.click('[data-tab="withdrawals"]');
    await page.waitForSelector(`tr[data-withdrawal-id="${money.own.withdrawal.id}"]`);
    const technicians = await page.$$eval("tr[data-withdrawal-id]", (rows) => rows.map((r) => r.getAttribute("data-technician-id")));
    assert.ok(technicians.includes(money.own.technicianId));
    assert.ok(!technicians.includes(money.foreign.technicianId), "another merchant's technician's withdrawal is not shown");
    // Separation of duties: it sees the withdrawal but cannot decide it; platform operators approve.
    await page.waitForSelector('[data-testid="withdrawals-read-only"]');
    assert.equal(await page.$(`tr[data-withdrawal-id="${money.own.withdrawal.id}"] [data-testid="approve-withdrawal"]`), null);
    const admin = await api.signIn(MERCHANT_ADMIN_1);
    const refused = await api.call("POST", `/v1/admin/withdrawals/${money.own.withdrawal.id}/approve`, { token: admin.token });
    assert.equal(refused.status, 403);
    const list = await api.ok("GET", "/v1/admin/withdrawals?limit=100", { token: admin.token });
    assert.equal(list.items.find((w) => w.id === money.own.withdrawal.id).status, "requested");
    await page.close();

    // a platform operator approves it in the same screen, and it is paid out
    const ops = await browser.context.newPage();
    ops.setDefaultTimeout(15_000);
    await signInThroughUi(ops, server.url, OPERATOR);
    await ops.click('a[data-nav="money"]');
    await ops.click('[data-tab="withdrawals"]');
    await ops.click(`tr[data-withdrawal-id="${money.own.withdrawal.id}"] [data-testid="approve-withdrawal"]`);
    await ops.waitForSelector(`tr[data-withdrawal-id="${money.own.withdrawal.id}"]`, { state: "detached" });
    const after = await api.ok("GET", "/v1/admin/withdrawals?limit=100", { token: admin.token });
    assert.equal(after.items.find((w) => w.id === money.own.withdrawal.id).status, "paid");
    await ops.close();
  });

  it("edits its own service's prices, and sees the server's validation error at the field", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.click('a[data-nav="catalog"]');
    await page.waitForSelector('tr[data-service-id="svc_demoCleaning2h"]');
    assert.equal(await page.$('tr[data-service-id="svc_demoElectrical"]'), null, "another merchant's service is not listed");
    await page.click('[data-testid="edit-svc_demoCleaning2h"]');
    await page.waitForSelector('[data-testid="service-editor"]');
    // a later tier may not start further ahead than an earlier one: the server says where
    await page.fill('input[name="tier1Hours"]', "48");
    await page.click('[data-testid="save-service"]');
    await page.waitForSelector('[data-error-for="body.cancellationPolicy.tiers.1.hoursBefore"]');
    await page.fill('input[name="tier1Hours"]', "2");
    await page.fill('input[name="perUnit"]', "55.50");
    await page.click('[data-testid="save-service"]');
    await page.waitForSelector('[data-testid="service-editor"]', { state: "detached" });
    await page.waitForSelector('tr[data-service-id="svc_demoCleaning2h"] >> text=¥55.50');
    const service = await api.ok("GET", "/v1/services/svc_demoCleaning2h");
    assert.equal(service.price.perUnit.amount, 5550);
    assert.deepEqual(
      service.cancellationPolicy.tiers.map((x) => x.hoursBefore),
      [24, 2, 0],
    );
    await page.close();
  });
});

/** A served order of `serviceId` booked to be paid after the visit and left unpaid: its payment due blocks the customer. */
async function unpaidServedOrder(customerPhone, serviceId) {
  const customer = await api.signIn(customerPhone);
  const booked = await api.bookFirstFree(customer, serviceId, { fromDay: 1, paymentPlan: "after_service" });
  assert.ok(booked, `a free time for ${serviceId}`);
  assert.ok(booked.technician, `dispatched: ${booked.status}`);
  const tech = await api.signIn(`+86139000000${booked.technician.id.slice(-2)}`);
  await api.completeVisit(tech, booked.id, booked.startCode);
  // blocked: every booking is refused (409 UNPAID_BALANCE), so no free time books
  assert.equal(await api.bookFirstFree(customer, serviceId, { fromDay: 2, days: 1 }), null);
  return { customer, order: booked };
}

describe("payment dues", () => {
  it("an operator waives an unpaid order's balance from the order drawer with a reason; a merchant admin is not offered it", async () => {
    const unpaid = await unpaidServedOrder("+8613700000006", "svc_demoElectrical"); // 快修师傅 mch_demo02
    const operator = await api.signIn(OPERATOR);
    const before = await api.ok("GET", `/v1/admin/orders/${unpaid.order.id}`, { token: operator.token });
    assert.equal(before.due.settled, false);

    // the merchant's admin sees the order but no waiver
    const m = await browser.context.newPage();
    m.setDefaultTimeout(15_000);
    await signInThroughUi(m, server.url, "+8613800000102"); // mch_demo02's admin
    await m.evaluate((id) => (location.hash = `#/orders/${id}`), unpaid.order.id);
    await m.waitForSelector('[data-testid="order-drawer"][data-status="completed"]');
    assert.equal(await m.$('[data-testid="waive-due"]'), null);
    await m.close();

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.evaluate((id) => (location.hash = `#/orders/${id}`), unpaid.order.id);
    await page.waitForSelector('[data-testid="waive-due"]');
    // no reason, no waiver
    assert.equal(await page.isDisabled('[data-testid="waive"]'), true);
    await page.fill('input[name="waiveReason"]', "客户对服务不满意，平台承担");
    await page.click('[data-testid="waive"]');
    // The operator's writes are rate limited per account (120 a minute): after the earlier screens'
    // writes the drawer may show RATE_LIMITED; the operator then tries again once the minute is over.
    const outcome = await page.waitForSelector('[data-testid="waived"], [data-testid="waive-due"] [role="alert"]');
    if ((await outcome.getAttribute("role")) === "alert") {
      assert.match(await outcome.textContent(), /RATE_LIMITED/);
      await page.waitForTimeout(61_000);
      await page.click('[data-testid="waive"]');
      await page.waitForSelector('[data-testid="waived"]');
    }
    assert.match(await page.textContent('[data-testid="waived"]'), /客户对服务不满意/);
    await page.waitForSelector('[data-testid="waive-due"]', { state: "detached" });
    await page.close();

    const after = await api.ok("GET", `/v1/admin/orders/${unpaid.order.id}`, { token: operator.token });
    assert.equal(after.due.settled, true);
    assert.equal(after.due.waived.reason, "客户对服务不满意，平台承担");
    // the customer may book again
    const again = await api.bookFirstFree(unpaid.customer, "svc_demoElectrical", { fromDay: 2 });
    assert.ok(again, "booked again after the waiver");
  });
});
