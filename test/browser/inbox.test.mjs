/* global document -- inside page functions, which run in the browser */
// The staff inbox in real Chromium against a real local Doorstep: a user opens a support
// conversation through the API, an operator opens the inbox, sees it waiting, claims it, picks a
// canned answer and sends it; the API then shows the operator's reply to the user.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 43;
const OPERATOR = "+8613800000001";
const USER = `+86139${String(Date.now()).slice(-8)}`;

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

describe("staff inbox", () => {
  it("an operator claims a waiting support conversation and replies with a canned answer, which the API then shows", async () => {
    const user = await api.signIn(USER);
    const started = await api.call("POST", "/v1/conversations", { token: user.token, body: { text: "我的订单一直没人接" } });
    assert.equal(started.status, 201);
    const id = started.body.id;
    const operator = await api.signIn(OPERATOR);
    const canned = await api.call("POST", "/v1/admin/canned-answers", {
      token: operator.token,
      body: { title: `问候 ${id.slice(-4)}`, body: "您好，我们正在为您处理。" },
    });
    assert.equal(canned.status, 201);

    const page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    await signInThroughUi(page, server.url, OPERATOR);
    await page.click('a[data-nav="inbox"]');
    const row = `tr[data-conversation="${id}"]`;
    await page.waitForSelector(row);
    assert.match(await page.textContent(row), /我的订单一直没人接/);
    await page.click(row);
    await page.click('[data-testid="claim"]');
    await page.waitForSelector('textarea[name="reply"]');
    await page.selectOption('select[name="canned"]', { label: canned.body.title });
    assert.equal(await page.inputValue('textarea[name="reply"]'), "您好，我们正在为您处理。");
    await page.click('[data-testid="send"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="messages"]')?.textContent?.includes("您好，我们正在为您处理。"));

    const history = await api.call("GET", `/v1/conversations/${id}/messages`, { token: user.token });
    assert.equal(history.status, 200);
    assert.equal(history.body.items[0].text, "您好，我们正在为您处理。");
    assert.equal(history.body.items[0].senderId, operator.me.id);
    const conv = await api.call("GET", `/v1/conversations/${id}`, { token: user.token });
    assert.equal(conv.body.waitingSince, null);
    assert.notEqual(conv.body.assigneeId, null);
    await page.close();
  });
});
