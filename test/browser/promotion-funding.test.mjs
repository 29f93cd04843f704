/* global localStorage -- inside page functions, which run in the browser */
// Promotion funding in real Chromium against a real local Doorstep (demo data), signed in as the
// admin: a merchant's promotion created with "platform" funding from the campaign form shows who
// funds it in the list (zh), and one left at the default is the merchant's.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signedInDashboard } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 118;
const ADMIN = "+8613800000000";

const ui = signedInDashboard(PORT, ADMIN);

const local = (offsetDays) => {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

async function create(name, funding) {
  const form = '[data-testid="campaign-create"]';
  await ui.page.selectOption(`${form} select[name="kind"]`, "promotion");
  await ui.page.fill(`${form} input[name="nameZh"]`, name);
  await ui.page.fill(`${form} input[name="nameEn"]`, `${name} en`);
  await ui.page.selectOption(`${form} select[name="couponKind"]`, "fixed");
  await ui.page.fill(`${form} input[name="value"]`, "10");
  await ui.page.fill(`${form} input[name="budget"]`, "300");
  await ui.page.fill(`${form} input[name="code"]`, `${name}${Date.now().toString(36).toUpperCase()}`);
  await ui.page.fill(`${form} input[name="merchantId"]`, "mch_demo01");
  await ui.page.selectOption(`${form} select[name="fundedBy"]`, funding);
  await ui.page.fill(`${form} input[name="startsAt"]`, local(-1));
  await ui.page.fill(`${form} input[name="endsAt"]`, local(30));
  await ui.page.click('[data-testid="campaign-create-submit"]');
  const row = await ui.page.waitForSelector(`tr[data-campaign]:has-text("${name}")`);
  return row.getAttribute("data-campaign");
}

describe("promotion funding on the dashboard", () => {
  it("the operator chooses who funds a merchant's promotion; the list names the funder in zh", async () => {
    await ui.page.evaluate(() => localStorage.setItem("doorstep.lang", "zh"));
    await ui.page.goto(`${ui.server.url}/dashboard/#/setup/campaigns`);
    await ui.page.reload();
    await ui.page.waitForSelector('[data-screen="campaigns"]');

    const byPlatform = await create("PLATFUND", "platform");
    assert.match(await ui.page.textContent(`[data-testid="funded-${byPlatform}"]`), /平台出资/);
    const byDefault = await create("MERFUND", "");
    assert.match(await ui.page.textContent(`[data-testid="funded-${byDefault}"]`), /商户出资/);

    const stored = (await ui.api.call("GET", "/v1/campaigns?limit=100", { token: ui.token })).body.items;
    assert.equal(stored.find((c) => c.id === byPlatform).fundedBy, "platform");
    assert.equal(stored.find((c) => c.id === byDefault).fundedBy, "merchant");
  });
});
