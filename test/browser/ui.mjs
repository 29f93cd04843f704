/* global localStorage -- inside page functions, which run in the browser */
// Steps the browser tests share.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";

/**
 * Signs in through the dashboard's OTP form (the development server echoes the code, the form
 * fills it in), as nobody before: the browser context's stored session is dropped first.
 */
export async function signInThroughUi(page, url, phone) {
  await page.goto(`${url}/dashboard/`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.fill('input[name="phone"]', phone);
  await page.click('[data-testid="send-code"]');
  await page.waitForSelector('[data-testid="dev-code"]');
  assert.match(await page.inputValue('input[name="code"]'), /^\d{6}$/);
  await page.click('[data-testid="submit-code"]');
  await page.waitForSelector("header.top");
}

/**
 * A local Doorstep (demo data) on `port`, an API client signed in as `phone` (its token), and real
 * Chromium with a page signed in to the dashboard as the same account. Close it with `closeSignedIn`.
 */
export async function openSignedIn(port, phone) {
  const server = await startLocalServer({ port });
  const api = new Client(server.url);
  const token = (await api.signIn(phone)).token;
  const browser = await openBrowser();
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);
  await signInThroughUi(page, server.url, phone);
  return { server, api, token, browser, page };
}

/** Closes what `openSignedIn` opened (whatever of it was opened). */
export async function closeSignedIn(opened) {
  await opened?.browser?.close();
  await opened?.server?.stop();
}

/**
 * For a test file: `openSignedIn` before its tests and `closeSignedIn` after them. The returned
 * object is filled in before the first test runs (`server`, `api`, `token`, `browser`, `page`).
 */
export function signedInDashboard(port, phone) {
  const opened = {};
  before(async () => Object.assign(opened, await openSignedIn(port, phone)));
  after(() => closeSignedIn(opened));
  return opened;
}

/**
 * The date ("YYYY-MM-DD", Shanghai) of the `n`-th day from tomorrow on which the demo electricians
 * work: Monday to Saturday (QuickFix's weekly shifts leave Sunday free, so a booking then finds nobody).
 */
export function demoWorkday(n) {
  const format = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });
  for (let d = 1, left = n; d <= 2 * n + 1; d++) {
    const date = format.format(new Date(Date.now() + d * 86_400_000));
    if (new Date(`${date}T12:00:00+08:00`).getUTCDay() !== 0 && --left === 0) return date;
  }
  throw new Error(`no ${n}-th working day`);
}
