/**
 * Daily provider statements against local fakes of the providers: WeChat Pay's trade bill (signed
 * JSON answer, then the file checked by its SHA1) and Alipay's bill (signed gateway answer, then a
 * ZIP of GBK CSV files), with deliberate differences from D1 that must be found exactly; reruns
 * replace; a provider failure is a failed run (retried by the cron), never a 5xx.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseAlipayTradeBill, parseWechatTradeBill, StatementFormatError } from "../../src/domain/statements";
import { zonedToUtc } from "../../src/domain/zoned";
import { crc32, unzip, ZipError } from "../../src/lib/zip";
import { runDueStatements } from "../../src/money/statements.service";
import { FakeAlipay, GATEWAY, OK, fail } from "../support/alipay-fake";
import { routeFetch } from "../support/fetch-routes";
import { auditActions, freshCenter } from "../support/fixtures";
import { call, callWith, expectProblem, signIn, signInAdmin, uniquePhone, type Session } from "../support/http";
import { at } from "../support/booking";
import { pay, pendingOrder, sandboxPay } from "../support/payments";
import { alipayBillZip, alipayDetailCsv, gbk, wechatTradeBill, zipOf } from "../support/statements";
import { WechatPayFake, liveEnv } from "../support/wechatpay-fake";
import { addTechnician, createWorld, type World } from "../support/world";

const DOWNLOAD = "https://dwbillcenter.fake.test/downloadBillFile.resource";
const live = liveEnv({ ALIPAY_GATEWAY_URL: GATEWAY });
const shanghai = (day: string, hhmm: string) => zonedToUtc(day, Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)), "Asia/Shanghai");

let wechat: WechatPayFake;
let alipay: FakeAlipay;
/** Alipay bill archives by bill_date. */
let alipayBills: Map<string, Uint8Array>;
let downloads: string[];
beforeEach(() => {
  wechat = new WechatPayFake();
  alipay = new FakeAlipay();
  alipayBills = new Map();
  downloads = [];
  alipay.methods["alipay.data.dataservice.bill.downloadurl.query"] = (biz) => {
    if (biz.bill_type !== "trade" || typeof biz.bill_date !== "string") return fail("isv.invalid-arguments", "参数有误");
    if (!alipayBills.has(biz.bill_date)) return fail("isp.bill_not_exist", "账单不存在");
    return { ...OK, bill_download_url: `${DOWNLOAD}?bizType=trade&fileType=csv.zip&bizDates=${biz.bill_date.replaceAll("-", "")}&token=t` };
  };
  routeFetch([
    ["https://wechatpay.fake.test/", (req, signal) => wechat.handle(req, signal)],
    [GATEWAY, (req) => alipay.handle(req)],
    [
      DOWNLOAD,
      async (req) => {
        downloads.push(req.url);
        const date = new URL(req.url).searchParams.get("bizDates")!.replace(/(\d{4})(\d\d)(\d\d)/, "$1-$2-$3");
        const zip = alipayBills.get(date);
        return zip ? new Response(zip, { headers: { "Content-Type": "application/zip" } }) : new Response("expired", { status: 404 });
      },
    ],
  ]);
});
afterEach(() => {
  vi.restoreAllMocks();
});

let w: World;
let admin: Session;
beforeAll(async () => {
  w = await createWorld(freshCenter());
  await addTechnician(w, w.center);
  admin = await signInAdmin();
});

let slots = 0;
/** A pending order of its own time slot and a payment of it started with `provider`. */
async function startedPayment(provider: string) {
  slots += 1;
  const { customer, order } = await pendingOrder(w, {
    start: at(w, 1 + (slots % 13), `${String(8 + 4 * Math.floor(slots / 13)).padStart(2, "0")}:00`),
  });
  const res = await pay(customer, order.id, { provider });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { customer, order, payment: res.body };
}

/** A payment of ours with `provider`, paid (or left pending) at `paidAt`. */
async function ourPayment(provider: string, paidAt: number | null) {
  const { payment, order, customer } = await startedPayment(provider);
  if (paidAt !== null) {
    await env.DB.prepare("UPDATE payments SET status = 'succeeded', succeeded_at = ?, provider_txn_id = ? WHERE id = ?")
      .bind(paidAt, `txn_${payment.id}`, payment.id)
      .run();
  }
  return { id: payment.id as string, amount: payment.amount.amount as number, orderId: order.id as string, customer };
}

/** A refund of ours of `payment`, succeeded at `at` or still processing. */
async function ourRefund(provider: string, payment: { id: string; orderId: string }, amount: number, at: number | null) {
  const id = `rfd_T${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  await env.DB.prepare(
    `INSERT INTO refunds (id, order_id, payment_id, customer_id, provider, kind, amount, currency, status, reason, after_split, succeeded_at, created_at, updated_at)
     SELECT ?, order_id, id, customer_id, provider, 'operator', ?, 'CNY', ?, 'test', 0, ?, ?, ? FROM payments WHERE id = ? AND provider = ?`,
  )
    .bind(id, amount, at === null ? "processing" : "succeeded", at, Date.now(), Date.now(), payment.id, provider)
    .run();
  return { id };
}

const runStatements = (body: Record<string, unknown>, bindings: Env = live, session: Session = admin) =>
  callWith(bindings, "POST", "/v1/admin/statements/run", { token: session.token, body });
const statementsOf = (date: string, bindings: Env = live) =>
  callWith(bindings, "GET", `/v1/admin/statements?date=${date}`, { token: admin.token });
const kinds = (items: { kind: string; subject: string; ref: string }[]) => items.map((m) => `${m.kind} ${m.subject} ${m.ref}`).sort();

describe("bill formats and the archive reader", () => {
  it("the runtime decodes GBK (workerd's TextDecoder), and the test encoder writes the known bytes", () => {
    expect(new TextDecoder("gbk").decode(new Uint8Array([0xd6, 0xa7, 0xb8, 0xb6, 0xb1, 0xa6]))).toBe("支付宝");
    expect(new TextDecoder("gb18030").encoding).toBe("gb18030");
    expect([...gbk("支付宝交易号,a")]).toEqual([0xd6, 0xa7, 0xb8, 0xb6, 0xb1, 0xa6, 0xbd, 0xbb, 0xd2, 0xd7, 0xba, 0xc5, 0x2c, 0x61]);
  });

  it("reads stored and deflated ZIP entries and refuses one whose CRC-32 does not match", async () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    const files = [
      { name: gbk("明细.csv"), data: gbk("支付宝交易号,金额\r\n") },
      { name: gbk("b.txt"), data: new Uint8Array(5000).fill(65) },
    ];
    for (const method of [0, 8] as const) {
      const entries = await unzip(await zipOf(files, method));
      expect(entries.map((e) => new TextDecoder("gbk").decode(e.nameBytes))).toEqual(["明细.csv", "b.txt"]);
      expect(new TextDecoder("gbk").decode(entries[0]!.data)).toBe("支付宝交易号,金额\r\n");
      expect(entries[1]!.data).toEqual(files[1]!.data);
    }
    const broken = await zipOf(files, 0);
    const at0 = 30 + files[0]!.name.length;
    broken[at0] = broken[at0]! ^ 0xff;
    await expect(unzip(broken)).rejects.toThrow(ZipError);
    await expect(unzip(new Uint8Array(100))).rejects.toThrow(/not a ZIP/);
  });

  it("reads WeChat Pay's bill by column name and refuses one whose summary does not add up", () => {
    const text = wechatTradeBill("wxa", "190", [
      { outTradeNo: "pay_1", amount: 12800 },
      { outTradeNo: "pay_1", amount: 12800, refund: { outRefundNo: "rfd_1", amount: 3000, status: "PROCESSING" } },
    ]);
    expect(parseWechatTradeBill(text)).toEqual([
      { subject: "payment", ref: "pay_1", paymentRef: "pay_1", amount: 12800, status: "succeeded" },
      { subject: "refund", ref: "rfd_1", paymentRef: "pay_1", amount: 3000, status: "processing" },
    ]);
    expect(() => parseWechatTradeBill(text.replace("`128.00,`0.00,`0,`0", "`129.00,`0.00,`0,`0"))).toThrow(StatementFormatError);
    expect(() => parseWechatTradeBill(text.replace("\r\n`2", "\r\n2"))).toThrow(/backtick/);
    expect(() => parseWechatTradeBill("hello")).toThrow(StatementFormatError);
  });

  it("reads Alipay's 业务明细 (quoted fields, tab padding, negative refunds) and checks the footer counts", () => {
    const text = alipayDetailCsv("2026-12-02", [
      { outTradeNo: "pay_2", amount: 9900 },
      { outTradeNo: "pay_2", amount: 100, outRequestNo: "rfd_2" },
    ]);
    expect(parseAlipayTradeBill(text)).toEqual([
      { subject: "payment", ref: "pay_2", paymentRef: "pay_2", amount: 9900, status: "succeeded" },
      { subject: "refund", ref: "rfd_2", paymentRef: "pay_2", amount: 100, status: "succeeded" },
    ]);
    expect(() => parseAlipayTradeBill(text.replace("#交易合计：1笔", "#交易合计：2笔"))).toThrow(StatementFormatError);
    expect(() => parseAlipayTradeBill(text.replace(/#-+业务明细列表结束[\s\S]*$/, ""))).toThrow(/ends early/);
  });
});

describe("WeChat Pay's trade bill", () => {
  const DAY = "2025-11-02";

  it("finds exactly the deliberate differences, is audited, and a rerun replaces its result", async () => {
    const at = shanghai(DAY, "10:30");
    const a = await ourPayment("wechatpay", at);
    const b = await ourPayment("wechatpay", at + 60_000);
    const c = await ourPayment("wechatpay", at + 120_000);
    const pending = await ourPayment("wechatpay", null);
    const r1 = await ourRefund("wechatpay", a, 3000, at + 300_000);
    const r2 = await ourRefund("wechatpay", b, 2000, null);
    const unknown = `pay_X${Date.now()}`;
    const lines = [
      { outTradeNo: a.id, amount: a.amount },
      { outTradeNo: b.id, amount: b.amount + 100 },
      { outTradeNo: pending.id, amount: pending.amount },
      { outTradeNo: unknown, amount: 500 },
      { outTradeNo: a.id, amount: a.amount, refund: { outRefundNo: r1.id, amount: 3000 } },
      { outTradeNo: b.id, amount: b.amount, refund: { outRefundNo: r2.id, amount: 2000 } },
    ];
    await wechat.setTradeBill(DAY, wechatTradeBill(env.WECHATPAY_APPID, env.WECHATPAY_MCHID, lines));

    const res = await runStatements({ date: DAY, provider: "wechatpay" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items).toEqual([{ provider: "wechatpay", status: "succeeded", lines: 6, mismatches: 5, error: null }]);
    // Both requests carried our signature (the fake answers 401 otherwise), the file was asked gzipped.
    expect(wechat.seen.map((s) => [s.method, s.path.split("?")[0], s.status])).toEqual([
      ["GET", "/v3/bill/tradebill", 200],
      ["GET", "/v3/billdownload/file", 200],
    ]);
    expect(wechat.seen[0]!.path).toBe(`/v3/bill/tradebill?bill_date=${DAY}&bill_type=ALL&tar_type=GZIP`);

    const view = await statementsOf(DAY);
    expect(view.status).toBe(200);
    const expected = [
      `amount_mismatch payment ${b.id}`,
      `status_mismatch payment ${pending.id}`,
      `missing_here payment ${unknown}`,
      `status_mismatch refund ${r2.id}`,
      `missing_at_provider payment ${c.id}`,
    ].sort();
    expect(kinds(view.body.mismatches)).toEqual(expected);
    const amount = view.body.mismatches.find((m: { kind: string }) => m.kind === "amount_mismatch");
    expect(amount).toMatchObject({
      orderId: b.orderId,
      ours: { amount: { amount: b.amount }, status: "succeeded" },
      theirs: { amount: { amount: b.amount + 100 }, status: "succeeded" },
    });
    expect(view.body.mismatches.find((m: { kind: string }) => m.kind === "missing_here")).toMatchObject({ ours: null, orderId: null });
    const run = view.body.providers.find((p: { provider: string }) => p.provider === "wechatpay");
    expect(run).toMatchObject({
      source: "wechatpay_bill",
      run: {
        status: "succeeded",
        payments: 4,
        refunds: 2,
        paid: { amount: a.amount + b.amount + 100 + pending.amount + 500 },
        refunded: { amount: 5000 },
        attempts: 1,
      },
    });
    expect(await auditActions(DAY)).toEqual(["statements.run"]);

    // The same run again: the same mismatches, once; one run row with two attempts.
    await runStatements({ date: DAY, provider: "wechatpay" });
    const again = await statementsOf(DAY);
    expect(kinds(again.body.mismatches)).toEqual(expected);
    const rows = await env.DB.prepare("SELECT attempts FROM statement_runs WHERE provider = 'wechatpay' AND day = ?").bind(DAY).all();
    expect(rows.results).toEqual([{ attempts: 2 }]);
    // Operators are alerted once for the day's mismatches: the second run is counted, not sent again.
    const alert = await env.DB.prepare("SELECT kind, occurrences, suppressed, details FROM alerts WHERE key = ?")
      .bind(`reconciliation_mismatch:wechatpay:${DAY}`)
      .first<{ kind: string; occurrences: number; suppressed: number; details: string }>();
    expect(alert).toMatchObject({ kind: "reconciliation_mismatch", occurrences: 2, suppressed: 1 });
    expect(JSON.parse(alert!.details)).toMatchObject({ provider: "wechatpay", day: DAY, mismatches: 5, amount_mismatch: 1 });

    // A corrected bill replaces the result: the amount difference is gone, nothing else changes.
    lines[1] = { outTradeNo: b.id, amount: b.amount };
    await wechat.setTradeBill(DAY, wechatTradeBill(env.WECHATPAY_APPID, env.WECHATPAY_MCHID, lines));
    await runStatements({ date: DAY, provider: "wechatpay" });
    expect(kinds((await statementsOf(DAY)).body.mismatches)).toEqual(expected.filter((e) => !e.startsWith("amount_mismatch")));
  });

  it("refuses a file whose SHA1 is not the signed hash_value, and a tampered signed answer: failed runs, the last good result kept", async () => {
    const day = "2025-11-03";
    const p = await ourPayment("wechatpay", shanghai(day, "09:00"));
    await wechat.setTradeBill(day, wechatTradeBill(env.WECHATPAY_APPID, env.WECHATPAY_MCHID, [{ outTradeNo: p.id, amount: p.amount + 1 }]));
    await runStatements({ date: day, provider: "wechatpay" });
    expect(kinds((await statementsOf(day)).body.mismatches)).toEqual([`amount_mismatch payment ${p.id}`]);

    wechat.faults.tamperBillFile = true;
    const tampered = await runStatements({ date: day, provider: "wechatpay" });
    expect(tampered.status).toBe(200);
    expect(tampered.body.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/SHA1 does not match/) });
    wechat.faults = { tamperAnswer: true };
    const unsigned = await runStatements({ date: day, provider: "wechatpay" });
    expect(unsigned.body.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/answer refused/) });

    const view = await statementsOf(day);
    expect(view.body.providers.find((x: { provider: string }) => x.provider === "wechatpay").run).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/answer refused/),
      attempts: 3,
      payments: 1,
    });
    expect(kinds(view.body.mismatches)).toEqual([`amount_mismatch payment ${p.id}`]);
  });

  it("no bill for a day (NO_STATEMENT_EXIST) is an empty statement: the day's payments are missing there", async () => {
    const day = "2025-11-04";
    const p = await ourPayment("wechatpay", shanghai(day, "23:59"));
    const res = await runStatements({ date: day, provider: "wechatpay" });
    expect(res.body.items[0]).toMatchObject({ status: "succeeded", lines: 0, mismatches: 1 });
    const view = await statementsOf(day);
    expect(kinds(view.body.mismatches)).toEqual([`missing_at_provider payment ${p.id}`]);
    expect(view.body.providers.find((x: { provider: string }) => x.provider === "wechatpay").run.empty).toBe(true);
  });

  it("a payment the provider booked the next day clears the earlier day's missing_at_provider", async () => {
    const day = "2025-11-05";
    const next = "2025-11-06";
    const p = await ourPayment("wechatpay", shanghai(day, "23:59"));
    await wechat.setTradeBill(
      day,
      wechatTradeBill(env.WECHATPAY_APPID, env.WECHATPAY_MCHID, [{ outTradeNo: `pay_Other${Date.now()}`, amount: 100 }]),
    );
    await runStatements({ date: day, provider: "wechatpay" });
    expect(kinds((await statementsOf(day)).body.mismatches)).toContain(`missing_at_provider payment ${p.id}`);
    await wechat.setTradeBill(
      next,
      wechatTradeBill(env.WECHATPAY_APPID, env.WECHATPAY_MCHID, [{ outTradeNo: p.id, amount: p.amount, time: `${next} 00:00:02` }]),
    );
    await runStatements({ date: next, provider: "wechatpay" });
    expect(kinds((await statementsOf(day)).body.mismatches)).not.toContain(`missing_at_provider payment ${p.id}`);
    expect((await statementsOf(next)).body.mismatches).toEqual([]);
  });
});

describe("Alipay's trade bill", () => {
  it("downloads the ZIP, decodes the GBK 业务明细 and finds exactly the deliberate differences", async () => {
    const day = "2025-11-12";
    const at = shanghai(day, "14:00");
    const p1 = await ourPayment("alipay", at);
    const p2 = await ourPayment("alipay", at);
    const p3 = await ourPayment("alipay", at);
    const r1 = await ourRefund("alipay", p1, 1500, at + 60_000);
    const stray = `rfd_X${Date.now()}`;
    alipayBills.set(
      day,
      await alipayBillZip(day, [
        { outTradeNo: p1.id, amount: p1.amount },
        { outTradeNo: p2.id, amount: p2.amount - 1 },
        { outTradeNo: p1.id, amount: 1500, outRequestNo: r1.id },
        { outTradeNo: p1.id, amount: 700, outRequestNo: stray },
      ]),
    );
    const res = await runStatements({ date: day, provider: "alipay" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items).toEqual([{ provider: "alipay", status: "succeeded", lines: 4, mismatches: 3, error: null }]);
    expect(alipay.calls).toEqual(["alipay.data.dataservice.bill.downloadurl.query"]);
    expect(downloads).toHaveLength(1);
    const view = await statementsOf(day);
    expect(kinds(view.body.mismatches)).toEqual(
      [`amount_mismatch payment ${p2.id}`, `missing_here refund ${stray}`, `missing_at_provider payment ${p3.id}`].sort(),
    );
    expect(view.body.providers.find((x: { provider: string }) => x.provider === "alipay")).toMatchObject({
      source: "alipay_bill",
      run: { status: "succeeded", payments: 2, refunds: 2, refunded: { amount: 2200 } },
    });
  });

  it("a broken archive or a tampered gateway answer is a failed run; no bill (isp.bill_not_exist) is an empty one", async () => {
    const day = "2025-11-13";
    const p = await ourPayment("alipay", shanghai(day, "08:00"));
    const zip = await alipayBillZip(day, [{ outTradeNo: p.id, amount: p.amount }]);
    // A byte of the 业务明细 entry's deflated data (it ends where the central directory begins).
    const directory = new DataView(zip.buffer).getUint32(zip.length - 22 + 16, true);
    zip[directory - 3] = zip[directory - 3]! ^ 0x55;
    alipayBills.set(day, zip);
    const broken = await runStatements({ date: day, provider: "alipay" });
    expect(broken.body.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/archive unreadable/) });

    alipayBills.set(day, await alipayBillZip(day, [{ outTradeNo: p.id, amount: p.amount }]));
    alipay.tamperAnswer = (raw) => raw.replace("downloadBillFile", "downloadBillFilx");
    const tampered = await runStatements({ date: day, provider: "alipay" });
    expect(tampered.body.items[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/signature invalid/) });
    alipay.tamperAnswer = undefined;
    const good = await runStatements({ date: day, provider: "alipay" });
    expect(good.body.items[0]).toMatchObject({ status: "succeeded", lines: 1, mismatches: 0 });

    const none = "2025-11-14";
    const q = await ourPayment("alipay", shanghai(none, "08:00"));
    await runStatements({ date: none, provider: "alipay" });
    expect(kinds((await statementsOf(none)).body.mismatches)).toEqual([`missing_at_provider payment ${q.id}`]);
  });
});

describe("the cron and failures", () => {
  it("runs yesterday's statements once a day after STATEMENTS_AFTER_HOUR, and a 5xx is retried 30 minutes later", async () => {
    const day = "2025-11-20";
    const p = await ourPayment("wechatpay", shanghai(day, "12:00"));
    await wechat.setTradeBill(day, wechatTradeBill(env.WECHATPAY_APPID, env.WECHATPAY_MCHID, [{ outTradeNo: p.id, amount: p.amount }]));
    alipayBills.set(day, await alipayBillZip(day, []));
    const morning = shanghai("2025-11-21", "09:59");
    expect(await runDueStatements(live, morning)).toMatchObject({ day, due: 0 });
    expect(wechat.seen).toHaveLength(0);

    wechat.faults.serverError = true;
    const first = await runDueStatements(live, morning + 60_000);
    // WeChat Pay (5xx), Alipay and the sandbox (its local records) were due.
    expect(first).toMatchObject({ day, due: 3, failed: 1, succeeded: 2 });
    expect(await runDueStatements(live, morning + 120_000)).toMatchObject({ due: 0 });
    wechat.faults = {};
    const retried = await runDueStatements(live, morning + 60_000 + 30 * 60_000);
    expect(retried).toMatchObject({ day, due: 1, succeeded: 1, failed: 0, mismatches: 0 });
    expect(await runDueStatements(live, morning + 3 * 3_600_000)).toMatchObject({ due: 0 });
    const view = await statementsOf(day);
    expect(view.body.providers.map((x: { provider: string; run: { status: string } }) => [x.provider, x.run.status])).toEqual([
      ["wechatpay", "succeeded"],
      ["alipay", "succeeded"],
      ["sandbox", "succeeded"],
    ]);
  });

  it("an operator's run against a provider answering 5xx answers 200 with the run failed", async () => {
    wechat.faults.serverError = true;
    const res = await runStatements({ date: "2025-11-21", provider: "wechatpay" });
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ provider: "wechatpay", status: "failed", error: expect.stringMatching(/answered 500/) });
  });

  it("refuses a day not over, unknown fields, a provider without a statement and non-operators", async () => {
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
    const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expectProblem(await runStatements({ date: today }), 400, "STATEMENT_DAY_NOT_OVER");
    expectProblem(await runStatements({ date: tomorrow, provider: "sandbox" }), 400, "STATEMENT_DAY_NOT_OVER");
    expectProblem(await runStatements({ date: "2025-11-01", extra: 1 }), 400, "VALIDATION_FAILED");
    expectProblem(await runStatements({ date: "2025-02-30" }), 400, "VALIDATION_FAILED");
    // Live Stripe without a secret key is not offered, so it has no statement here.
    expectProblem(await runStatements({ date: "2025-11-01", provider: "stripe" }), 409, "STATEMENT_UNAVAILABLE");
    const customer = await signIn(uniquePhone());
    expectProblem(await runStatements({ date: "2025-11-01" }, live, customer), 403);
    expectProblem(await call("GET", "/v1/admin/statements", { token: admin.token }), 400, "VALIDATION_FAILED");
    expect(wechat.seen).toHaveLength(0);
  });
});

describe("local mode", () => {
  it("reconciles the local provider's own records: a sandbox payment paid there but never notified shows", async () => {
    const day = "2025-11-25";
    const at = shanghai(day, "16:00");
    const paid = await startedPayment("sandbox");
    expect((await sandboxPay(paid.customer, paid.payment.id)).status).toBe(200);
    const lost = await startedPayment("sandbox");
    expect((await sandboxPay(lost.customer, lost.payment.id, { notify: false })).status).toBe(200);
    for (const id of [paid.payment.id, lost.payment.id]) {
      await env.DB.prepare("UPDATE local_provider_records SET updated_at = ? WHERE ref = ?").bind(at, id).run();
      await env.DB.prepare("UPDATE payments SET succeeded_at = ? WHERE id = ? AND status = 'succeeded'").bind(at, id).run();
    }
    const res = await call("POST", "/v1/admin/statements/run", { token: admin.token, body: { date: day, provider: "sandbox" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items).toEqual([{ provider: "sandbox", status: "succeeded", lines: 2, mismatches: 1, error: null }]);
    const view = await call("GET", `/v1/admin/statements?date=${day}`, { token: admin.token });
    expect(view.body.mismatches).toEqual([
      {
        provider: "sandbox",
        kind: "status_mismatch",
        subject: "payment",
        ref: lost.payment.id,
        orderId: lost.order.id,
        ours: { amount: lost.payment.amount, status: "pending" },
        theirs: { amount: lost.payment.amount, status: "succeeded" },
      },
    ]);
    expect(view.body.providers.every((x: { source: string }) => x.source === "local")).toBe(true);
    expect(wechat.seen).toHaveLength(0);
    expect(alipay.calls).toHaveLength(0);
    // The local records are kept as things happen: today can be checked too, in local mode only.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
    const now = await call("POST", "/v1/admin/statements/run", { token: admin.token, body: { date: today } });
    expect(now.status, JSON.stringify(now.body)).toBe(200);
    expect(now.body.items.map((i: { provider: string }) => i.provider)).toEqual(["wechatpay", "alipay", "stripe", "sandbox"]);
  });
});
