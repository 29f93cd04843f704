/* global document, MouseEvent, PointerEvent -- inside page functions, which run in the browser */
// The live map streams: a technician's heartbeat moves their dot within a second, through the cell's
// socket, with no poll of the city's live feed meanwhile. Real Chromium against a real local Doorstep.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 109;
const OPERATOR = "+8613800000001";

let server;
let browser;
let api;
let page;
let tech;
let profile;
const polls = [];

before(async () => {
  // Without the city's basemap: the map's own pan/zoom view, whose pinch this file checks to the pixel
  // (over a basemap, MapLibre moves the map; test/browser/basemap.test.mjs).
  server = await startLocalServer({ port: PORT, basemap: false });
  api = new Client(server.url);
  const admin = await api.signIn("+8613800000000");
  tech = await api.signIn("+8613900000003");
  profile = await api.ok("GET", `/v1/admin/technicians/${tech.me.technician.id}`, { token: admin.token });
  await api.online(tech);
  await api.position(tech, { lat: profile.home.lat + 0.002, lng: profile.home.lng + 0.002 });
  browser = await openBrowser();
  page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("request", (r) => {
    if (/\/v1\/admin\/cities\/[^/]+\/live\b/.test(new URL(r.url()).pathname)) polls.push(Date.now());
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const markerOf = (id) => page.evaluate((tid) => document.querySelector("canvas.tech-layer")?.markerOf?.(tid) ?? null, id);

describe("the live map", () => {
  it("moves a technician's dot within a second of a heartbeat, streamed, without polling", async () => {
    await signInThroughUi(page, server.url, OPERATOR);
    await page.waitForSelector('section.map-screen[data-live="socket"]');
    // every cell in view has its socket open
    await page.waitForFunction(() => {
      const el = document.querySelector("section.map-screen");
      return el && Number(el.dataset.socketsWanted) > 0 && el.dataset.socketsOpen === el.dataset.socketsWanted;
    });
    const id = tech.me.technician.id;
    await page.waitForFunction((tid) => document.querySelector("canvas.tech-layer")?.markerOf?.(tid)?.state === "online", id);
    const before = await markerOf(id);
    const since = Date.now();
    const pollsBefore = polls.length;

    const target = { lat: profile.home.lat - 0.006, lng: profile.home.lng + 0.004 };
    // The heartbeat is recorded when its answer comes; from then on the dot has one second.
    await api.position(tech, target);
    const recorded = Date.now();
    await page.waitForFunction(
      ([tid, was]) => {
        const m = document.querySelector("canvas.tech-layer")?.markerOf?.(tid);
        return m && (m.x !== was.x || m.y !== was.y);
      },
      [id, before],
      { timeout: 1_000 },
    );
    assert.ok(Date.now() - recorded <= 1_100, `the dot moved ${Date.now() - recorded} ms after the heartbeat`);
    // …and glides all the way to where the technician reported.
    await page.waitForFunction(
      ([tid, to]) => {
        const m = document.querySelector("canvas.tech-layer")?.markerOf?.(tid);
        return m && Math.abs(m.lat - to.lat) < 1e-7 && Math.abs(m.lng - to.lng) < 1e-7;
      },
      [id, target],
      { timeout: 3_000 },
    );
    // Longer than the poll interval: still no request to the city's live feed since the socket opened.
    await page.waitForTimeout(2_500);
    assert.equal(polls.length, pollsBefore, `no poll of the live feed after ${Date.now() - since} ms with the socket open`);
    assert.ok(pollsBefore >= 1, "the first picture came from the live feed");
  });

  it("finds a technician by id and opens them on the map", async () => {
    const id = tech.me.technician.id;
    await page.fill('.map-search input[name="q"]', id);
    await page.click('[data-testid="map-search-go"]');
    await page.waitForSelector('[data-testid="map-details"]');
    assert.match(await page.textContent('[data-testid="map-details"]'), new RegExp(id));
  });

  it("pans with a drag and zooms with the wheel, the dots following the view", async () => {
    const id = tech.me.technician.id;
    const before = await markerOf(id);
    const box = await page.locator(".map-wrap").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 30, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(
      ([tid, was]) => {
        const m = document.querySelector("canvas.tech-layer")?.markerOf?.(tid);
        return m && Math.abs(m.x - was.x - 60) < 2 && Math.abs(m.y - was.y - 30) < 2;
      },
      [id, before],
    );
    const panned = await markerOf(id);
    // zoom about a point away from the dot, so the dot moves
    await page.mouse.move(box.x + 30, box.y + 30);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction(
      ([tid, was]) => {
        const m = document.querySelector("canvas.tech-layer")?.markerOf?.(tid);
        return m && (Math.abs(m.x - was.x) > 1 || Math.abs(m.y - was.y) > 1);
      },
      [id, panned],
    );
  });

  it("zooms with a two-finger pinch, as on a phone", async () => {
    const id = tech.me.technician.id;
    const centre = await page.evaluate(() => {
      const r = document.querySelector(".map-wrap").getBoundingClientRect();
      return { x: r.width / 2, y: r.height / 2 };
    });
    const before = await markerOf(id);
    // Fingers 40 px apart move to 120 px apart around the middle: three times closer.
    await page.evaluate(() => {
      const el = document.querySelector(".map-wrap");
      const r = el.getBoundingClientRect();
      const cx = r.left + r.width / 2;
      const cy = r.top + r.height / 2;
      const touch = (type, pointerId, x) =>
        el.dispatchEvent(
          new PointerEvent(type, { pointerId, pointerType: "touch", isPrimary: pointerId === 1, clientX: x, clientY: cy, bubbles: true }),
        );
      touch("pointerdown", 1, cx - 20);
      touch("pointerdown", 2, cx + 20);
      for (let i = 1; i <= 4; i++) {
        touch("pointermove", 1, cx - 20 - i * 10);
        touch("pointermove", 2, cx + 20 + i * 10);
      }
      touch("pointerup", 1, cx - 60);
      touch("pointerup", 2, cx + 60);
    });
    await page.waitForFunction(
      ([tid, was]) => {
        const m = document.querySelector("canvas.tech-layer")?.markerOf?.(tid);
        return m && (m.x !== was.x || m.y !== was.y);
      },
      [id, before],
    );
    const after = await markerOf(id);
    const dist = (m) => Math.hypot(m.x - centre.x, m.y - centre.y);
    assert.ok(dist(before) > 5, "the dot is away from the pinch's middle");
    assert.ok(Math.abs(dist(after) / dist(before) - 3) < 0.2, `pinched ×${(dist(after) / dist(before)).toFixed(2)}`);
  });

  it("shows new orders and their changes on the orders screen and in the open order, without a reload", async () => {
    await page.click('a[data-nav="orders"]');
    await page.waitForSelector('[data-testid="orders-live"]');
    const operator = await api.signIn(OPERATOR);
    const customer = await api.signIn("+8613700000007");
    const order = await api.bookFirstFree(customer, "svc_demoElectrical", { fromDay: 2 });
    assert.ok(order, "a free time was found");
    await page.waitForSelector(`tr[data-order-id="${order.id}"]`, { timeout: 10_000 });
    await page.click(`tr[data-order-id="${order.id}"]`);
    await page.waitForSelector('[data-testid="order-drawer"]');
    await api.ok("POST", `/v1/admin/orders/${order.id}/cancel`, { token: operator.token, body: { reason: "live map test" } });
    await page.waitForSelector('[data-testid="order-drawer"][data-status="cancelled"]', { timeout: 10_000 });
  });
});

describe("the surge outline", () => {
  it("outlines a cell whose streamed summary says it is surging, names the state, and counts it in the legend", async () => {
    // The cell's real socket, its summary of the technician's cell marked surging on the way (as the
    // cell sends it when its surge starts; durable/ops.feed.ts, tested in test/surge/surge-cell.test.ts).
    const second = await browser.context.newPage();
    second.setDefaultTimeout(15_000);
    let marked = null;
    await second.routeWebSocket(/\/v1\/admin\/cells\/[^/]+\/live/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        const frame = JSON.parse(String(message));
        const cell = frame.cell?.cell ?? null;
        if (cell && (marked === null || marked === cell)) {
          marked = cell;
          frame.cell.surge = "surging";
        }
        ws.send(JSON.stringify(frame));
      });
      ws.onMessage((message) => server.send(message));
    });
    await signInThroughUi(second, server.url, OPERATOR);
    await second.waitForSelector('svg.map polygon[data-surge="surging"]');
    const outlined = await second.$$eval('svg.map polygon[data-surge="surging"]', (els) =>
      els.map((el) => ({ cell: el.dataset.cell, stroke: el.getAttribute("stroke"), width: el.getAttribute("stroke-width") })),
    );
    assert.deepEqual(outlined, [{ cell: marked, stroke: "#c2410c", width: "3" }]);
    const calm = await second.$eval('svg.map polygon[data-surge="normal"]', (el) => el.getAttribute("stroke"));
    assert.equal(calm, "#5b6b7d");
    assert.equal(await second.textContent('[data-testid="count-surging"]'), "1");
    // the cell's details name the state in the interface language, never the raw code
    await second.evaluate((cell) => {
      const el = document.querySelector(`svg.map polygon[data-cell="${cell}"]`);
      el.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    }, marked);
    const details = await second.textContent('[data-testid="map-details"]');
    assert.match(details, /需求状态\s*需求激增/);
    assert.doesNotMatch(details, /surging/);
    await second.close();
  });
});
