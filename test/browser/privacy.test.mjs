// The Personal data screen in real Chromium against a real local Doorstep: people ask for exports and
// account deletions through the API, an operator sees them with their status and audit trail, cancels a
// deletion during its cooling-off with a reason, and reads the retention settings in both languages.
// A merchant admin has no such screen.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, away from the other browser tests' servers (helper 7: 40 + 7 × 3)
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 61;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";

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

const freshPhone = () => `+86134${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

describe("personal data screen", () => {
  it("an operator sees a waiting deletion with its trail, cancels it with a reason, and reads the retention settings", async () => {
    const person = await api.signIn(freshPhone());
    const asked = await api.call("POST", "/v1/me/deletion", { token: person.token });
    assert.equal(asked.status, 202);
    const other = await api.signIn(freshPhone());
    const exported = await api.call("POST", "/v1/me/data-exports", { token: other.token });
    assert.equal(exported.status, 202);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="privacy"]');
    await page.selectOption('[data-testid="privacy-kind"]', "deletion");
    const row = `tr[data-request="${asked.body.id}"]`;
    await page.waitForSelector(`${row}[data-status="pending"]`);
    // the filtered list replaces the unfiltered one, which held the export too
    await page.waitForSelector(`tr[data-request="${exported.body.id}"]`, { state: "detached" });
    assert.equal(await page.locator(`tr[data-request="${exported.body.id}"]`).count(), 0);
    assert.match(await page.textContent(`${row} [data-testid="privacy-request-status"]`), /冷静期中/);

    await page.click(`${row} [data-testid="privacy-trail-toggle"]`);
    await page.waitForSelector('[data-testid="privacy-trail"] li[data-action="privacy.deletion_requested"]');

    await page.fill(`${row} input[name="cancel-reason"]`, "用户来电撤回");
    await page.click(`${row} [data-testid="cancel-deletion"]`);
    await page.waitForSelector(`${row}[data-status="cancelled"]`);
    const after = await api.call("GET", "/v1/me/deletion", { token: person.token });
    assert.equal(after.status, 404);

    // the retention panel shows the configured periods; in English too
    await page.waitForSelector('[data-testid="privacy-retention"] tr[data-kind="visit_photos"]');
    assert.match(await page.textContent('tr[data-kind="visit_photos"] [data-testid="retention-period"]'), /^365 天$/);
    assert.match(await page.textContent('tr[data-kind="day_plans"]'), /技师当日路线规划[\s\S]*30 天/);
    await page.click('[data-testid="lang"]');
    await page.waitForSelector("text=Personal data");
    assert.match(await page.textContent('tr[data-kind="positions"] [data-testid="retention-period"]'), /^24 hours$/);
    assert.match(await page.textContent('tr[data-kind="day_plans"]'), /Technicians' stored day route plans[\s\S]*30 days/);
    assert.match(await page.textContent('[data-testid="privacy-settings"]'), /cooling-off 7 days/);
    await page.click('[data-testid="lang"]');

    // the export row, with its kind filter
    await page.selectOption('[data-testid="privacy-kind"]', "export");
    await page.waitForSelector(`tr[data-request="${exported.body.id}"]`);
    await page.close();
  });

  it("a merchant admin has no Personal data screen and the API refuses them", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    assert.equal(await page.locator('a[data-nav="privacy"]').count(), 0);
    const merchant = await api.signIn(MERCHANT_ADMIN_1);
    assert.equal((await api.call("GET", "/v1/admin/data-requests", { token: merchant.token })).status, 403);
    await page.close();
  });
});
