// The Backups & exports screen in real Chromium against a real local Doorstep: the daily backup cron
// runs (wrangler dev --test-scheduled), an operator sees the backup with its size and downloads it as
// one SQL file, and exports a city cell's calendar as CSV. A merchant admin has no such screen.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, next to the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 9;
const OPERATOR = "+8613800000001";
const MERCHANT_ADMIN_1 = "+8613800000101";

let server;
let browser;
let api;

before(async () => {
  server = await startLocalServer({ port: PORT, testScheduled: true });
  api = new Client(server.url);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe("backups and cell exports", () => {
  it("an operator sees the day's backup with its size, downloads it as SQL, and exports a cell's calendar as CSV", async () => {
    // The daily cron, as Cloudflare would fire it.
    const cron = await fetch(`${server.url}/__scheduled?cron=${encodeURIComponent("30 2 * * *")}`);
    assert.equal(cron.status, 200);
    const operator = await api.signIn(OPERATOR);
    const listed = await api.call("GET", "/v1/admin/backups", { token: operator.token });
    assert.equal(listed.status, 200);
    const backup = listed.body.items[0];
    assert.equal(backup.status, "complete");
    assert.ok(backup.rows > 0);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="operate"]');
    const row = `tr[data-backup="${backup.date}"][data-status="complete"]`;
    await page.waitForSelector(row);
    assert.match(await page.textContent(`${row} [data-testid="backup-size"]`), /^\d+(\.\d)? (KB|MB|B)$/);

    const [sql] = await Promise.all([page.waitForEvent("download"), page.click(`${row} [data-testid="backup-download"]`)]);
    assert.equal(sql.suggestedFilename(), `doorstep-d1-${backup.date}.sql`);
    const text = await readFile(await sql.path(), "utf8");
    assert.equal(Buffer.byteLength(text), backup.bytes);
    assert.match(text, /CREATE TABLE [`"]?accounts/);
    assert.match(text, /INSERT INTO "accounts"/);

    await page.waitForSelector('[data-testid="cell-export-csv"]');
    const cell = await page.inputValue('select[name="cell"]');
    const [csv] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="cell-export-csv"]')]);
    assert.equal(csv.suggestedFilename(), `cell-${cell}.csv`);
    const lines = (await readFile(await csv.path(), "utf8")).split("\r\n");
    assert.match(lines[0], /^record,technicianId,technicianName,orderId,state,startUtc,startLocal/);

    // The download is in the audit log.
    const admin = await api.signIn("+8613800000000");
    const audit = await api.call("GET", "/v1/admin/audit?limit=20", { token: admin.token });
    const actions = audit.body.items.map((e) => `${e.action}:${e.targetId}`);
    assert.ok(actions.includes(`backup.download:${backup.date}`));
    assert.ok(actions.includes(`cell.export:${cell}`));
    await page.close();
  });

  it("a merchant admin has no Backups & exports screen and the API refuses them", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    assert.equal(await page.locator('a[data-nav="operate"]').count(), 0);
    const merchant = await api.signIn(MERCHANT_ADMIN_1);
    assert.equal((await api.call("GET", "/v1/admin/backups", { token: merchant.token })).status, 403);
    await page.close();
  });
});
