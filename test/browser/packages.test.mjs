// The Packages and Membership screens in real Chromium against a real local Doorstep: a merchant
// admin offers a three-visit package for their service (a bad form is refused with the field named
// and nothing made), a customer buys it through the API, an operator records its payment taken at
// the counter and later refunds the unused rest, the API showing each step; the operator changes the
// points settings (a bad value is refused, nothing changed). A merchant admin has no Membership tab.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, away from the other browser tests' servers (helper 6: 70 + 6 × 3)
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 88;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";
const CUSTOMER = "+8613700000015";

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

describe("packages and membership screens", () => {
  it("a merchant offers a package, a customer buys it, the operator records the counter payment, refunds the rest and tunes the points", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.goto(`${server.url}/dashboard/#/setup/packages`);
    await page.waitForSelector('[data-screen="packages"]');
    assert.equal(await page.locator('[role="tab"]:has-text("会员与积分"), button:has-text("会员与积分")').count(), 0);

    const form = '[data-testid="package-plan-create"]';
    await page.waitForSelector(`${form} select[name="serviceId"] option`, { state: "attached" });
    await page.fill(`${form} input[name="units"]`, "3");
    await page.fill(`${form} input[name="price"]`, "300");
    await page.fill(`${form} input[name="validDays"]`, "0");
    await page.fill(`${form} input[name="nameZh"]`, "保洁三次卡");
    await page.fill(`${form} input[name="nameEn"]`, "Three cleanings");
    await page.click('[data-testid="package-plan-create-submit"]');
    await page.waitForSelector(`${form} [data-error-for="body.validDays"]`);
    const admin = await api.signIn(MERCHANT_ADMIN_1);
    assert.equal((await api.call("GET", "/v1/admin/package-plans", { token: admin.token })).body.items.length, 0);

    await page.fill(`${form} input[name="validDays"]`, "90");
    await page.click('[data-testid="package-plan-create-submit"]');
    await page.waitForSelector('[data-testid="package-plans"] tr[data-plan]:has-text("保洁三次卡")');
    const plans = (await api.call("GET", "/v1/admin/package-plans", { token: admin.token })).body.items;
    assert.equal(plans.length, 1);
    assert.deepEqual([plans[0].kind, plans[0].units, plans[0].price.amount, plans[0].validDays], ["visits", 3, 30000, 90]);

    // the customer buys it in the app
    const customer = await api.signIn(CUSTOMER);
    const offered = await api.call("GET", `/v1/package-plans?serviceId=${plans[0].serviceId}`, { token: customer.token });
    assert.ok(offered.body.items.some((p) => p.id === plans[0].id));
    const bought = await api.call("POST", "/v1/me/packages", { token: customer.token, body: { planId: plans[0].id } });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));

    // the operator records the payment taken at the counter, then refunds the rest
    await signInThroughUi(page, server.url, OPERATOR);
    await page.goto(`${server.url}/dashboard/#/setup/packages`);
    const row = `[data-testid="customer-packages"] tr[data-package="${bought.body.id}"]`;
    await page.waitForSelector(`${row}[data-status="pending_payment"]`);
    await page.click(`[data-testid="package-pay-${bought.body.id}"]`);
    await page.waitForSelector(`${row}[data-status="active"]`);
    assert.match(await page.textContent(`${row} [data-testid="package-left"]`), /3 次 \/ 3 次/);
    const mine = await api.call("GET", `/v1/me/packages/${bought.body.id}`, { token: customer.token });
    assert.deepEqual([mine.body.status, mine.body.unitsLeft, mine.body.deferredLeft.amount], ["active", 3, 30000]);

    await page.click(`[data-testid="package-refund-${bought.body.id}"]`);
    await page.waitForSelector(`${row}[data-status="refunded"]`);
    const refunded = await api.call("GET", `/v1/me/packages/${bought.body.id}`, { token: customer.token });
    assert.equal(refunded.body.status, "refunded");
    assert.deepEqual(
      refunded.body.history.map((h) => [h.kind, h.amount.amount]),
      [
        ["purchase", 30000],
        ["refund", 30000],
      ],
    );

    // membership settings: a bad expiry is refused and changes nothing; a wider cap is saved
    const op = await api.signIn(OPERATOR);
    const before = (await api.call("GET", "/v1/admin/membership/settings", { token: op.token })).body;
    await page.goto(`${server.url}/dashboard/#/setup/membership`);
    const settings = '[data-testid="membership-settings"]';
    await page.waitForSelector(settings);
    await page.fill(`${settings} input[name="expiryDays"]`, "0");
    await page.click('[data-testid="membership-save"]');
    await page.waitForSelector(`${settings} [role="alert"]`);
    assert.deepEqual((await api.call("GET", "/v1/admin/membership/settings", { token: op.token })).body, before);
    await page.fill(`${settings} input[name="expiryDays"]`, "180");
    await page.fill(`${settings} input[name="maxSpendPercent"]`, "30");
    await page.fill(`${settings} tr[data-level="gold"] input[name="discountPercent"]`, "8");
    await page.click('[data-testid="membership-save"]');
    await page.waitForSelector('[data-testid="membership-saved"]');
    const after = (await api.call("GET", "/v1/admin/membership/settings", { token: op.token })).body;
    assert.deepEqual([after.expiryDays, after.maxSpendPercent, after.levels.find((l) => l.code === "gold").discountPercent], [180, 30, 8]);
    await page.close();
  });
});
