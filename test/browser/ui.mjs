/* global localStorage -- inside page functions, which run in the browser */
// Steps the browser tests share.
import assert from "node:assert/strict";

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
