/* global localStorage -- inside page functions, which run in the browser */
// The dispatcher's board across cells in real Chromium against a real local Doorstep: with the
// neighbouring cells shown, an operator drags a job of a technician of the board's cell onto a
// technician homed in a neighbouring cell (accepted: D1 and both rows agree after a reload), then
// drags another onto a time that technician is busy (refused: the reason is shown, nothing changes).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cellToLatLng, gridDisk, latLngToCell } from "h3-js";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 130;
const ADMIN = "+8613800000000";
const OPERATOR = "+8613800000001";
const CUSTOMER = "+8613700000130";
const CENTER = { lat: 28.2282, lng: 112.9388 }; // a city of its own, away from the demo city
const HOME_CELL = latLngToCell(CENTER.lat, CENTER.lng, 5);
const NEIGHBOUR = (() => {
  const [lat, lng] = cellToLatLng(gridDisk(HOME_CELL, 1).find((c) => c !== HOME_CELL));
  return { lat, lng };
})();

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
    key: `board-cross-${start}-${Math.random()}`,
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
    body: { name: "跨网格看板城", timeZone: "Asia/Shanghai", center: CENTER, radiusKm: 25 },
  });
  const service = await api.ok("POST", "/v1/admin/services", {
    token: admin.token,
    body: {
      categoryId: "cat_demoDailyCleaning",
      name: { zh: "跨网格保洁", en: "Cross-cell cleaning" },
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
  for (const [phone, home] of [
    ["+8613600000130", CENTER],
    ["+8613600000131", NEIGHBOUR],
  ]) {
    const t = await api.ok("POST", "/v1/admin/technicians", {
      token: admin.token,
      body: { phone, name: `跨网格师傅${phone.slice(-1)}`, skills: ["cleaning"], home, serviceRadiusKm: 30 },
    });
    await api.ok("POST", `/v1/admin/technicians/${t.id}/approve`, { token: admin.token, body: {} });
    techs.push(t);
  }
  assert.equal(techs[0].homeCell, HOME_CELL);
  assert.notEqual(techs[1].homeCell, HOME_CELL);
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
  // Both jobs given to the technician of the board's cell (offered: `assigned`), through the other one if it held them.
  for (const o of orders) {
    const end = new Date(Date.parse(o.start) + 2 * 3_600_000).toISOString();
    const give = (technicianId) =>
      api.ok("POST", `/v1/admin/cells/${HOME_CELL}/moves`, {
        token: admin.token,
        body: { moves: [{ orderId: o.id, technicianId, start: o.start, end }] },
      });
    if ((await staffOrder(o.id)).technician?.id === techs[0].id) await give(techs[1].id);
    await give(techs[0].id);
    assert.equal((await staffOrder(o.id)).status, "assigned");
  }
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Drags a job's block (held 10 minutes into it) onto a technician's row so that it starts at local `hhmm`. */
async function dragOnto(page, orderId, technicianId, hhmm) {
  const block = page.locator(`[data-order="${orderId}"]`);
  await block.scrollIntoViewIfNeeded();
  const item = await block.boundingBox();
  const track = page.locator(`[data-track="${technicianId}"]`);
  const box = await track.boundingBox();
  const { axisStart, pxPerMin } = await track.evaluate((el) => ({
    axisStart: Number(el.getAttribute("data-axis-start")),
    pxPerMin: Number(el.getAttribute("data-px-per-min")),
  }));
  const [h, m] = hhmm.split(":").map(Number);
  const grabAt = 10 * pxPerMin;
  const x = box.x + (h * 60 + m - axisStart) * pxPerMin + grabAt + 1;
  const y = box.y + box.height / 2;
  const from = { x: item.x + grabAt, y: item.y + item.height / 2 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + x) / 2, (from.y + y) / 2, { steps: 5 });
  await page.mouse.move(x, y, { steps: 5 });
  await page.mouse.up();
}

/** The board of the home cell on the test's day, with the neighbouring cells' technicians shown. */
async function openBoard(page) {
  await page.goto(`${server.url}/dashboard/#/board/${HOME_CELL}`);
  await page.reload();
  await page.waitForSelector('[data-screen="board"]');
  await page.fill('[data-testid="board-date"]', day);
  await page.waitForSelector(`[data-track="${techs[0].id}"]`);
  await page.check('[data-testid="board-neighbours"]');
  await page.waitForSelector(`[data-track="${techs[1].id}"]`);
}

describe("dispatcher's board across cells", () => {
  it("moves a job onto a technician of a neighbouring cell, and refuses one dropped on a busy time there", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.evaluate((id) => localStorage.setItem("doorstep.city", id), city.id);
    await openBoard(page);
    // The neighbour is labelled as from another cell; the board's own technician is not.
    assert.match(await page.locator(`[data-testid="other-cell-${techs[1].id}"]`).textContent(), /another cell|其他网格/);
    assert.equal(await page.locator(`[data-testid="other-cell-${techs[0].id}"]`).count(), 0);
    await page.waitForSelector(`[data-tech="${techs[0].id}"] [data-order="${orders[0].id}"]`);

    // Accepted: the 10:00 job goes to the technician of the neighbouring cell at 10:00.
    await dragOnto(page, orders[0].id, techs[1].id, "10:00");
    await page.waitForSelector(`[data-tech="${techs[1].id}"] [data-order="${orders[0].id}"]`);
    await page.waitForSelector('[data-testid="board-note"]');
    const moved = await staffOrder(orders[0].id);
    assert.equal(moved.technician?.id, techs[1].id);
    assert.equal(moved.status, "assigned");
    assert.equal(Date.parse(moved.start), Date.parse(orders[0].start));
    await page.reload();
    await openBoard(page);
    await page.waitForSelector(`[data-tech="${techs[1].id}"] [data-order="${orders[0].id}"]`);
    assert.equal(await page.locator(`[data-tech="${techs[0].id}"] [data-order="${orders[0].id}"]`).count(), 0);

    // Refused: the 14:00 job dropped onto the same technician at 10:30 clashes with the job just moved.
    const before2 = await staffOrder(orders[1].id);
    await dragOnto(page, orders[1].id, techs[1].id, "10:30");
    const alert = page.locator('[data-testid="board-error"] [role="alert"]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /MOVE_REFUSED/);
    assert.match(await alert.textContent(), /clashes|冲突/);
    const after2 = await staffOrder(orders[1].id);
    assert.equal(after2.status, before2.status);
    assert.equal(after2.technician?.id, before2.technician?.id);
    assert.equal(after2.start, before2.start);
    // the block went back to its own row
    await page.waitForSelector(`[data-tech="${techs[0].id}"] [data-order="${orders[1].id}"]`);
    assert.equal(await page.locator(`[data-tech="${techs[1].id}"] [data-order="${orders[1].id}"]`).count(), 0);
    await page.close();
  });
});
