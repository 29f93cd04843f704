/* global document, localStorage -- inside page functions, which run in the browser */
// The staff inbox in real Chromium against a real local Doorstep. A user opens a support
// conversation through the API; an operator opens the inbox, which follows it over its WebSocket
// (polling pushed out to an hour, so whatever shows up within seconds came over the socket). The
// operator cannot read the conversation before stating a reason (audited), claims it, sees the
// user's next message arrive live, and replies with a canned answer, which the API then shows.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openBrowser } from "../../scripts/browser.mjs";
import { Client } from "../../scripts/demo-client.mjs";
import { startLocalServer } from "../../scripts/local-server.mjs";
import { signInThroughUi } from "./ui.mjs";

// its own port, far from the other browser tests' servers
const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8800) + 43;
const ADMIN = "+8613800000000";
const OPERATOR = "+8613800000001";
const stamp = String(Date.now()).slice(-7);
const USER = `+861390${stamp}`;
const OTHER_USER = `+861370${stamp}`;
/** What arrives over the socket must show within this; the fallback poll is an hour away. */
const LIVE_MS = 3_000;

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
  it("is live over its socket, asks for a reason before reading, and lets the operator claim and reply with a canned answer", async () => {
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
    await page.evaluate(() => localStorage.setItem("doorstep.inboxPollSeconds", "3600"));
    const listReads = [];
    page.on("request", (r) => {
      if (r.method() === "GET" && new URL(r.url()).pathname === "/v1/admin/conversations") listReads.push(Date.now());
    });
    await page.click('a[data-nav="inbox"]');
    await page.waitForSelector('section[data-live="on"]');
    const row = `tr[data-conversation="${id}"]`;
    await page.waitForSelector(row);
    // Nobody holds it: the list does not show what the user wrote.
    assert.doesNotMatch(await page.textContent(row), /我的订单一直没人接/);

    // A new conversation from someone else appears without a poll.
    const other = await api.signIn(OTHER_USER);
    const before = listReads.length;
    const second = await api.call("POST", "/v1/conversations", { token: other.token, body: { text: "发票怎么开" } });
    assert.equal(second.status, 201);
    await page.waitForSelector(`tr[data-conversation="${second.body.id}"]`, { timeout: LIVE_MS });
    assert.ok(listReads.length > before, "the list was read again because of the pushed event");

    // Opening it: a reason first, nothing of the conversation shown before.
    await page.click(row);
    await page.waitForSelector('[data-testid="reason-form"]');
    assert.equal(await page.$('[data-testid="messages"]'), null);
    await page.fill('input[name="readReason"]', "核实用户投诉");
    await page.click('[data-testid="read-with-reason"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="messages"]')?.textContent?.includes("我的订单一直没人接"));
    assert.match(await page.textContent('[data-testid="read-reason"]'), /核实用户投诉/);
    const admin = await api.signIn(ADMIN);
    const audit = await api.call("GET", "/v1/admin/audit?limit=50", { token: admin.token });
    assert.ok(
      audit.body.items.some((e) => e.action === "conversation.read" && e.targetId === id && e.actorId === operator.me.id),
      "the read with a reason is in the audit log",
    );

    // Claimed: no reason any more, and the user's next message arrives over the socket.
    await page.click('[data-testid="claim"]');
    await page.waitForSelector('textarea[name="reply"]');
    assert.equal(await page.$('[data-testid="read-reason"]'), null);
    const sentAt = Date.now();
    const next = await api.call("POST", `/v1/conversations/${id}/messages`, { token: user.token, body: { text: "请尽快处理，谢谢" } });
    assert.equal(next.status, 201);
    await page.waitForFunction(() => document.querySelector('[data-testid="messages"]')?.textContent?.includes("请尽快处理，谢谢"), null, {
      timeout: LIVE_MS,
    });
    assert.ok(Date.now() - sentAt < LIVE_MS);

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
    assert.equal(conv.body.assigneeId, operator.me.id);
    await page.close();
  });
});
