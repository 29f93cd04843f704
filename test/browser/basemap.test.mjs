/* global document -- inside page functions, which run in the browser */
// The live map's basemap in real Chromium (software WebGL) against a real local Doorstep: with the
// demo city's archive in R2, MapLibre draws it under the layer, which follows the basemap's view, and
// no request leaves the server's origin; without the archive, the map is the plain one.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 112;
const OPERATOR = "+8613800000001";

/** Every request the page makes, with the status of its answer. */
function recordRequests(page) {
  const seen = [];
  page.on("request", (req) => seen.push({ url: req.url(), status: null, req }));
  page.on("response", (res) => {
    const entry = seen.find((s) => s.req === res.request());
    if (entry) entry.status = res.status();
  });
  return seen;
}

/** The pixel position of the first corner of the first cell drawn. */
const firstCorner = async (page) => {
  const points = await page.getAttribute("svg.map polygon[data-cell]", "points");
  const [x, y] = points.split(" ")[0].split(",").map(Number);
  return { x, y, points };
};

const external = (seen, origin) => seen.map((s) => s.url).filter((u) => !u.startsWith(origin) && !/^(data|blob):/.test(u));

describe("with the demo basemap", () => {
  let server;
  let browser;
  let page;
  let seen;

  before(async () => {
    server = await startLocalServer({ port: PORT });
    browser = await openBrowser({ webgl: true });
    page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    seen = recordRequests(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("draws MapLibre's canvas with land, coast and water from the archive, the place name and the attribution", async () => {
    await signInThroughUi(page, server.url, OPERATOR);
    await page.waitForSelector("svg.map polygon[data-cell]");
    await page.waitForSelector(".basemap canvas.maplibregl-canvas");
    await page.waitForSelector('.basemap[data-basemap="ready"]');
    await page.waitForFunction(() => /\bland\b/.test(document.querySelector(".basemap")?.dataset.basemapLayers ?? ""));
    const layers = await page.getAttribute(".basemap", "data-basemap-layers");
    assert.match(layers, /\bland\b/);
    assert.equal(await page.textContent(".basemap-label"), "上海");
    assert.match(await page.textContent(".maplibregl-ctrl-attrib"), /Natural Earth/);
    // the layer lies over the basemap and takes its view
    assert.equal(await page.getAttribute("svg.map", "class"), "map over-basemap");
    // the technicians' canvas lies over it too, and the cells keep their surge attribute
    assert.ok(await page.$("canvas.tech-layer"));
    assert.ok(await page.getAttribute("svg.map polygon[data-cell]", "data-surge"));
    // the archive was read in byte ranges
    const archive = seen.filter((s) => s.url.includes("/v1/basemap/cty_demoShanghai.pmtiles"));
    assert.ok(archive.length >= 2, "header and tiles");
    assert.ok(
      archive.every((s) => s.status === 206 || s.status === null),
      JSON.stringify(archive.map((s) => s.status)),
    );
  });

  it("moves the layer with the basemap when the map is dragged", async () => {
    const before = await firstCorner(page);
    const box = await page.locator(".map-wrap").boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2 + 80, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction((p) => document.querySelector("svg.map polygon[data-cell]")?.getAttribute("points") !== p, before.points);
    const after = await firstCorner(page);
    assert.ok(Math.abs(after.x - before.x - 150) < 30, `the cells moved right with the drag: ${before.x} → ${after.x}`);
    assert.ok(Math.abs(after.y - before.y - 80) < 30, `and down: ${before.y} → ${after.y}`);
  });

  it("zooms the basemap and the layer together with the zoom buttons", async () => {
    const before = await firstCorner(page);
    await page.click(".map-bar button.ghost:has-text('＋')");
    await page.waitForFunction((p) => document.querySelector("svg.map polygon[data-cell]")?.getAttribute("points") !== p, before.points);
    assert.notEqual((await firstCorner(page)).points, before.points);
  });

  it("sends no request outside the server's origin", () => {
    assert.deepEqual(external(seen, server.url), []);
    assert.ok(seen.some((s) => s.url.endsWith("/dashboard/maplibre-gl-worker.mjs")));
  });
});

describe("without a basemap", () => {
  let server;
  let browser;
  let page;
  let seen;

  before(async () => {
    server = await startLocalServer({ port: PORT, basemap: false });
    browser = await openBrowser({ webgl: true });
    page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    seen = recordRequests(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("draws the map as before: no canvas, the layer zooms by itself, and MapLibre is never loaded", async () => {
    const probe = page.waitForResponse((res) => res.url().includes("/v1/basemap/"));
    await signInThroughUi(page, server.url, OPERATOR);
    await page.waitForSelector("svg.map polygon[data-cell]");
    const answer = await probe;
    assert.equal(answer.status(), 404);
    assert.ok(answer.url().endsWith("/v1/basemap/cty_demoShanghai.pmtiles"));
    assert.equal(await page.$(".basemap canvas"), null);
    assert.equal(await page.getAttribute("svg.map", "class"), "map");
    const before = await firstCorner(page);
    await page.click(".map-bar button.ghost:has-text('＋')");
    await page.waitForFunction((p) => document.querySelector("svg.map polygon[data-cell]")?.getAttribute("points") !== p, before.points);
    assert.ok(!seen.some((s) => s.url.includes("maplibre")), "MapLibre's chunk, worker and stylesheet stay unloaded");
    assert.deepEqual(external(seen, server.url), []);
  });
});
