/* global document -- inside page functions, which run in the browser */
// The API reference (GET /docs) in real Chromium against a real local Doorstep: the page loads with
// its try-it script from this origin only (no CDN), and its forms call the API through the SDK:
// sign in with the two auth operations, then an authenticated call with the token the page kept.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";

// its own port, next to the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 11;
const ADMIN = "+8613800000000";

let server;
let browser;

before(async () => {
  server = await startLocalServer({ port: PORT });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const form = (operationId) => `form.try-it[data-operation="${operationId}"]`;

/** Opens an operation's try-it form, fills `fields` (name → value), sends it and returns the answer's status and text. */
async function tryIt(page, operationId, fields = {}) {
  const f = form(operationId);
  if (!(await page.isVisible(`${f} button[type="submit"]`))) await page.click(`article:has(${f}) details.try > summary`);
  for (const [name, value] of Object.entries(fields)) await page.fill(`${f} [name="${name}"]`, value);
  await page.evaluate((sel) => {
    const out = document.querySelector(`${sel} output`);
    delete out.dataset.status;
  }, f);
  await page.click(`${f} button[type="submit"]`);
  await page.waitForSelector(`${f} output[data-status]`);
  return {
    status: Number(await page.getAttribute(`${f} output`, "data-status")),
    text: await page.textContent(`${f} output`),
  };
}

describe("the API reference", () => {
  it("loads offline with every operation, and its try-it forms sign in and call the API with the kept token", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    const elsewhere = [];
    const failed = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(server.url)) elsewhere.push(r.url());
    });
    page.on("pageerror", (e) => failed.push(String(e)));
    // The browser logs every 4xx answer as "Failed to load resource"; the 401 and 404 below are asked for.
    page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && failed.push(m.text()));

    // The page renders the whole document on the server: give a busy machine time.
    const res = await page.goto(`${server.url}/docs`, { timeout: 90_000 });
    assert.equal(res.status(), 200);
    const document = await (await page.request.get(`${server.url}/openapi.json`)).json();
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    assert.equal(await page.locator("article.op[id^=op-]").count(), operations.length);
    // A form per operation, except those whose body is a file (they say how to send it instead).
    const jsonOrNoBody = operations.filter((op) => !op.requestBody || "application/json" in op.requestBody.content);
    assert.equal(await page.locator("form.try-it").count(), jsonOrNoBody.length);
    // The booking form carries a fresh Idempotency-Key from the SDK.
    assert.match(await page.inputValue(`${form("placeOrder")} input[data-idempotency-key]`), /^[0-9a-f-]{36}$/);

    // Without a token the page's call is refused like any other.
    const anonymous = await tryIt(page, "getMe");
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.text, /"status": 401/);

    const otp = await tryIt(page, "requestOtp", { body: JSON.stringify({ phone: ADMIN }) });
    assert.equal(otp.status, 202, otp.text);
    const code = JSON.parse(otp.text.slice(otp.text.indexOf("\n") + 1)).devCode;
    assert.match(code, /^\d{6}$/);
    const token = await tryIt(page, "issueToken", { body: JSON.stringify({ phone: ADMIN, code }) });
    assert.equal(token.status, 200, token.text);
    assert.ok((await page.inputValue("#try-token")).length > 20, "the page keeps the access token it was given");

    await page.selectOption("#try-language", "en");
    const me = await tryIt(page, "getMe");
    assert.equal(me.status, 200, me.text);
    assert.match(me.text, /"roles"/);
    assert.match(me.text, /admin/);

    // A path parameter and a query parameter, and an answer in the chosen language.
    const missing = await tryIt(page, "getService", { "path:id": "svc_does_not_exist" });
    assert.equal(missing.status, 404);
    assert.match(missing.text, /"code": "NOT_FOUND"/);
    assert.doesNotMatch(missing.text, /[\u4e00-\u9fff]/, "problem text in English after choosing en");
    const listed = await tryIt(page, "listServices", { "query:limit": "2" });
    assert.equal(listed.status, 200, listed.text);
    assert.ok(JSON.parse(listed.text.slice(listed.text.indexOf("\n") + 1)).items.length <= 2);

    assert.deepEqual(elsewhere, [], "the page loads nothing from elsewhere");
    assert.deepEqual(failed, [], "no script errors");
  });
});
