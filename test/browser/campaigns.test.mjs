/* global localStorage -- inside page functions, which run in the browser */
// Campaigns and coupon wallets in real Chromium against a real local Doorstep (demo data), signed in
// as the admin: a promotion is refused at its field (zh), created, then switched off; a merchant's
// limits are saved; a customer's wallet is opened and a coupon issued into it, shown available (en).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signedInDashboard } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 91;
const ADMIN = "+8613800000000";
const CUSTOMER = "+8613700000007";
const CJK = /[\u4e00-\u9fff]/;

const ui = signedInDashboard(PORT, ADMIN);

async function open(tab, lang) {
  await ui.page.evaluate((l) => localStorage.setItem("doorstep.lang", l), lang);
  await ui.page.goto(`${ui.server.url}/dashboard/#/setup/${tab}`);
  await ui.page.reload();
  await ui.page.waitForSelector(`[data-screen="${tab}"]`);
}

const get = (path) => ui.api.call("GET", path, { token: ui.token }).then((r) => r.body);
const local = (offsetDays) => {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

describe("campaigns and coupon wallets", () => {
  it("a promotion: a percentage over 100 is refused at its field (zh); created with its code; then switched off", async () => {
    await open("campaigns", "zh");
    const form = '[data-testid="campaign-create"]';
    const code = `BR${Date.now().toString(36).toUpperCase()}`;
    await ui.page.selectOption(`${form} select[name="kind"]`, "promotion");
    await ui.page.fill(`${form} input[name="nameZh"]`, "满100减15");
    await ui.page.fill(`${form} input[name="nameEn"]`, "15 off 100");
    await ui.page.selectOption(`${form} select[name="couponKind"]`, "percent");
    await ui.page.fill(`${form} input[name="value"]`, "120");
    await ui.page.fill(`${form} input[name="budget"]`, "500");
    await ui.page.fill(`${form} input[name="code"]`, code);
    await ui.page.fill(`${form} input[name="startsAt"]`, local(-1));
    await ui.page.fill(`${form} input[name="endsAt"]`, local(30));
    await ui.page.click('[data-testid="campaign-create-submit"]');
    const field = await ui.page.waitForSelector(`${form} [data-error-for="body.value"]`);
    assert.ok((await field.textContent()).trim().length > 0);
    assert.match(await ui.page.textContent(`${form} p.error[role="alert"]`), CJK);
    assert.equal((await get("/v1/campaigns?limit=100")).items.filter((c) => c.code === code || c.name.zh === "满100减15").length, 0);

    await ui.page.selectOption(`${form} select[name="couponKind"]`, "fixed");
    await ui.page.fill(`${form} input[name="value"]`, "15");
    await ui.page.fill(`${form} input[name="minTotal"]`, "100");
    await ui.page.click('[data-testid="campaign-create-submit"]');
    const row = await ui.page.waitForSelector('tr[data-campaign]:has-text("满100减15")');
    const id = await row.getAttribute("data-campaign");
    assert.match(await row.textContent(), new RegExp(code));
    assert.equal((await ui.page.textContent(`[data-testid="spent-${id}"]`)).trim(), "¥0.00 / ¥500.00");
    const stored = (await get("/v1/campaigns?limit=100")).items.find((c) => c.id === id);
    assert.deepEqual([stored.kind, stored.value, stored.minTotal, stored.budget, stored.active], ["promotion", 1500, 10000, 50000, true]);

    await ui.page.click(`[data-testid="edit-campaign-${id}"]`);
    await ui.page.uncheck('[data-testid="campaign-edit"] input[name="active"]');
    await ui.page.click('[data-testid="campaign-edit-submit"]');
    await ui.page.waitForSelector(`tr[data-campaign="${id}"] .s-inactive`);
    assert.equal((await get("/v1/campaigns?limit=100")).items.find((c) => c.id === id).active, false);
  });

  it("limits for a merchant are saved (en); a customer's wallet shows a coupon issued to it as available", async () => {
    await open("campaigns", "en");
    const limits = '[data-testid="campaign-limits"]';
    await ui.page.fill(`${limits} input[name="merchantId"]`, "mch_demo01");
    await ui.page.fill(`${limits} input[name="maxBudget"]`, "1000");
    await ui.page.fill(`${limits} input[name="maxValue"]`, "20");
    await ui.page.fill(`${limits} input[name="maxPercent"]`, "15");
    await ui.page.click('[data-testid="campaign-limits-submit"]');
    await ui.page.waitForSelector('[data-testid="limits-saved"]');
    assert.doesNotMatch(await ui.page.textContent('[data-testid="limits-saved"]'), CJK);

    const customer = await ui.api.signIn(CUSTOMER);
    const accountId = customer.me.id;
    await open("wallet", "en");
    await ui.page.fill('[data-testid="wallet-find"] input[name="accountId"]', accountId);
    await ui.page.click('[data-testid="wallet-find-submit"]');
    await ui.page.waitForSelector('[data-testid="wallet-issue"]');
    const before = (await get(`/v1/admin/accounts/${accountId}/coupons`)).items.length;
    const issue = '[data-testid="wallet-issue"]';
    await ui.page.fill(`${issue} input[name="name"]`, "Sorry for the wait");
    await ui.page.fill(`${issue} input[name="value"]`, "12");
    await ui.page.click('[data-testid="wallet-issue-submit"]');
    const row = await ui.page.waitForSelector('tr[data-wallet-coupon]:has-text("Sorry for the wait")');
    const text = await row.textContent();
    assert.match(text, /¥12\.00/);
    assert.match(text, /Available/);
    assert.match(text, /Staff/);
    const items = (await get(`/v1/admin/accounts/${accountId}/coupons`)).items;
    assert.equal(items.length, before + 1);
    // The customer sees it in their own wallet.
    const mine = await ui.api.call("GET", "/v1/me/coupons", { token: customer.token });
    assert.ok(mine.body.items.some((c) => c.name === "Sorry for the wait" && c.value === 1200 && c.status === "available"));
  });
});
