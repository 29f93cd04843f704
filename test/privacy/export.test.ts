import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runExportBackstop } from "../../src/privacy";
import { freshCenter } from "../support/fixtures";
import { at } from "../support/booking";
import { call, callBytes, expectProblem, signIn, signInAdmin, type Session } from "../support/http";
import { newCustomer } from "../support/booking";
import { download, loyalCustomer, readyExport } from "../support/privacy";
import { PNG, visitTo } from "../support/visit";
import { addTechnician, createWorld, type World } from "../support/world";

/** A customer with an address of their own (distinct text, contact and phone) and one completed order there. */
let day = 1;
async function customerWithOrder(w: World, tech: Session, tag: string) {
  const session = await signIn();
  const contactPhone = `+86136${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
  const address = {
    label: "家",
    text: `导出路 ${tag} 号`,
    lat: w.center.lat,
    lng: w.center.lng,
    contactName: `联系人${tag}`,
    contactPhone,
  };
  const a = await call("POST", "/v1/me/addresses", { token: session.token, body: address });
  expect(a.status).toBe(201);
  await call("PATCH", "/v1/me", { token: session.token, body: { name: `Person ${tag}` } });
  const { order } = await visitTo(w, tech, "completed", {
    customer: { session, addressId: a.body.id },
    paid: true,
    start: at(w, (day += 1), "10:00"),
  });
  return { session, address, order };
}

/** A ticket the customer opens on their order, with an evidence photo; the description as given. */
async function ticketOn(c: { session: Session; order: { id: string } }, tag: string) {
  const description = `工单 ${tag} 的描述`;
  const res = await call("POST", `/v1/orders/${c.order.id}/tickets`, {
    token: c.session.token,
    body: { category: "quality", description },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const photo = await callBytes("POST", `/v1/tickets/${res.body.id}/photos`, { token: c.session.token, type: "image/png", bytes: PNG });
  expect(photo.status).toBe(201);
  return { id: res.body.id as string, description };
}

describe("data export", () => {
  it("holds the person's data, decrypted for them, and nobody else's; downloads once, then the file is gone", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const me = await customerWithOrder(w, tech, "甲");
    const other = await customerWithOrder(w, tech, "乙");
    const ticket = await ticketOn(me, "甲");
    const othersTicket = await ticketOn(other, "乙");
    const staffNote = "内部备注：只给员工看";
    const admin = await signInAdmin();
    expect(
      (await call("POST", `/v1/tickets/${ticket.id}/entries`, { token: admin.token, body: { body: staffNote, kind: "note" } })).status,
    ).toBe(201);

    const ready = await readyExport(me.session.token);
    expect(ready.progress).toEqual({ done: 15, total: 15 });
    expect(ready.downloadUrl).toMatch(/^\/v1\/data-exports\/download\?token=/);
    const key = (await env.DB.prepare("SELECT r2_key FROM data_requests WHERE id = ?").bind(ready.id).first<{ r2_key: string }>())!.r2_key;
    expect(await env.BACKUPS.head(key)).not.toBeNull();

    const got = await download(ready.downloadUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get("Content-Disposition")).toContain("attachment");
    const data = got.body;
    expect(data.account).toMatchObject({ id: me.session.accountId, phone: me.session.phone, name: "Person 甲" });
    expect(data.addresses).toHaveLength(1);
    expect(data.addresses[0]).toMatchObject({
      text: me.address.text,
      contactName: me.address.contactName,
      contactPhone: me.address.contactPhone,
    });
    expect(data.orders.map((o: { id: string }) => o.id)).toEqual([me.order.id]);
    expect(data.orders[0].address).toMatchObject({ text: me.address.text, contactPhone: me.address.contactPhone });
    expect(data.orders[0].timeline.length).toBeGreaterThan(3);
    expect(data.payments.payments.length).toBeGreaterThan(0);
    expect(data.technician).toBeNull();
    // The conversations part (src/conversations): the support conversation of their ticket, no message of theirs yet.
    expect(data.conversations.conversations).toEqual([
      expect.objectContaining({ kind: "support", role: "requester", ticketId: ticket.id, messages: [] }),
    ]);
    // The tickets part (src/tickets): their ticket with its log as they see it (no staff note) and the photo's facts, not its bytes.
    expect(data.tickets.tickets).toHaveLength(1);
    expect(data.tickets.tickets[0]).toMatchObject({ id: ticket.id, orderId: me.order.id, description: ticket.description, status: "open" });
    expect(data.tickets.tickets[0].entries.map((e: { kind: string; body: string | null }) => [e.kind, e.body])).toEqual([
      ["statement", ticket.description],
      ["evidence", null],
    ]);
    expect(data.tickets.tickets[0].entries[1].photo).toEqual({ contentType: "image/png", size: PNG.byteLength });
    expect(data.tickets).toMatchObject({ opened: [], written: [] });
    const text = JSON.stringify(data);
    for (const theirs of [
      other.session.phone,
      other.session.accountId,
      other.address.text,
      other.address.contactPhone,
      other.address.contactName,
      other.order.id,
      othersTicket.id,
      othersTicket.description,
      staffNote,
    ]) {
      expect(text).not.toContain(theirs);
    }

    // once: the second download is refused and the file is deleted
    expectProblem(await download(ready.downloadUrl), 409, "EXPORT_ALREADY_DOWNLOADED");
    expect(await env.BACKUPS.head(key)).toBeNull();
    const after = await call("GET", `/v1/me/data-requests/${ready.id}`, { token: me.session.token });
    expect(after.body).toMatchObject({ status: "downloaded", downloadUrl: null });
  });

  it("a technician's export has their profile, served orders and payout data, but not the customers' addresses or phones", async () => {
    const w = await createWorld(freshCenter());
    const t = await addTechnician(w, w.center);
    const tech = await t.session();
    const customer = await customerWithOrder(w, tech, "丙");
    const ticket = await ticketOn(customer, "丙");
    const appeal = await call("POST", `/v1/tickets/${ticket.id}/entries`, { token: tech.token, body: { body: "我的申诉：按要求完成" } });
    expect(appeal.status).toBe(201);
    const ready = await readyExport(tech.token);
    const data = (await download(ready.downloadUrl)).body;
    expect(data.account.phone).toBe(t.phone);
    expect(data.technician).toMatchObject({ id: t.id });
    expect(data.technician.home.lat).toBeCloseTo(w.center.lat, 5);
    expect(data.technician.servedOrders.map((o: { id: string }) => o.id)).toContain(customer.order.id);
    // Their appeal on the customer's ticket, not the customer's side of it.
    expect(data.tickets).toMatchObject({ tickets: [], opened: [] });
    expect(data.tickets.written).toEqual([expect.objectContaining({ ticketId: ticket.id, kind: "appeal", body: "我的申诉：按要求完成" })]);
    const text = JSON.stringify(data);
    for (const theirs of [
      customer.session.phone,
      customer.address.text,
      customer.address.contactPhone,
      customer.address.contactName,
      ticket.description,
    ]) {
      expect(text).not.toContain(theirs);
    }
  });

  it("holds the person's recurring visits, packages, points, level, wallet coupons, referrals and birthday, and not the other side's data", async () => {
    const w = await createWorld(freshCenter());
    const tech = await (await addTechnician(w, w.center)).session();
    const me = await newCustomer(w.center);
    const other = await newCustomer(w.center);
    const made = await loyalCustomer(w, tech, me, other, (day += 1));

    const ready = await readyExport(me.session.token);
    expect(ready.progress).toEqual({ done: 15, total: 15 });
    const data = (await download(ready.downloadUrl)).body;
    // src/series: their series with notes, second contact (by the name they gave) and visits; the series naming them as contact
    expect(data.series.series).toEqual([
      expect.objectContaining({
        id: made.seriesId,
        serviceId: w.serviceId,
        addressId: me.addressId,
        timeOfDay: "09:00",
        notes: made.notes,
        contact: { name: "女儿" },
        status: "active",
        visits: [],
      }),
    ]);
    expect(data.series.asContact).toEqual([
      expect.objectContaining({ seriesId: made.othersSeriesId, nameGiven: "邻居", status: "active" }),
    ]);
    // src/membership: the package with its balance and purchase, the points ledger, the level
    expect(data.membership.packages).toEqual([
      expect.objectContaining({
        id: made.packageId,
        unitsTotal: 3,
        unitsLeft: 3,
        price: 30_000,
        status: "active",
        name: { zh: "保洁三次卡", en: "3 cleanings" },
      }),
    ]);
    expect(data.membership.packages[0].history.map((e: { kind: string }) => e.kind)).toEqual(["purchase"]);
    expect(data.membership.points.balance).toBe(made.points);
    expect(data.membership.points.entries).toEqual([expect.objectContaining({ kind: "earn", delta: made.points, orderId: made.orderId })]);
    expect(data.membership.level).toMatchObject({ level: expect.any(String) });
    // src/coupons: the wallet coupon, the share code, the invitation made and the one accepted, the device seen, the birthday
    expect(data.coupons.wallet).toEqual([
      expect.objectContaining({ id: made.couponId, name: "补偿券", kind: "fixed", value: 700, active: true }),
    ]);
    expect(data.coupons.referral).toMatchObject({
      code: made.code,
      made: [expect.objectContaining({ status: "pending" })],
      accepted: expect.objectContaining({ status: "pending" }),
    });
    expect(data.coupons.referral.devicesSeen).toHaveLength(1);
    expect(data.coupons.birthday).toBe("05-17");
    const text = JSON.stringify(data);
    for (const theirs of [
      other.session.accountId,
      other.session.phone,
      other.addressId,
      made.inviterId,
      made.inviteeId,
      made.contactPhone,
      made.deviceId,
    ]) {
      expect(text).not.toContain(theirs);
    }
  });

  it("refuses an altered link (403), another person's request (404), a second export while one is built (409)", async () => {
    const s = await signIn();
    const ready = await readyExport(s.token);
    const token = decodeURIComponent(ready.downloadUrl.split("token=")[1]!);
    const altered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    expectProblem(await download(`/v1/data-exports/download?token=${encodeURIComponent(altered)}`), 403, "EXPORT_LINK_INVALID");
    expectProblem(await download("/v1/data-exports/download?token=dx_nothing.here"), 403, "EXPORT_LINK_INVALID");
    expectProblem(await download("/v1/data-exports/download"), 400);
    const stranger = await signIn();
    expectProblem(await call("GET", `/v1/me/data-requests/${ready.id}`, { token: stranger.token }), 404);

    // two at once: one is built, the other is told so
    const racer = await signIn();
    const both = await Promise.all([0, 1].map(() => call("POST", "/v1/me/data-exports", { token: racer.token })));
    expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.body.code).toBe("EXPORT_IN_PROGRESS");
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM data_requests WHERE account_id = ? AND kind = 'export'")
      .bind(racer.accountId)
      .first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it("an unused link expires: the cron deletes the file and the link answers 409", async () => {
    const s = await signIn();
    const ready = await readyExport(s.token);
    const key = (await env.DB.prepare("SELECT r2_key, expires_at FROM data_requests WHERE id = ?")
      .bind(ready.id)
      .first<{ r2_key: string; expires_at: number }>())!;
    expect(key.expires_at - Date.now()).toBeGreaterThan(Number(env.EXPORT_LINK_TTL_MINUTES) * 60_000 - 60_000);
    const summary = await runExportBackstop(env, key.expires_at + 1);
    expect(summary.expired).toBeGreaterThanOrEqual(1);
    expect(await env.BACKUPS.head(key.r2_key)).toBeNull();
    expectProblem(await download(ready.downloadUrl), 409, "EXPORT_LINK_EXPIRED");
  });

  it("an export whose builder died is resumed by the cron at the next part", async () => {
    const s = await signIn();
    const now = Date.now();
    // A request left running with a lapsed lease after its first two parts (written to R2 as a builder does).
    const id = `dex_resume${now}`;
    await env.DB.prepare(
      `INSERT INTO data_requests (id, account_id, kind, status, progress, client, lease_until, created_at, updated_at)
       VALUES (?, ?, 'export', 'running', ?, 'test', ?, ?, ?)`,
    )
      .bind(id, s.accountId, JSON.stringify({ done: ["account", "consents"], total: 15 }), now - 1, now, now)
      .run();
    await env.BACKUPS.put(`exports/${id}/parts/account.json`, JSON.stringify({ marker: "written-before" }));
    await env.BACKUPS.put(`exports/${id}/parts/consents.json`, "[]");
    expect((await runExportBackstop(env, now)).built).toBeGreaterThanOrEqual(1);
    const ready = await call("GET", `/v1/me/data-requests/${id}`, { token: s.token });
    expect(ready.body).toMatchObject({ status: "ready", progress: { done: 15, total: 15 } });
    const data = (await download(ready.body.downloadUrl)).body;
    // the part written before the interruption was kept, not built again
    expect(data.account).toEqual({ marker: "written-before" });
    expect(data.addresses).toEqual([]);
  });
});
