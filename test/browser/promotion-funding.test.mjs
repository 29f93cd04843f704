/* global localStorage -- inside page functions, which run in the browser */
// Promotion funding in real Chromium against a real local Doorstep (demo data), signed in as the
// admin: a merchant's promotion created with "platform" funding from the campaign form shows who
// funds it in the list (zh), and one left at the default is the merchant's.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { closeSignedIn, openSignedIn } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 118;
const ADMIN = "+8613800000000";

let opened;
let server;
let page;
let api;
let adminToken;

before(async () => {
  opened = await openSignedIn(PORT, ADMIN);
  ({ server, page, api, token: adminToken } = opened);
});

after(() => closeSignedIn(opened));

const local = (offsetDays) => {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

async function create(name, funding) {
  const form = '[data-testid="campaign-create"]';
  await page.selectOption(`${form} select[name="kind"]`, "promotion");
  await page.fill(`${form} input[name="nameZh"]`, name);
  await page.fill(`${form} input[name="nameEn"]`, `${name} en`);
  await page.selectOption(`${form} select[name="couponKind"]`, "fixed");
  await page.fill(`${form} input[name="value"]`, "10");
  await page.fill(`${form} input[name="budget"]`, "300");
  await page.fill(`${form} input[name="code"]`, `${name}${Date.now().toString(36).toUpperCase()}`);
  await page.fill(`${form} input[name="merchantId"]`, "mch_demo01");
  await page.selectOption(`${form} select[name="fundedBy"]`, funding);
  await page.fill(`${form} input[name="startsAt"]`, local(-1));
  await page.fill(`${form} input[name="endsAt"]`, local(30));
  await page.click('[data-testid="campaign-create-submit"]');
  const row = await page.waitForSelector(`tr[data-campaign]:has-text("${name}")`);
  return row.getAttribute("data-campaign");
}

describe("promotion funding on the dashboard", () => {
  it("the operator chooses who funds a merchant's promotion; the list names the funder in zh", async () => {
    await page.evaluate(() => localStorage.setItem("doorstep.lang", "zh"));
    await page.goto(`${server.url}/dashboard/#/setup/campaigns`);
    await page.reload();
    await page.waitForSelector('[data-screen="campaigns"]');

    const byPlatform = await create("PLATFUND", "platform");
    assert.match(await page.textContent(`[data-testid="funded-${byPlatform}"]`), /平台出资/);
    const byDefault = await create("MERFUND", "");
    assert.match(await page.textContent(`[data-testid="funded-${byDefault}"]`), /商户出资/);

    const stored = (await api.call("GET", "/v1/campaigns?limit=100", { token: adminToken })).body.items;
    assert.equal(stored.find((c) => c.id === byPlatform).fundedBy, "platform");
    assert.equal(stored.find((c) => c.id === byDefault).fundedBy, "merchant");
  });
});
