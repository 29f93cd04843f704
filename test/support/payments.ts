/**
 * Payment test helpers: notifications built exactly as each provider builds them (PAYMENTS.md),
 * signed with keys made for this test run, and the money a test reads back from D1.
 */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { fromBase64, toBase64, utf8 } from "../../src/lib/encoding";
import { hmacHex, pemToDer } from "../../src/lib/provider-crypto";
import { alipaySignedString } from "../../src/money/verify";
import { at, book, newCustomer, orderOf, quote, task, type Customer } from "./booking";
import { call, type Called, type Session } from "./http";
import { PNG, uploadPhoto } from "./visit";
import { type World } from "./world";

const RSA = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

export async function importPrivate(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", pemToDer(pem)!, RSA, false, ["sign"]);
}
export async function importPublic(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("spki", pemToDer(pem)!, RSA, false, ["verify"]);
}
/** A key the Worker has never seen. */
export async function strangerKey(): Promise<CryptoKey> {
  const pair = (await crypto.subtle.generateKey({ ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  return pair.privateKey;
}
export async function rsaSignB64(key: CryptoKey, message: string): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.sign(RSA.name, key, utf8(message))));
}
export async function rsaVerifyB64(pem: string, sig: string, message: string): Promise<boolean> {
  return crypto.subtle.verify(RSA.name, await importPublic(pem), fromBase64(sig), utf8(message));
}

export const SERIALS = Object.keys(JSON.parse(env.TEST_WECHATPAY_PLATFORM_KEYS) as Record<string, string>);
const platformKeys = JSON.parse(env.TEST_WECHATPAY_PLATFORM_KEYS) as Record<string, string>;

/** POSTs a raw body to a webhook and reads the answer (JSON, or plain text such as Alipay's `success`). */
export function postWebhook(provider: string, body: string, headers: Record<string, string>): Promise<Called> {
  return call("POST", `/v1/webhooks/${provider}`, { raw: body, headers });
}

// ——— WeChat Pay ———

export interface WechatOptions {
  eventType?: string;
  originalType?: string;
  id?: string;
  serial?: string;
  /** Sign with this key instead of the serial's platform key. */
  key?: CryptoKey;
  timestamp?: number;
  nonce?: string;
  associatedData?: string;
  /** Encrypt under this associated data but send `associatedData` in the body. */
  encryptAad?: string;
  signature?: string;
  apiV3Key?: string;
  omitHeader?: string;
}

/** A WeChat Pay v3 notification: resource AES-256-GCM encrypted with the APIv3 key, body signed by the platform key. */
export async function wechatNotification(resource: Record<string, unknown>, o: WechatOptions = {}) {
  const aad = o.associatedData ?? "transaction";
  const nonce12 = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const key = await crypto.subtle.importKey("raw", utf8(o.apiV3Key ?? env.WECHATPAY_APIV3_KEY), "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: utf8(nonce12), additionalData: utf8(o.encryptAad ?? aad), tagLength: 128 },
      key,
      utf8(JSON.stringify(resource)),
    ),
  );
  const eventType = o.eventType ?? "TRANSACTION.SUCCESS";
  const body = JSON.stringify({
    id: o.id ?? crypto.randomUUID(),
    create_time: "2026-11-20T13:29:35+08:00",
    resource_type: "encrypt-resource",
    event_type: eventType,
    summary: "支付成功",
    resource: {
      original_type: o.originalType ?? (eventType.startsWith("REFUND") ? "refund" : "transaction"),
      algorithm: "AEAD_AES_256_GCM",
      ciphertext: toBase64(sealed),
      associated_data: aad,
      nonce: nonce12,
    },
  });
  const serial = o.serial ?? SERIALS[0]!;
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = o.nonce ?? crypto.randomUUID().replaceAll("-", "");
  const signer = o.key ?? (await importPrivate(platformKeys[serial] ?? platformKeys[SERIALS[0]!]!));
  const signature = o.signature ?? (await rsaSignB64(signer, `${timestamp}\n${nonce}\n${body}\n`));
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Wechatpay-Timestamp": timestamp,
    "Wechatpay-Nonce": nonce,
    "Wechatpay-Signature": signature,
    "Wechatpay-Serial": serial,
    "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
  };
  if (o.omitHeader) delete headers[o.omitHeader];
  return { body, headers };
}

export function wechatTransaction(p: { id: string; amount: { amount: number } }, over: Record<string, unknown> = {}) {
  return {
    mchid: env.WECHATPAY_MCHID,
    appid: env.WECHATPAY_APPID,
    out_trade_no: p.id,
    transaction_id: `4200001${Date.now()}`,
    trade_type: "APP",
    trade_state: "SUCCESS",
    trade_state_desc: "支付成功",
    bank_type: "OTHERS",
    success_time: "2026-11-20T13:29:35+08:00",
    payer: { openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" },
    amount: { total: p.amount.amount, payer_total: p.amount.amount, currency: "CNY", payer_currency: "CNY" },
    ...over,
  };
}

// ——— Alipay ———

/** An Alipay asynchronous notification: form fields signed RSA2 (sorted, without sign and sign_type). */
export async function alipayNotification(fields: Record<string, string>, key?: CryptoKey): Promise<string> {
  const params = {
    notify_time: "2026-11-20 13:29:35",
    notify_type: "trade_status_sync",
    notify_id: crypto.randomUUID(),
    charset: "utf-8",
    version: "1.0",
    ...fields,
  };
  const sign = await rsaSignB64(
    key ?? (await importPrivate(env.TEST_ALIPAY_PRIVATE_KEY)),
    alipaySignedString(params, ["sign", "sign_type"]),
  );
  return new URLSearchParams({ ...params, sign_type: "RSA2", sign }).toString();
}

export function alipayTrade(p: { id: string }, totalYuan: string, over: Record<string, string> = {}) {
  return {
    app_id: env.ALIPAY_APP_ID,
    trade_no: `2026112022001${Date.now()}`,
    out_trade_no: p.id,
    trade_status: "TRADE_SUCCESS",
    total_amount: totalYuan,
    receipt_amount: totalYuan,
    seller_id: "2088102146225135",
    buyer_id: "2088102122524333",
    gmt_payment: "2026-11-20 13:29:35",
    ...over,
  };
}

// ——— Stripe ———

export async function stripeSigned(event: unknown, o: { secret?: string; t?: number; extraV1?: string[] } = {}) {
  const body = JSON.stringify(event);
  const t = o.t ?? Math.floor(Date.now() / 1000);
  const sig = await hmacHex(o.secret ?? env.STRIPE_WEBHOOK_SECRET, `${t}.${body}`);
  const v1 = [...(o.extraV1 ?? []), sig].map((s) => `v1=${s}`).join(",");
  return {
    body,
    headers: {
      "Content-Type": "application/json",
      "Stripe-Signature": `t=${t},${v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39`,
    },
  };
}

export function paymentIntentEvent(
  p: { id: string; amount: { amount: number }; clientParams?: Record<string, unknown> },
  type = "payment_intent.succeeded",
  over: Record<string, unknown> = {},
) {
  return {
    id: `evt_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
    object: "event",
    api_version: "2024-06-20",
    created: Math.floor(Date.now() / 1000),
    type,
    data: {
      object: {
        id: p.clientParams?.paymentIntentId,
        object: "payment_intent",
        amount: p.amount.amount,
        currency: "cny",
        status: type === "payment_intent.succeeded" ? "succeeded" : "requires_payment_method",
        latest_charge: `ch_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
        metadata: { paymentId: p.id },
        ...over,
      },
    },
  };
}

// ——— orders and money ———

let keys = 0;
export function pay(
  c: Customer,
  orderId: string,
  body: Record<string, unknown>,
  key = `pay-${Date.now()}-${(keys += 1)}-${Math.random()}`,
) {
  return call("POST", `/v1/orders/${orderId}/payments`, { token: c.session.token, headers: { "Idempotency-Key": key }, body });
}

/** Books the world's service to be paid now (`full` unless given) and returns the pending order. */
export async function pendingOrder(w: World, opts: { customer?: Customer; plan?: string; start?: string } = {}) {
  const customer = opts.customer ?? (await newCustomer(w.center));
  const q = await quote(w, customer, opts.start ?? at(w, 2, "10:00"));
  const res = await book(customer, q, { paymentPlan: opts.plan ?? "full" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status).toBe("pending_payment");
  return { customer, order: res.body };
}

/** A pending order of the world's service and a payment of it started with `provider`. */
export async function paymentOf(w: World, provider = "wechatpay") {
  const { customer, order } = await pendingOrder(w);
  const res = await pay(customer, order.id, { provider });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { customer, order, payment: res.body };
}

/** Every ledger transaction of an order (or all), with entries, straight from D1. */
export async function ledgerOf(orderId?: string) {
  const txs = (
    await env.DB.prepare(`SELECT * FROM ledger_transactions ${orderId ? "WHERE order_id = ?" : ""} ORDER BY created_at, id`)
      .bind(...(orderId ? [orderId] : []))
      .all<{ id: string; kind: string; ref: string; order_id: string }>()
  ).results;
  const entries = (
    await env.DB.prepare("SELECT tx_id, account, amount FROM ledger_entries").all<{ tx_id: string; account: string; amount: number }>()
  ).results;
  return txs.map((t) => ({ ...t, entries: entries.filter((e) => e.tx_id === t.id) }));
}

/** Sum of an account's entries (debit positive) for one order. */
export async function balanceOf(account: string, orderId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE account = ? AND order_id = ?")
    .bind(account, orderId)
    .first<{ s: number }>();
  return Number(row?.s ?? 0);
}

/**
 * Gives a technician `amount` of withdrawable earnings: one balanced split-like transaction written
 * straight to D1 (test set-up), available now.
 */
export async function fundTechnician(technicianId: string, amount: number): Promise<void> {
  const now = Date.now() - 1000;
  const tag = crypto.randomUUID().replaceAll("-", "");
  const account = `technician_payable:${technicianId}`;
  const order = `ord_fund${tag}`;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT OR IGNORE INTO ledger_accounts (code, kind, type, owner_id, created_at) VALUES (?, 'technician_payable', 'liability', ?, ?)",
    ).bind(account, technicianId, now),
    env.DB.prepare(
      "INSERT OR IGNORE INTO ledger_accounts (code, kind, type, owner_id, created_at) VALUES ('customer_funds', 'customer_funds', 'liability', NULL, ?)",
    ).bind(now),
    env.DB.prepare(
      `INSERT INTO ledger_transactions (id, kind, ref, order_id, technician_id, currency, memo, created_at)
       VALUES (?, 'split', ?, ?, ?, 'CNY', 'test earnings', ?)`,
    ).bind(`ltx_${tag}`, order, order, technicianId, now),
    env.DB.prepare(
      "INSERT INTO ledger_entries (id, tx_id, account, amount, order_id, available_at, created_at) VALUES (?, ?, 'customer_funds', ?, ?, ?, ?)",
    ).bind(`len_${tag}a`, `ltx_${tag}`, amount, order, now, now),
    env.DB.prepare(
      "INSERT INTO ledger_entries (id, tx_id, account, amount, order_id, available_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).bind(`len_${tag}b`, `ltx_${tag}`, account, -amount, order, now, now),
  ]);
}

/** The ledger transactions of a withdrawal, by kind: kind → { account → amount }. */
export async function withdrawalLedger(withdrawalId: string): Promise<Record<string, Record<string, number>>> {
  const txs = (await ledgerOf()).filter((t) => t.ref === withdrawalId);
  expectBalanced(txs);
  return Object.fromEntries(txs.map((t) => [t.kind, Object.fromEntries(t.entries.map((e) => [e.account, e.amount]))]));
}

export function expectBalanced(txs: { kind: string; ref: string; entries: { amount: number }[] }[]) {
  for (const t of txs)
    expect(
      t.entries.reduce((s, e) => s + e.amount, 0),
      `${t.kind} ${t.ref}`,
    ).toBe(0);
}

export async function stripeSignatureFor(secret: string, body: string, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

/** Makes the order's hold expire now in the technician's cell; the cell's alarm and the Worker act on it. */
export { expireHold } from "./cell";

/** Pays a sandbox payment as its customer would. */
export function sandboxPay(c: Customer, paymentId: string, body: Record<string, unknown> = {}) {
  return call("POST", `/v1/sandbox/payments/${paymentId}/pay`, { token: c.session.token, body });
}

/** Pays what is due on an order in full (sandbox), as its customer would. */
export async function payInFull(c: Customer, orderId: string) {
  const p = await pay(c, orderId, { provider: "sandbox" });
  expect(p.status, JSON.stringify(p.body)).toBe(201);
  const paid = await sandboxPay(c, p.body.id);
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  return p.body;
}

/** Books and pays (sandbox) the world's service; the order is confirmed and dispatched. */
export async function paidOrder(w: World, opts: { customer?: Customer; start?: string } = {}) {
  const { customer, order } = await pendingOrder(w, opts);
  const payment = await payInFull(customer, order.id);
  return { customer, order: await orderOf(customer, order.id), payment };
}

/** Walks an assigned order through the visit to completion as its technician. */
export async function completeVisit(w: World, tech: Session, order: { id: string; startCode: string }) {
  for (const [action, body] of [
    ["accept", {}],
    ["depart", {}],
  ] as const)
    expect((await task(tech, order.id, action, body)).status).toBe(200);
  expect((await uploadPhoto(tech, order.id, "arrive")).status).toBe(201);
  expect((await task(tech, order.id, "arrive", { lat: w.center.lat, lng: w.center.lng })).status).toBe(200);
  expect((await task(tech, order.id, "start", { code: order.startCode })).status).toBe(200);
  expect((await uploadPhoto(tech, order.id, "complete", { type: "image/png", bytes: PNG })).status).toBe(201);
  const done = await task(tech, order.id, "complete");
  expect(done.status, JSON.stringify(done.body)).toBe(200);
}
