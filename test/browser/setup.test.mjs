/* global localStorage -- inside page functions, which run in the browser */
// The set-up screens in real Chromium against a real local Doorstep (demo data), signed in as the
// admin: for each screen a record is created then edited, and a validation error is shown at its
// field with the problem's text in the chosen language (zh-CN or en).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signedInDashboard } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 25;
const ADMIN = "+8613800000000";
const CJK = /[\u4e00-\u9fff]/;

const ui = signedInDashboard(PORT, ADMIN);

/** Switches the dashboard to `lang` ("zh" or "en") and opens a set-up tab. */
async function open(tab, lang) {
  await ui.page.evaluate((l) => localStorage.setItem("doorstep.lang", l), lang);
  await ui.page.goto(`${ui.server.url}/dashboard/#/setup/${tab}`);
  await ui.page.reload();
  await ui.page.waitForSelector(`[data-screen]`);
}

/** The field error under `path` and the problem's text, both in the language expected. */
async function expectInvalid(form, path, lang) {
  const field = await ui.page.waitForSelector(`[data-testid="${form}"] [data-error-for="${path}"]`);
  assert.ok((await field.textContent()).trim().length > 0);
  const alert = await ui.page.textContent(`[data-testid="${form}"] p.error[role="alert"]`);
  if (lang === "zh") assert.match(alert, CJK, alert);
  else assert.doesNotMatch(alert, CJK, alert);
}

const get = (path) => ui.api.call("GET", path, { token: ui.token }).then((r) => r.body);

describe("set-up screens", () => {
  it("cities: a bad time zone is refused at its field (zh); a city is created, then renamed", async () => {
    await open("cities", "zh");
    const form = '[data-testid="city-create"]';
    await ui.page.fill(`${form} input[name="name"]`, "成都");
    await ui.page.fill(`${form} input[name="timeZone"]`, "Mars/Olympus");
    await ui.page.fill(`${form} input[name="lat"]`, "30.5728");
    await ui.page.fill(`${form} input[name="lng"]`, "104.0668");
    await ui.page.fill(`${form} input[name="radiusKm"]`, "10");
    await ui.page.click('[data-testid="city-create-submit"]');
    await expectInvalid("city-create", "body.timeZone", "zh");
    assert.equal((await get("/v1/cities")).items.filter((c) => c.name === "成都").length, 0);

    await ui.page.fill(`${form} input[name="timeZone"]`, "Asia/Shanghai");
    await ui.page.click('[data-testid="city-create-submit"]');
    const row = await ui.page.waitForSelector('tr[data-city]:has-text("成都")');
    const id = await row.getAttribute("data-city");
    await ui.page.click(`[data-testid="edit-city-${id}"]`);
    await ui.page.fill('[data-testid="city-rename"] input[name="name"]', "成都市");
    await ui.page.click('[data-testid="city-rename-submit"]');
    await ui.page.waitForSelector(`tr[data-city="${id}"]:has-text("成都市")`);
    assert.equal((await get("/v1/cities")).items.find((c) => c.id === id).name, "成都市");
  });

  it("merchants: created, renamed, an admin added by phone; a bad phone is refused (en)", async () => {
    await open("merchants", "en");
    await ui.page.fill('[data-testid="merchant-create"] input[name="name"]', "Setup Test Merchant");
    await ui.page.click('[data-testid="merchant-create-submit"]');
    const row = await ui.page.waitForSelector('tr[data-merchant]:has-text("Setup Test Merchant")');
    const id = await row.getAttribute("data-merchant");
    await ui.page.click(`[data-testid="edit-merchant-${id}"]`);
    await ui.page.fill('[data-testid="merchant-edit"] input[name="name"]', "Setup Test Merchant 2");
    await ui.page.click('[data-testid="merchant-edit-submit"]');
    await ui.page.waitForSelector(`tr[data-merchant="${id}"]:has-text("Setup Test Merchant 2")`);

    await ui.page.fill('[data-testid="merchant-admin-add"] input[name="phone"]', "12345");
    await ui.page.click('[data-testid="merchant-admin-add-submit"]');
    await expectInvalid("merchant-admin-add", "body.phone", "en");
    await ui.page.fill('[data-testid="merchant-admin-add"] input[name="phone"]', "+8613600009999");
    await ui.page.click('[data-testid="merchant-admin-add-submit"]');
    await ui.page.waitForSelector('[data-testid="merchant-admins"] tr[data-admin]');
    const admins = await get(`/v1/admin/merchants/${id}/admins`);
    assert.equal(admins.items.length, 1);
    assert.equal((await get(`/v1/admin/merchants/${id}`)).name, "Setup Test Merchant 2");
  });

  it("skills and categories: a bad code is refused (zh); a skill and a category are created, then renamed", async () => {
    await open("skills", "zh");
    const form = '[data-testid="skill-create"]';
    await ui.page.fill(`${form} input[name="code"]`, "Bad Code");
    await ui.page.fill(`${form} input[name="zh"]`, "窗户清洁");
    await ui.page.fill(`${form} input[name="en"]`, "Window cleaning");
    await ui.page.click('[data-testid="skill-create-submit"]');
    await expectInvalid("skill-create", "body.code", "zh");
    await ui.page.fill(`${form} input[name="code"]`, "window_cleaning");
    await ui.page.click('[data-testid="skill-create-submit"]');
    await ui.page.waitForSelector('tr[data-skill="window_cleaning"]');
    await ui.page.click('[data-testid="edit-skill-window_cleaning"]');
    await ui.page.fill('[data-testid="skill-rename"] input[name="en"]', "Window washing");
    await ui.page.click('[data-testid="skill-rename-submit"]');
    await ui.page.waitForSelector('tr[data-skill="window_cleaning"]:has-text("Window washing")');

    const cat = '[data-testid="category-create"]';
    await ui.page.fill(`${cat} input[name="zh"]`, "园艺");
    await ui.page.fill(`${cat} input[name="en"]`, "Gardening");
    await ui.page.click('[data-testid="category-create-submit"]');
    const row = await ui.page.waitForSelector('tr[data-category]:has-text("Gardening")');
    const id = await row.getAttribute("data-category");
    await ui.page.click(`[data-testid="edit-category-${id}"]`);
    await ui.page.fill('[data-testid="category-edit"] input[name="en"]', "Garden care");
    await ui.page.click('[data-testid="category-edit-submit"]');
    await ui.page.waitForSelector(`tr[data-category="${id}"]:has-text("Garden care")`);
    const skills = await get("/v1/skills");
    assert.deepEqual(skills.items.find((s) => s.code === "window_cleaning").name, { zh: "窗户清洁", en: "Window washing" });
  });

  it("technicians: an unknown skill is refused at its field (en); one is registered, then edited and listed by skill names", async () => {
    await open("technicians", "en");
    const form = '[data-testid="technician-create"]';
    await ui.page.fill(`${form} input[name="phone"]`, "+8613900009998");
    await ui.page.fill(`${form} input[name="name"]`, "Setup Tech");
    await ui.page.fill(`${form} input[name="skills"]`, "cleaning, no_such_skill");
    await ui.page.click('[data-testid="technician-create-submit"]');
    await expectInvalid("technician-create", "body.skills", "en");
    await ui.page.fill(`${form} input[name="skills"]`, "cleaning");
    await ui.page.click('[data-testid="technician-create-submit"]');
    const row = await ui.page.waitForSelector('tr[data-technician]:has-text("Setup Tech")');
    const id = await row.getAttribute("data-technician");
    await ui.page.click(`[data-testid="edit-technician-${id}"]`);
    await ui.page.fill('[data-testid="technician-edit"] input[name="skills"]', "cleaning, deep_cleaning");
    await ui.page.fill('[data-testid="technician-edit"] input[name="serviceRadiusKm"]', "12");
    await ui.page.click('[data-testid="technician-edit-submit"]');
    // the list names skills from the catalogue in the interface language, never by their codes
    const edited = await ui.page.waitForSelector(`tr[data-technician="${id}"]:has-text("Deep cleaning")`);
    assert.match(await edited.textContent(), /House cleaning、Deep cleaning/);
    assert.doesNotMatch(await edited.textContent(), /deep_cleaning/);
    const tech = await get(`/v1/admin/technicians/${id}`);
    assert.deepEqual(tech.skills, ["cleaning", "deep_cleaning"]);
    assert.equal(tech.serviceRadiusKm, 12);
    assert.equal(tech.status, "pending");
  });

  it("coupons: a total of 0 uses is refused (zh); a coupon is created, then renamed and switched off", async () => {
    await open("coupons", "zh");
    const form = '[data-testid="coupon-create"]';
    await ui.page.fill(`${form} input[name="code"]`, "SETUP10");
    await ui.page.fill(`${form} input[name="name"]`, "立减十元");
    await ui.page.fill(`${form} input[name="value"]`, "10");
    await ui.page.fill(`${form} input[name="startsAt"]`, "2026-01-01T00:00");
    await ui.page.fill(`${form} input[name="endsAt"]`, "2030-01-01T00:00");
    await ui.page.fill(`${form} input[name="totalLimit"]`, "0");
    await ui.page.click('[data-testid="coupon-create-submit"]');
    await expectInvalid("coupon-create", "body.totalLimit", "zh");
    await ui.page.fill(`${form} input[name="totalLimit"]`, "100");
    await ui.page.click('[data-testid="coupon-create-submit"]');
    await ui.page.waitForSelector('[data-testid="edit-coupon-SETUP10"]');
    await ui.page.click('[data-testid="edit-coupon-SETUP10"]');
    await ui.page.fill('[data-testid="coupon-edit"] input[name="name"]', "新人立减");
    await ui.page.uncheck('[data-testid="coupon-edit"] input[name="active"]');
    await ui.page.click('[data-testid="coupon-edit-submit"]');
    await ui.page.waitForSelector('tr[data-coupon]:has-text("新人立减")');
    const coupon = (await get("/v1/admin/coupons?limit=100")).items.find((c) => c.code === "SETUP10");
    assert.equal(coupon.value, 1000);
    assert.equal(coupon.active, false);
    assert.equal(coupon.name, "新人立减");
  });

  it("dispatch weights: an out-of-range weight is refused (en); saved weights are in force; reset goes back", async () => {
    await ui.page.evaluate(() => localStorage.setItem("doorstep.lang", "en"));
    await ui.page.goto(`${ui.server.url}/dashboard/#/settings`);
    await ui.page.reload();
    const form = '[data-testid="weights-edit"]';
    await ui.page.waitForSelector(form);
    await ui.page.fill(`${form} input[name="travel"]`, "2");
    await ui.page.click('[data-testid="weights-edit-submit"]');
    await expectInvalid("weights-edit", "body.travel", "en");
    assert.equal((await get("/v1/admin/settings/dispatch")).weightsSource, "deployment");
    await ui.page.fill(`${form} input[name="travel"]`, "0.6");
    await ui.page.click('[data-testid="weights-edit-submit"]');
    await ui.page.waitForSelector('[data-testid="weights-reset"]');
    const set = await get("/v1/admin/settings/dispatch");
    assert.equal(set.weightsSource, "setting");
    assert.equal(set.weights.travel, 0.6);
    await ui.page.click('[data-testid="weights-reset"] button, button[data-testid="weights-reset"]');
    await ui.page.waitForSelector('[data-testid="weights-reset"]', { state: "detached" });
    assert.equal((await get("/v1/admin/settings/dispatch")).weightsSource, "deployment");
  });
});
