/* global document -- inside page functions, which run in the browser */
// The webhooks screen in real Chromium against a real local Doorstep (wrangler dev with its real
// queues): a merchant admin subscribes a local receiver (http://127.0.0.1, allowed by
// WEBHOOK_ALLOW_LOCAL_HTTP in development), copies the secret shown once, books an order and sees the
// delivery in the log after the receiver's first refusal was retried; the receiver verifies every
// delivery with README's own Node/TypeScript snippet. Then the secret is rotated (both signatures
// during the overlap), a delivery replayed, the subscription paused and deleted.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, next to the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 11;
const MERCHANT_ADMIN_1 = "+8613800000101";
const CUSTOMER = "+8613700000012";

/** README's verification snippet, as an integrator would paste it (Node runs the TypeScript as is). */
async function readmeVerifier() {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = /<!-- webhook-verify-snippet -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "README has the verification snippet");
  const file = path.join(mkdtempSync(path.join(tmpdir(), "doorstep-verify-")), "verify.ts");
  writeFileSync(file, block[1]);
  return (await import(pathToFileURL(file).href)).verifyDoorstepSignature;
}

let server;
let browser;
let api;
let receiver;
let receiverUrl;
const received = [];
let secrets = [];
let verify;

before(async () => {
  verify = await readmeVerifier();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const signature = req.headers["doorstep-signature"];
      const ok = verify(signature, body, secrets);
      received.push({ body, signature, ok, event: JSON.parse(body) });
      // An order's creation is refused the first time, as by a receiver having a bad moment.
      const event = received[received.length - 1].event;
      const first = received.filter((r) => r.ok && r.event.id === event.id).length === 1;
      const status = !ok ? 400 : event.type === "order.created" && first ? 503 : 200;
      res.writeHead(status).end(status === 200 ? "thanks" : "not now");
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${receiver.address().port}/doorstep`;
  server = await startLocalServer({ port: PORT, vars: { WEBHOOK_ALLOW_LOCAL_HTTP: "1", WEBHOOK_RETRY_SECONDS: "1" } });
  api = new Client(server.url);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  receiver?.close();
});

const waitUntil = async (probe, what, ms = 30_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe("webhooks", () => {
  it("a merchant admin subscribes, sees signed deliveries retried and logged, rotates the secret, replays, pauses and deletes", async () => {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    await signInThroughUi(page, server.url, MERCHANT_ADMIN_1);
    await page.click('a[data-nav="webhooks"]');
    await page.waitForSelector('[data-testid="new-webhook"]');

    // A URL the SSRF guard refuses is answered at its field, and nothing is made.
    await page.click('[data-testid="new-webhook"]');
    await page.fill('[data-testid="webhook-form"] input[name="url"]', "https://169.254.169.254/latest");
    await page.click('[data-testid="subscribe"]');
    await page.waitForSelector('[data-testid="webhook-form"] .error');
    assert.equal(await page.$("tr[data-subscription]"), null);

    await page.fill('[data-testid="webhook-form"] input[name="url"]', receiverUrl);
    await page.check('input[name="event-payment.succeeded"]');
    await page.fill('[data-testid="webhook-form"] input[name="description"]', "ERP");
    await page.click('[data-testid="subscribe"]');
    const secret = (await page.textContent('[data-testid="secret"]')).trim();
    assert.match(secret, /^whsec_/);
    secrets = [secret];
    await page.click('[data-testid="secret-once"] button');
    const row = await page.waitForSelector('tr[data-subscription][data-status="active"]');
    const subscriptionId = await row.getAttribute("data-subscription");

    // An order of merchant 1 (its cleaning service): booked and paid through the API.
    const customer = await api.signIn(CUSTOMER);
    const booked = await api.bookFirstFree(customer, "svc_demoCleaning2h", { fromDay: 1, paymentPlan: "full" });
    assert.ok(booked, "a free time for svc_demoCleaning2h");
    await api.payWithSandbox(customer, booked.id);
    const created = await waitUntil(
      () =>
        received.find(
          (r) =>
            r.ok &&
            r.event.type === "order.created" &&
            r.event.data.orderId === booked.id &&
            received.filter((x) => x.event.id === r.event.id).length >= 2,
        ),
      "order.created delivered after a retry",
    );
    assert.equal(created.event.data.merchantId, "mch_demo01");
    await waitUntil(
      () => received.find((r) => r.ok && r.event.type === "payment.succeeded" && r.event.data.orderId === booked.id),
      "payment.succeeded",
    );
    assert.ok(
      received.every((r) => r.ok),
      "every delivery verified with README's snippet",
    );
    assert.equal(verify(created.signature, created.body.replace(booked.id, "ord_forged"), [secret]), false);

    // The log: the delivery succeeded on its second attempt, its body shown.
    await page.click(`tr[data-subscription="${subscriptionId}"] [data-testid="show-deliveries"]`);
    const deliveryRow = await waitUntil(async () => {
      await page.click('[data-testid="reload-deliveries"]');
      await page.waitForTimeout(300);
      for (const el of await page.$$('tr[data-delivery][data-status="succeeded"]')) {
        if ((await el.textContent()).includes(booked.id) && (await el.$eval("td.num", (td) => td.textContent)) === "2") return el;
      }
      return null;
    }, "the delivery log row");
    assert.match(await deliveryRow.textContent(), /200/);
    const deliveryId = await deliveryRow.getAttribute("data-delivery");

    // Rotation: the new secret is shown once; during the overlap both sign.
    await page.click(`tr[data-subscription="${subscriptionId}"] [data-testid="rotate"]`);
    await page.waitForSelector('[data-testid="secret-once"]');
    const rotated = (await page.textContent('[data-testid="secret"]')).trim();
    assert.notEqual(rotated, secret);
    await page.waitForSelector(`tr[data-subscription="${subscriptionId}"] >> text=/${"旧密钥|Old secret"}/`);
    const before = received.length;
    await page.click(`tr[data-delivery="${deliveryId}"] [data-testid="replay-delivery"]`);
    const replayed = await waitUntil(() => received.slice(before).find((r) => r.event.id === created.event.id), "the replayed delivery");
    assert.equal(replayed.body, created.body);
    assert.match(replayed.signature, /^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    assert.equal(verify(replayed.signature, replayed.body, [rotated]), true);
    assert.equal(verify(replayed.signature, replayed.body, [secret]), true);

    // Pause, then delete: the list shows each, and nothing is left.
    await page.click(`tr[data-subscription="${subscriptionId}"] [data-testid="pause"]`);
    await page.waitForSelector(`tr[data-subscription="${subscriptionId}"][data-status="paused"]`);
    const subscription = await api.call("GET", `/v1/admin/webhook-subscriptions/${subscriptionId}`, {
      token: (await api.signIn(MERCHANT_ADMIN_1)).token,
    });
    assert.equal(subscription.body.status, "paused");
    await page.click(`tr[data-subscription="${subscriptionId}"] [data-testid="delete-webhook"]`);
    await page.waitForFunction((sel) => !document.querySelector(sel), `tr[data-subscription="${subscriptionId}"]`);
    await page.close();
  });
});
