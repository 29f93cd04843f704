// The technician's public profile preview and the showcase moderation in real Chromium against a
// real local Doorstep: a demo technician completes a visit and shows it as a case, the customer
// consents, an operator opens the technician, sees the profile as customers do and hides the case;
// the case leaves the public profile at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 58;
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000001";
const technicianPhone = (id) => `+86139000000${id.slice(-2)}`;

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

describe("technician profiles", () => {
  it("an operator previews a technician's public profile and hides a consented case: it leaves the profile at once", async () => {
    const customer = await api.signIn(CUSTOMER);
    const order = await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 1 });
    assert.ok(order, "a free time to book");
    const assigned = await api.ok("GET", `/v1/orders/${order.id}`, { token: customer.token });
    const techId = assigned.technician?.id;
    assert.match(techId, /^tch_demo0\d\d$/);
    const tech = await api.signIn(technicianPhone(techId));
    await api.completeVisit(tech, order.id, order.startCode);
    const photos = await api.ok("GET", `/v1/orders/${order.id}/photos?limit=100`, { token: tech.token });
    const proposed = await api.ok("POST", "/v1/technician/cases", {
      token: tech.token,
      body: {
        orderId: order.id,
        beforePhotoId: photos.items.find((p) => p.kind === "arrive").id,
        afterPhotoId: photos.items.find((p) => p.kind === "complete").id,
        caption: "厨房深度清洁",
      },
    });
    await api.ok("PUT", `/v1/orders/${order.id}/case/consent`, { token: customer.token, body: { granted: true } });
    const shown = await api.ok("GET", `/v1/technicians/${techId}/profile`, { token: customer.token });
    assert.deepEqual(
      shown.cases.map((c) => c.id),
      [proposed.id],
    );

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="technicians"]');
    await page.click(`tr[data-technician-id="${techId}"]`);
    await page.waitForSelector('[data-testid="profile-preview"] [data-testid="profile-name"]');
    assert.equal(await page.textContent('[data-testid="profile-name"]'), shown.name);
    assert.match(await page.textContent('[data-testid="profile-level"]'), /^(见习|标准|金牌|钻石|Trainee|Standard|Gold|Diamond)$/);
    assert.doesNotMatch(await page.textContent('[data-testid="profile-preview"]'), /trainee|standard|gold|diamond/);
    assert.equal(Number(await page.textContent('[data-testid="profile-jobs"]')), shown.completedJobs);
    const row = `li[data-case-id="${proposed.id}"]`;
    await page.waitForSelector(`${row}[data-shown="true"]`);
    assert.match(await page.textContent(`${row} [data-testid="case-consent"]`), /已同意|Granted/);

    await page.fill(`${row} input[name="hideReason"]`, "照片中有人脸");
    await page.click(`${row} [data-testid="hide-case"]`);
    await page.waitForSelector(`${row}[data-shown="false"] [data-testid="case-hidden"]`);
    assert.match(await page.textContent(`${row} [data-testid="case-hidden"]`), /照片中有人脸/);

    const after = await api.ok("GET", `/v1/technicians/${techId}/profile`, { token: customer.token });
    assert.deepEqual(after.cases, []);
    const photo = await api.call("GET", `/v1/technicians/${techId}/cases/${proposed.id}/photos/before`, { token: customer.token });
    assert.equal(photo.status, 404);
  });
});
