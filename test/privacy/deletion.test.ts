import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { at } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, callBytes, expectProblem, signIn, signInAdmin, type Session } from "../support/http";
import { expectBalanced, fundTechnician, ledgerOf } from "../support/payments";
import { newCustomer } from "../support/booking";
import { loyalCustomer, runDailyCron } from "../support/privacy";
import { PNG, visitTo } from "../support/visit";
import { addTechnician, createWorld, type World } from "../support/world";

const DAY = 86_400_000;
const COOLING = Number(env.DELETION_COOLING_OFF_DAYS) * DAY;
let day = 1;

const ask = (s: Session) => call("POST", "/v1/me/deletion", { token: s.token, headers: { "X-Client": "ios/3.2.0" } });
const requestsOf = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT id, kind, status FROM data_requests WHERE account_id = ?")
      .bind(accountId)
      .all<{ id: string; status: string }>()
  ).results;

/** Every text value in every table (name, column, value), to look for what must be gone. */
async function everyText(): Promise<{ table: string; column: string; value: string }[]> {
  const tables = (
    await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
    ).all<{ name: string }>()
  ).results.map((t) => t.name);
  const out: { table: string; column: string; value: string }[] = [];
  for (const table of tables) {
    const cols = (await env.DB.prepare("SELECT name FROM pragma_table_info(?)").bind(table).all<{ name: string }>()).results.map(
      (c) => c.name,
    );
    const rows = (await env.DB.prepare(`SELECT * FROM "${table}"`).all<Record<string, unknown>>()).results;
    for (const row of rows)
      for (const column of cols) if (typeof row[column] === "string") out.push({ table, column, value: row[column] as string });
  }
  return out;
}

/**
 * A customer with their own address (unique text, contact, phone), a name, a device and a completed,
 * paid, reviewed order; a chat with its technician (a text and an image each way for the customer), and
 * an after-sales ticket with evidence, a message in its support conversation, staff's reply there and
 * the technician's appeal.
 */
async function personWithHistory(w: World, tech: Session, staff: Session) {
  const session = await signIn();
  const contactPhone = `+86135${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
  const address = {
    label: "公司",
    text: `注销测试路 ${newId("x")} 号`,
    lat: w.center.lat,
    lng: w.center.lng,
    contactName: `注销人${day}`,
    contactPhone,
  };
  const a = await call("POST", "/v1/me/addresses", { token: session.token, body: address });
  expect(a.status).toBe(201);
  const name = `Erase Me ${newId("n")}`;
  expect((await call("PATCH", "/v1/me", { token: session.token, body: { name } })).status).toBe(200);
  const deviceToken = newId("fcmtoken");
  const device = await call("POST", "/v1/me/devices", {
    token: session.token,
    body: { platform: "android", provider: "fcm", token: deviceToken, appVersion: "1.0.0" },
  });
  expect(device.status).toBe(200);
  const { order } = await visitTo(w, tech, "completed", {
    customer: { session, addressId: a.body.id },
    paid: true,
    start: at(w, (day += 1), "10:00"),
  });
  const photo = await callBytes("POST", `/v1/orders/${order.id}/review/photos`, { token: session.token, type: "image/png", bytes: PNG });
  expect(photo.status).toBe(201);
  const reviewText = `很好 ${newId("r")}`;
  const review = await call("POST", `/v1/orders/${order.id}/review`, {
    token: session.token,
    body: { ratings: { quality: 5, punctuality: 4, attitude: 5, value: 4 }, text: reviewText, photoIds: [photo.body.id] },
  });
  expect(review.status, JSON.stringify(review.body)).toBe(201);

  const chat = (await call("GET", `/v1/orders/${order.id}/conversation`, { token: session.token })).body.id as string;
  const said = await call("POST", `/v1/conversations/${chat}/messages`, { token: session.token, body: { text: `聊天内容 ${newId("c")}` } });
  expect(said.status, JSON.stringify(said.body)).toBe(201);
  const image = await callBytes("POST", `/v1/conversations/${chat}/images`, { token: session.token, type: "image/png", bytes: PNG });
  expect(image.status, JSON.stringify(image.body)).toBe(201);
  const answer = await call("POST", `/v1/conversations/${chat}/messages`, { token: tech.token, body: { text: `师傅回复 ${newId("t")}` } });
  expect(answer.status).toBe(201);

  const description = `工单描述 ${newId("d")}`;
  const ticket = await call("POST", `/v1/orders/${order.id}/tickets`, { token: session.token, body: { category: "quality", description } });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
  const evidence = await callBytes("POST", `/v1/tickets/${ticket.body.id}/photos`, { token: session.token, type: "image/png", bytes: PNG });
  expect(evidence.status).toBe(201);
  const ticketMessage = await call("POST", `/v1/tickets/${ticket.body.id}/messages`, {
    token: session.token,
    body: { text: `工单会话 ${newId("m")}` },
  });
  expect(ticketMessage.status, JSON.stringify(ticketMessage.body)).toBe(201);
  const staffReply = await call("POST", `/v1/tickets/${ticket.body.id}/messages`, {
    token: staff.token,
    body: { text: `客服答复 ${newId("s")}` },
  });
  expect(staffReply.status, JSON.stringify(staffReply.body)).toBe(201);
  const appeal = await call("POST", `/v1/tickets/${ticket.body.id}/entries`, {
    token: tech.token,
    body: { body: `师傅申诉 ${newId("a")}` },
  });
  expect(appeal.status).toBe(201);
  return {
    session,
    address,
    name,
    deviceToken,
    order,
    reviewText,
    reviewPhotoId: photo.body.id as string,
    chat,
    ticketId: ticket.body.id as string,
    /** What the deletion must erase, as stored. */
    said: [said.body.text, description, ticketMessage.body.text, staffReply.body.text] as string[],
    /** What stays: the technician's own words. */
    theirs: [answer.body.text, appeal.body.body] as string[],
  };
}

const keysOf = async (sql: string, id: string) =>
  (await env.DB.prepare(sql).bind(id).all<{ r2_key: string }>()).results.map((r) => r.r2_key);

describe("account deletion", () => {
  it("is refused while the account has open orders, an unpaid balance or a pending withdrawal (409), writing nothing", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const tech = await t.session();
    const open = await visitTo(w, tech, "accepted", { start: at(w, (day += 1), "10:00") });
    const refused = await ask(open.customer.session);
    expectProblem(refused, 409, "DELETION_OPEN_ORDERS");
    expect(refused.body.count).toBe(1);
    expect(await requestsOf(open.customer.session.accountId)).toEqual([]);
    // the technician serving it is held back too
    expectProblem(await ask(tech), 409, "DELETION_OPEN_ORDERS");

    const unpaid = await visitTo(w, tech, "completed", { start: at(w, (day += 1), "10:00") });
    expectProblem(await ask(unpaid.customer.session), 409, "DELETION_UNPAID_BALANCE");
    expect(await requestsOf(unpaid.customer.session.accountId)).toEqual([]);

    const earner = await addTechnician(w, w.center);
    const earnerSession = await earner.session();
    await fundTechnician(earner.id, 5000);
    expect(
      (
        await call("PUT", "/v1/technician/payee", {
          token: earnerSession.token,
          body: { provider: "wechatpay", openId: "oPrivacyOpenId01" },
        })
      ).status,
    ).toBe(200);
    const wd = await call("POST", "/v1/technician/withdrawals", {
      token: earnerSession.token,
      headers: { "Idempotency-Key": newId("key") },
      body: { amount: 1000 },
    });
    expect(wd.status, JSON.stringify(wd.body)).toBe(201);
    expectProblem(await ask(earnerSession), 409, "DELETION_PENDING_WITHDRAWAL");
  });

  it("asked twice at once makes one request; the person cancels it during the cooling-off, then nothing is left to cancel", async () => {
    const s = await signIn();
    const both = await Promise.all([ask(s), ask(s)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 202]);
    expect(both[0]!.body.id).toBe(both[1]!.body.id);
    const due = Date.parse(both[0]!.body.dueAt) - Date.parse(both[0]!.body.createdAt);
    expect(due).toBe(COOLING);
    expect((await requestsOf(s.accountId)).length).toBe(1);
    expect((await call("GET", "/v1/me/deletion", { token: s.token })).body.id).toBe(both[0]!.body.id);

    const cancelled = await call("DELETE", "/v1/me/deletion", { token: s.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", cancelledBy: s.accountId });
    expectProblem(await call("DELETE", "/v1/me/deletion", { token: s.token }), 409, "DELETION_NOT_PENDING");
    expectProblem(await call("GET", "/v1/me/deletion", { token: s.token }), 404);
    // a cancelled deletion is never carried out
    await runDailyCron(Date.now() + COOLING + DAY);
    expect((await call("GET", "/v1/me", { token: s.token })).status).toBe(200);
  });

  it("staff cancel a waiting deletion with a reason; the trail shows who asked and who cancelled", async () => {
    const admin = await signInAdmin();
    const s = await signIn();
    const asked = await ask(s);
    const customerTry = await call("POST", `/v1/admin/data-requests/${asked.body.id}/cancel`, { token: s.token, body: { reason: "x" } });
    expectProblem(customerTry, 403);
    expectProblem(await call("POST", `/v1/admin/data-requests/${asked.body.id}/cancel`, { token: admin.token, body: {} }), 400);
    const res = await call("POST", `/v1/admin/data-requests/${asked.body.id}/cancel`, {
      token: admin.token,
      body: { reason: "客户来电撤回" },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "cancelled", cancelledBy: admin.accountId, cancelReason: "客户来电撤回" });
    expectProblem(
      await call("POST", `/v1/admin/data-requests/${asked.body.id}/cancel`, { token: admin.token, body: { reason: "again" } }),
      409,
      "DELETION_NOT_PENDING",
    );
    const detail = await call("GET", `/v1/admin/data-requests/${asked.body.id}`, { token: admin.token });
    expect(detail.body.trail.map((e: { action: string }) => e.action)).toEqual([
      "privacy.deletion_requested",
      "privacy.deletion_cancelled",
    ]);
    expect(detail.body.trail[1]).toMatchObject({ actorId: admin.accountId, data: { reason: "客户来电撤回" } });
    const listed = await call("GET", "/v1/admin/data-requests?kind=deletion&status=cancelled&limit=100", { token: admin.token });
    expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(asked.body.id);
    expectProblem(await call("GET", "/v1/admin/data-requests/ddl_nothing", { token: admin.token }), 404);
  });

  it("after the cooling-off the daily cron erases the person's data from every table; orders and the ledger stay balanced; the phone signs in to a new, empty account", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const staff = await signInAdmin();
    const p = await personWithHistory(w, tech, staff);
    const bystander = await personWithHistory(w, tech, staff);
    const me = p.session.accountId;

    // Every ciphertext and clear value of the person's rows, taken before the deletion.
    const cipher: string[] = [];
    for (const [cols, table, owner] of [
      ["phone_enc, phone_hash", "accounts", "id"],
      ["text_enc, contact_name_enc, contact_phone_enc, coords_enc", "addresses", "account_id"],
      ["address_enc, coords_enc", "orders", "customer_id"],
    ] as const) {
      const row = await env.DB.prepare(`SELECT ${cols} FROM ${table} WHERE ${owner} = ?`).bind(me).first<Record<string, string>>();
      cipher.push(...Object.values(row!));
    }
    expect(cipher.length).toBe(8);
    const clear = [
      p.session.phone,
      p.session.phone.slice(3),
      p.address.text,
      p.address.contactName,
      p.address.contactPhone,
      p.name,
      p.deviceToken,
      p.reviewText,
      ...p.said,
    ];
    const reviewPhotoKey = (await env.DB.prepare("SELECT r2_key FROM order_photos WHERE id = ?")
      .bind(p.reviewPhotoId)
      .first<{ r2_key: string }>())!.r2_key;
    const chatImages = await keysOf("SELECT r2_key FROM conversation_messages WHERE r2_key IS NOT NULL AND conversation_id = ?", p.chat);
    const evidence = await keysOf("SELECT r2_key FROM ticket_entries WHERE r2_key IS NOT NULL AND ticket_id = ?", p.ticketId);
    expect([chatImages.length, evidence.length]).toEqual([1, 1]);
    for (const key of [...chatImages, ...evidence]) expect(await env.PHOTOS.head(key)).not.toBeNull();
    const ticketRows = async () =>
      env.DB.prepare("SELECT COUNT(*) AS n FROM ticket_entries WHERE ticket_id = ?").bind(p.ticketId).first<{ n: number }>();
    const entriesBefore = await ticketRows();
    const orderBefore = await env.DB.prepare("SELECT total, status, currency FROM orders WHERE id = ?").bind(p.order.id).first();
    const ledgerBefore = await ledgerOf(p.order.id);
    expect(ledgerBefore.length).toBeGreaterThan(0);

    const asked = await ask(p.session);
    expect(asked.status).toBe(202);
    // before the cooling-off ends nothing happens
    await runDailyCron(Date.now() + COOLING - DAY);
    expect((await requestsOf(me))[0]!.status).toBe("pending");
    expect((await call("GET", "/v1/me", { token: p.session.token })).status).toBe(200);

    await runDailyCron(Date.now() + COOLING + 60_000);
    expect((await requestsOf(me))[0]!.status).toBe("completed");

    const everything = await everyText();
    for (const value of [...cipher, ...clear]) {
      const found = everything.filter((e) => e.value.includes(value));
      expect(found, `still holds ${value.slice(0, 12)}…`).toEqual([]);
    }
    expect(await env.PHOTOS.head(reviewPhotoKey)).toBeNull();
    for (const key of [...chatImages, ...evidence]) expect(await env.PHOTOS.head(key), key).toBeNull();
    // the bystander's data is untouched, and so are the technician's own words
    expect(everything.some((e) => e.value === bystander.name)).toBe(true);
    for (const value of [...bystander.said, ...p.theirs])
      expect(
        everything.some((e) => e.value === value),
        value,
      ).toBe(true);

    // the ticket stays (its decision is the record), detached and emptied, as the technician sees it
    expect(await ticketRows()).toEqual(entriesBefore);
    const ticket = await call("GET", `/v1/tickets/${p.ticketId}`, { token: tech.token });
    expect(ticket.status).toBe(200);
    expect(ticket.body.description).toBe("");
    const byKind = (kind: string) => ticket.body.entries.filter((e: { kind: string }) => e.kind === kind);
    expect(byKind("statement").map((e: { body: string | null }) => e.body)).toEqual([null]);
    expect(byKind("evidence").map((e: { photo: unknown }) => e.photo)).toEqual([null]);
    expect(byKind("appeal").map((e: { body: string }) => e.body)).toEqual([p.theirs[1]]);
    // the chats: the person's messages emptied and marked so, the technician's reply kept
    const chat = await call("GET", `/v1/conversations/${p.chat}/messages?limit=10`, { token: tech.token });
    expect(
      chat.body.items.map((m: { senderId: string; erased: boolean; text: string | null; imageUrl: string | null }) => [
        m.senderId === me,
        m.erased,
        m.text,
        m.imageUrl,
      ]),
    ).toEqual([
      [false, false, p.theirs[0], null],
      [true, true, null, null],
      [true, true, null, null],
    ]);
    expect((await call("GET", "/v1/me/addresses", { token: bystander.session.token })).body.items[0].text).toBe(bystander.address.text);

    // the tombstone: no personal data, no roles, disabled; sessions revoked
    const tomb = await env.DB.prepare("SELECT name, roles, status, disabled_reason FROM accounts WHERE id = ?").bind(me).first();
    expect(tomb).toEqual({ name: null, roles: "[]", status: "disabled", disabled_reason: "account_holder_request" });
    expect((await call("GET", "/v1/me", { token: p.session.token })).status).toBeGreaterThanOrEqual(401);
    const refreshed = await call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken: p.session.refreshToken } });
    expect(refreshed.status).toBe(401);

    // orders and the ledger stay, detached from the person, and balance
    expect(await env.DB.prepare("SELECT total, status, currency FROM orders WHERE id = ?").bind(p.order.id).first()).toEqual(orderBefore);
    const ledgerAfter = await ledgerOf(p.order.id);
    expect(ledgerAfter).toEqual(ledgerBefore);
    expectBalanced(ledgerAfter);
    // the technician's view of the old order still works, with nothing to show
    const seen = await call("GET", `/v1/technician/tasks/${p.order.id}`, { token: tech.token });
    expect(seen.status).toBe(200);
    expect(JSON.stringify(seen.body)).not.toContain(p.address.text);

    // the same phone signs in to a new, empty account
    const again = await signIn(p.session.phone);
    expect(again.accountId).not.toBe(me);
    expect((await call("GET", "/v1/me", { token: again.token })).body).toMatchObject({ name: null, phone: p.session.phone });
    expect((await call("GET", "/v1/me/addresses", { token: again.token })).body.items).toEqual([]);
    expect((await call("GET", "/v1/orders", { token: again.token })).body.items).toEqual([]);
  }, 120_000);

  it("ends the person's series and drops their notes and second contact, forfeits points and the level, erases the birthday, device hashes and share code; packages, coupons and referrals stay on the tombstone", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const p = await newCustomer(w.center);
    const other = await newCustomer(w.center);
    const made = await loyalCustomer(w, tech, p, other, (day += 1));
    const me = p.session.accountId;
    const deviceHash = (await env.DB.prepare("SELECT device_hash FROM referral_devices WHERE account_id = ?")
      .bind(me)
      .first<{ device_hash: string }>())!.device_hash;
    const packageBefore = await env.DB.prepare(
      "SELECT customer_id, units_left, deferred_left, price, status FROM customer_packages WHERE id = ?",
    )
      .bind(made.packageId)
      .first();
    const seriesRow = (id: string) =>
      env.DB.prepare("SELECT customer_id, status, notes, contact_account_id, contact_name FROM series WHERE id = ?").bind(id).first();
    expect(await seriesRow(made.seriesId)).toMatchObject({ status: "active", notes: made.notes, contact_name: "女儿" });
    expect(await seriesRow(made.othersSeriesId)).toMatchObject({ contact_account_id: me, contact_name: "邻居" });

    expect((await ask(p.session)).status).toBe(202);
    await runDailyCron(Date.now() + COOLING + 60_000);
    expect((await requestsOf(me))[0]!.status).toBe("completed");

    const everything = await everyText();
    for (const value of [made.notes, deviceHash, made.code])
      expect(
        everything.filter((e) => e.value.includes(value)),
        value.slice(0, 12),
      ).toEqual([]);
    // src/series: their series ended (the cron books only active ones), no notes, no second contact; the other customer's series dropped them
    expect(await seriesRow(made.seriesId)).toEqual({
      customer_id: me,
      status: "ended",
      notes: null,
      contact_account_id: null,
      contact_name: null,
    });
    const theirs = await call("GET", `/v1/series/${made.othersSeriesId}`, { token: other.session.token });
    expect(theirs.status).toBe(200);
    expect(theirs.body.status).toBe("active");
    expect(await seriesRow(made.othersSeriesId)).toMatchObject({
      customer_id: other.session.accountId,
      contact_account_id: null,
      contact_name: null,
    });
    // src/membership: the package stays as it was (money), on the tombstone's id; points forfeited by an expire entry; no level
    expect(
      await env.DB.prepare("SELECT customer_id, units_left, deferred_left, price, status FROM customer_packages WHERE id = ?")
        .bind(made.packageId)
        .first(),
    ).toEqual(packageBefore);
    expect(await env.DB.prepare("SELECT balance FROM points_accounts WHERE account_id = ?").bind(me).first()).toEqual({ balance: 0 });
    const entries = (
      await env.DB.prepare("SELECT kind, delta FROM points_entries WHERE account_id = ? ORDER BY created_at, id")
        .bind(me)
        .all<{ kind: string; delta: number }>()
    ).results;
    expect(entries).toEqual([
      { kind: "earn", delta: made.points },
      { kind: "expire", delta: -made.points },
    ]);
    expect(await env.DB.prepare("SELECT 1 FROM member_levels WHERE account_id = ?").bind(me).first()).toBeNull();
    // src/coupons: birthday, device hash and share code gone; the wallet coupon and the referrals stay, on the tombstone's id
    expect(await env.DB.prepare("SELECT 1 FROM birthdays WHERE account_id = ?").bind(me).first()).toBeNull();
    expect(await env.DB.prepare("SELECT 1 FROM referral_devices WHERE account_id = ?").bind(me).first()).toBeNull();
    expect(await env.DB.prepare("SELECT account_id, active FROM coupons WHERE id = ?").bind(made.couponId).first()).toEqual({
      account_id: me,
      active: 0,
    });
    const referrals = (
      await env.DB.prepare(
        "SELECT referrer_id, referee_id FROM referrals WHERE referrer_id = ?1 OR referee_id = ?1 ORDER BY referee_id = ?1",
      )
        .bind(me)
        .all()
    ).results;
    expect(referrals).toEqual([
      { referrer_id: me, referee_id: made.inviteeId },
      { referrer_id: made.inviterId, referee_id: me },
    ]);
    // nobody can be invited by the deleted account any more
    const late = await signIn();
    expectProblem(
      await call("POST", "/v1/me/referral/accept", { token: late.token, body: { code: made.code } }),
      404,
      "REFERRAL_CODE_NOT_FOUND",
    );
  }, 120_000);

  it("a technician's deletion removes their name, exact home, documents and payout account and suspends the profile", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, { lat: w.center.lat + 0.0123, lng: w.center.lng + 0.0045 });
    const tech = await t.session();
    const doc = await callBytes("POST", "/v1/technician/documents?kind=certificate", { token: tech.token, type: "image/png", bytes: PNG });
    expect(doc.status, JSON.stringify(doc.body)).toBe(201);
    expect(
      (await call("PUT", "/v1/technician/payee", { token: tech.token, body: { provider: "wechatpay", openId: "oErasePayee0001" } })).status,
    ).toBe(200);
    const before = await env.DB.prepare("SELECT name, home_enc FROM technicians WHERE id = ?")
      .bind(t.id)
      .first<{ name: string; home_enc: string }>();
    const docKey = (await env.DB.prepare("SELECT r2_key FROM technician_documents WHERE technician_id = ?")
      .bind(t.id)
      .first<{ r2_key: string }>())!.r2_key;

    expect((await ask(tech)).status).toBe(202);
    await runDailyCron(Date.now() + COOLING + 60_000);

    const after = await env.DB.prepare("SELECT name, status, home_enc, home_lat, home_lng FROM technicians WHERE id = ?")
      .bind(t.id)
      .first<Record<string, unknown>>();
    expect(after!.status).toBe("suspended");
    expect(after!.name).not.toBe(before!.name);
    expect(after!.home_enc).not.toBe(before!.home_enc);
    const everything = await everyText();
    for (const v of [before!.name, before!.home_enc, "oErasePayee0001", t.phone])
      expect(everything.filter((e) => e.value.includes(v))).toEqual([]);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM technician_documents WHERE technician_id = ?").bind(t.id).first()).toEqual({
      n: 0,
    });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM technician_payees WHERE technician_id = ?").bind(t.id).first()).toEqual({
      n: 0,
    });
    expect(await env.PHOTOS.head(docKey)).toBeNull();
  });
});
