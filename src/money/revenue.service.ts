/**
 * Operators' money reports: the daily reconciliation (what providers told us vs the ledger vs the
 * orders), revenue by merchant, service or day, the ledger browser and its CSV export. A
 * merchant_admin sees only its merchant's transactions.
 */
import { getDb } from "../db/client";
import { accountBalances, clearingByProvider, entriesBetween, listTx, splitRows, unbalancedTx } from "../db/repositories/ledger.repo";
import { providerTotals, undisposedPayments } from "../db/repositories/payments.repo";
import { naturalBalance } from "../domain/ledger";
import type { LedgerTxKind } from "../domain/money";
import { isPlatform } from "../domain/roles";
import { zonedToUtc } from "../domain/zoned";
import type { Auth } from "../env";
import { AppError } from "../errors";
import { decodeCursor, toPage } from "../lib/cursor";
import { accountFromCode } from "./money-writes";
import { csvDocument } from "../domain/csv";

const money = (amount: number) => ({ amount, currency: "CNY" });

/** The UTC instants of a local day. */
function dayWindow(date: string, timeZone: string): { from: number; to: number } {
  try {
    const from = zonedToUtc(date, 0, timeZone);
    const next = new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    return { from, to: zonedToUtc(next, 0, timeZone) };
  } catch {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "query.timeZone", message: "an IANA time zone" }] });
  }
}

const scopeOf = (auth: Auth) => (isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__"));

/**
 * One day of money per provider: paid and refunded as the providers reported it (verified notices
 * and queries), the same movements in the ledger's provider clearing, and the orders' side (paid
 * payments whose order is not settled yet). `balanced` is true when all three agree and every
 * transaction balances.
 */
export async function reconciliation(env: Env, q: { date: string; timeZone: string }) {
  const db = getDb(env);
  const { from, to } = dayWindow(q.date, q.timeZone);
  const [reported, clearing, unbalanced, unsettled] = await Promise.all([
    providerTotals(db, from, to),
    clearingByProvider(db, from, to),
    unbalancedTx(db, from, to),
    undisposedPayments(db, Date.now() - 60_000, 100),
  ]);
  const providers = new Set([
    ...reported.paid.map((r) => r.provider),
    ...reported.refunded.map((r) => r.provider),
    ...clearing.map((c) => c.account.split(":")[1]!),
  ]);
  const rows = [...providers].sort().map((provider) => {
    const paid = Number(reported.paid.find((r) => r.provider === provider)?.sum ?? 0);
    const refunded = Number(reported.refunded.find((r) => r.provider === provider)?.sum ?? 0);
    const ledger = clearing.filter((c) => c.account === `provider_clearing:${provider}`);
    const ledgerIn = ledger.filter((c) => c.kind === "payment").reduce((s, c) => s + Number(c.sum), 0);
    const ledgerRefunds = -ledger.filter((c) => c.kind === "refund").reduce((s, c) => s + Number(c.sum), 0);
    const ledgerPayouts = -ledger.filter((c) => c.kind === "withdrawal").reduce((s, c) => s + Number(c.sum), 0);
    return {
      provider,
      reported: { paid: money(paid), refunded: money(refunded) },
      ledger: { paid: money(ledgerIn), refunded: money(ledgerRefunds), payouts: money(ledgerPayouts) },
      matches: paid === ledgerIn && refunded === ledgerRefunds,
    };
  });
  return {
    date: q.date,
    timeZone: q.timeZone,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    providers: rows,
    unbalancedTransactions: unbalanced.map((u) => ({ id: u.id, kind: u.kind, ref: u.ref, sum: Number(u.sum) })),
    unsettledPayments: unsettled.map((p) => ({ paymentId: p.id, orderId: p.orderId, amount: money(p.amount) })),
    balanced: rows.every((r) => r.matches) && unbalanced.length === 0 && unsettled.length === 0,
  };
}

/** Gross, platform commission, merchant and technician shares (net of refunds taken back from them), grouped. */
export async function revenue(
  env: Env,
  auth: Auth,
  q: { from: string; to: string; groupBy: "merchant" | "service" | "day"; timeZone: string },
) {
  const from = Date.parse(q.from);
  const to = Date.parse(q.to);
  if (!(to > from) || to - from > 366 * 86_400_000) {
    throw AppError.of("VALIDATION_FAILED", {}, { errors: [{ path: "query.to", message: "after from, within 366 days" }] });
  }
  const rows = await splitRows(getDb(env), { from, to, merchantId: scopeOf(auth) });
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: q.timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
  const groups = new Map<
    string,
    { gross: number; platform: number; merchant: number; technician: number; coupon: number; funded: number }
  >();
  for (const r of rows) {
    const key =
      q.groupBy === "merchant"
        ? (r.merchantId ?? "platform")
        : q.groupBy === "service"
          ? (r.serviceId ?? "none")
          : day.format(new Date(r.createdAt));
    const g = groups.get(key) ?? { gross: 0, platform: 0, merchant: 0, technician: 0, coupon: 0, funded: 0 };
    const kind = accountFromCode(r.account).kind;
    // Credits to a share are earnings (negative entries); debits of a refund take them back.
    if (kind === "platform_revenue") g.platform -= r.amount;
    else if (kind === "merchant_payable") {
      g.merchant -= r.amount;
      // A split's debit of the merchant's payable is its merchant-funded promotion.
      if (r.kind === "split" && r.amount > 0) g.funded += r.amount;
    } else if (kind === "technician_payable") g.technician -= r.amount;
    else if (kind === "coupon_expense") g.coupon += r.amount;
    groups.set(key, g);
  }
  return {
    groupBy: q.groupBy,
    items: [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, g]) => ({
        key,
        gross: money(g.platform + g.merchant + g.technician + g.funded),
        platformRevenue: money(g.platform),
        merchantShare: money(g.merchant),
        technicianShare: money(g.technician),
        couponExpense: money(g.coupon),
        merchantFunded: money(g.funded),
      })),
  };
}

export async function ledgerPage(
  env: Env,
  auth: Auth,
  q: { orderId?: string; account?: string; kind?: LedgerTxKind; from?: string; to?: string; limit: number; cursor?: string },
) {
  const rows = await listTx(
    getDb(env),
    {
      orderId: q.orderId,
      account: q.account,
      kind: q.kind,
      merchantId: scopeOf(auth),
      from: q.from ? Date.parse(q.from) : undefined,
      to: q.to ? Date.parse(q.to) : undefined,
      beforeId: decodeCursor(q.cursor),
    },
    q.limit + 1,
  );
  const page = toPage(rows, q.limit);
  return {
    items: page.items.map((t) => ({
      id: t.id,
      kind: t.kind,
      ref: t.ref,
      orderId: t.orderId,
      merchantId: t.merchantId,
      provider: t.provider,
      memo: t.memo,
      at: new Date(t.createdAt).toISOString(),
      entries: t.entries.map((e) => ({ account: e.account, amount: money(e.amount), availableAt: new Date(e.availableAt).toISOString() })),
      balanced: t.entries.reduce((s, e) => s + e.amount, 0) === 0,
    })),
    nextCursor: page.nextCursor,
  };
}

export async function accounts(env: Env, auth: Auth) {
  const rows = await accountBalances(getDb(env), isPlatform(auth.roles) ? undefined : (auth.merchantId ?? "__none__"));
  return {
    items: rows.map((a) => ({
      code: a.code,
      kind: a.kind,
      type: a.type,
      ownerId: a.ownerId,
      balance: money(naturalBalance(a.type, Number(a.sum))),
    })),
  };
}

const CSV_LIMIT = 50_000;
/** Ledger entries of a window as CSV (one row per entry), oldest first. */
export async function ledgerCsv(env: Env, auth: Auth, q: { from: string; to: string }): Promise<string> {
  const rows = await entriesBetween(getDb(env), { from: Date.parse(q.from), to: Date.parse(q.to), merchantId: scopeOf(auth) }, CSV_LIMIT);
  const header = ["at", "transaction", "kind", "ref", "order", "merchant", "provider", "account", "debit", "credit", "currency", "memo"];
  return csvDocument(
    header,
    rows.map(({ entry: e, tx: t }) => [
      new Date(t.createdAt).toISOString(),
      t.id,
      t.kind,
      t.ref,
      t.orderId,
      t.merchantId,
      t.provider,
      e.account,
      e.amount > 0 ? e.amount : "",
      e.amount < 0 ? -e.amount : "",
      t.currency,
      t.memo,
    ]),
  );
}
