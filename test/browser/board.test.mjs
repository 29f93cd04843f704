/* global localStorage -- inside page functions, which run in the browser */
// The dispatcher's board in real Chromium against a real local Doorstep: an operator drags a job
// waiting for a technician onto a free technician (accepted: D1 and the board agree after a
// reload), then drags another onto a time that technician is busy (refused: the reason is shown,
// nothing changes).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 106;
const ADMIN = "+8613800000000";
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000106";
const CENTER = { lat: 30.2741, lng: 120.1551 }; // a city of its own, away from the demo city

let server;
let browser;
let api;
let admin;
let city;
let techs;
let orders;
let day;

const localDay = (days) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(Date.now() + days * 86_400_000),
  );

async function book(customer, addressId, serviceId, start) {
  const q = await api.ok("POST", "/v1/quotes", { token: customer.token, body: { serviceId, lat: CENTER.lat, lng: CENTER.lng, start } });
  return api.ok("POST", "/v1/orders", {
    token: customer.token,
    key: `board-${start}-${Math.random()}`,
    body: { quoteId: q.id, addressId, start: q.start, paymentPlan: "after_service" },
  });
}

const staffOrder = (id) => api.ok("GET", `/v1/admin/orders/${id}`, { token: admin.token });

before(async () => {
  server = await startLocalServer({ port: PORT });
  api = new Client(server.url);
  admin = await api.signIn(ADMIN);
  city = await api.ok("POST", "/v1/admin/cities", {
    token: admin.token,
    body: { name: "看板测试城", timeZone: "Asia/Shanghai", center: CENTER, radiusKm: 8 },
  });
  const service = await api.ok("POST", "/v1/admin/services", {
    token: admin.token,
    body: {
      categoryId: "cat_demoDailyCleaning",
      name: { zh: "看板保洁", en: "Board cleaning" },
      description: { zh: "上门保洁。", en: "Cleaning at home." },
      price: { base: 10000, perUnit: 0, unit: "visit", minUnits: 1 },
      durationMinutes: 120,
      perUnitMinutes: 0,
      requiredSkills: ["cleaning"],
      extras: [],
      cancellationPolicy: { tiers: [{ hoursBefore: 0, refundPercent: 100 }], visitFee: 0 },
      dispatchMode: "manual",
      paymentOptions: { full: false, depositPercent: null, afterService: true },
      rushFee: 0,
      cityIds: [city.id],
    },
  });
  techs = [];
  for (const phone of ["+8613600000106", "+8613600000107"]) {
    const t = await api.ok("POST", "/v1/admin/technicians", {
      token: admin.token,
      body: { phone, name: `看板师傅${phone.slice(-1)}`, skills: ["cleaning"], home: CENTER, serviceRadiusKm: 30 },
    });
    await api.ok("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token, body: {} });
    techs.push(t);
  }
  assert.equal(techs[0].homeCell, techs[1].homeCell);
  const customer = await api.signIn(CUSTOMER);
  const address = await api.ok("POST", "/v1/me/addresses", {
    token: customer.token,
    body: {
      label: "家",
      text: "西湖区文三路 1 号 101 室",
      lat: CENTER.lat,
      lng: CENTER.lng,
      contactName: "李女士",
      contactPhone: "13912345678",
    },
  });
  day = localDay(2);
  orders = [
    await book(customer, address.id, service.id, `${day}T10:00:00+08:00`),
    await book(customer, address.id, service.id, `${day}T14:00:00+08:00`),
  ];
  for (const o of orders) assert.equal(o.status, "dispatching", "manual dispatch: the job waits for the dispatcher");
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Drags the side-list job onto a technician's row at local `hhmm` of the board's day. */
async function dragOnto(page, orderId, technicianId, hhmm) {
  const item = await page.locator(`[data-unassigned="${orderId}"]`).boundingBox();
  const track = page.locator(`[data-track="${technicianId}"]`);
  await track.scrollIntoViewIfNeeded();
  const box = await track.boundingBox();
  const { axisStart, pxPerMin } = await track.evaluate((el) => ({
    axisStart: Number(el.getAttribute("data-axis-start")),
    pxPerMin: Number(el.getAttribute("data-px-per-min")),
  }));
  const [h, m] = hhmm.split(":").map(Number);
  const x = box.x + (h * 60 + m - axisStart) * pxPerMin + 1;
  const y = box.y + box.height / 2;
  const from = { x: item.x + 10, y: item.y + item.height / 2 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + x) / 2, (from.y + y) / 2, { steps: 5 });
  // a job of the side list starts where it is dropped
  await page.mouse.move(x, y, { steps: 5 });
  await page.mouse.up();
}

describe("dispatcher's board", () => {
  it("assigns a waiting job by dragging it onto a free technician, and refuses one dropped on a busy time", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.evaluate((id) => localStorage.setItem("doorstep.city", id), city.id);
    await page.goto(`${server.url}/dashboard/#/board/${techs[0].homeCell}`);
    await page.reload();
    await page.waitForSelector('[data-screen="board"]');
    await page.fill('[data-testid="board-date"]', day);
    await page.waitForSelector(`[data-unassigned="${orders[0].id}"]`);
    await page.waitForSelector(`[data-track="${techs[0].id}"]`);

    // Accepted: the 10:00 job goes to the technician who does not hold it now.
    const holder = (await staffOrder(orders[0].id)).technician?.id;
    const target = techs.find((t) => t.id !== holder) ?? techs[0];
    await dragOnto(page, orders[0].id, target.id, "10:00");
    await page.waitForSelector(`[data-tech="${target.id}"] [data-order="${orders[0].id}"]`);
    await page.waitForSelector('[data-testid="board-note"]');
    const moved = await staffOrder(orders[0].id);
    assert.equal(moved.technician?.id, target.id);
    assert.equal(moved.status, "assigned");
    await page.reload();
    await page.fill('[data-testid="board-date"]', day);
    await page.waitForSelector(`[data-tech="${target.id}"] [data-order="${orders[0].id}"]`);
    assert.equal(await page.locator(`[data-unassigned="${orders[0].id}"]`).count(), 0);

    // Refused: the 14:00 job dropped onto the same technician at 10:30 clashes with the job just placed.
    const before2 = await staffOrder(orders[1].id);
    await dragOnto(page, orders[1].id, target.id, "10:30");
    const alert = page.locator('[data-testid="board-error"] [role="alert"]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /MOVE_REFUSED/);
    assert.match(await alert.textContent(), /clashes|冲突/);
    const after2 = await staffOrder(orders[1].id);
    assert.equal(after2.status, before2.status);
    assert.equal(after2.technician?.id, before2.technician?.id);
    assert.equal(after2.start, before2.start);
    // the block went back: still in the side list, not on the technician's row
    await page.waitForSelector(`[data-unassigned="${orders[1].id}"]`);
    assert.equal(await page.locator(`[data-tech="${target.id}"] [data-order="${orders[1].id}"]`).count(), 0);
    await page.close();
  });
});
