/**
 * Daily provider statements (对账单) reconciled against our payments and refunds.
 *
 * With `PAYMENT_PROVIDER_CLIENT=live` the statement of WeChat Pay is its trade bill and that of
 * Alipay its trade bill (src/adapters/wechatpay-bill.ts, alipay-bill.ts); Stripe gives none here.
 * Providers served by the local client (all of them in `local` mode, the sandbox always) are
 * reconciled against the local client's own records (local_provider_records): what that stand-in
 * "provider" says it took and refunded that day. Each run compares the lines with D1 and stores
 * the run and its mismatches per (provider, day), replacing the previous run's.
 *
 * The cron runs yesterday's statements once a day after `STATEMENTS_AFTER_HOUR` (Asia/Shanghai);
 * a failed run (provider unreachable, file refused) is recorded and tried again 30 minutes later.
 * Operators run a day on demand (audited). A provider failure is a failed run, never a 5xx.
 */
import { ProviderError } from "../adapters/provider-error";
import { alipayTradeBill } from "../adapters/alipay-bill";
import { wechatpayTradeBill } from "../adapters/wechatpay-bill";
import { config } from "../config";
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { localRecordsBetween } from "../db/repositories/local-provider.repo";
import {
  findStatementRun,
  ourRecords,
  saveStatementRun,
  statementMismatchesOfDay,
  statementRunFailed,
  statementRunsOfDay,
  type StatementMismatchRow,
  type StatementRunRow,
} from "../db/repositories/provider-statements.repo";
import { PAYMENT_PROVIDERS, providerName, type PaymentProvider } from "../domain/money";
import {
  compareStatement,
  parseAlipayTradeBill,
  parseWechatTradeBill,
  STATEMENT_TIME_ZONE,
  StatementFormatError,
  type StatementLine,
} from "../domain/statements";
import { addDays, localDate, localMinuteOfDay, zonedToUtc } from "../domain/zoned";
import { AppError } from "../errors";
import { newId } from "../lib/ids";
import { providerConfigured } from "./providers";
import { logger } from "../lib/log";
import { raiseAlert } from "../observability";

/** A failed run is tried again by the cron after this long. */
export const STATEMENT_RETRY_MS = 30 * 60_000;
/** Mismatches kept per provider and day (a larger difference is a systemic fault, not a list to read). */
const MAX_MISMATCHES = 1000;

type Source = StatementRunRow["source"];

/** The providers that have a daily statement here, and where each comes from. */
export function statementSources(env: Env): { provider: PaymentProvider; source: Source }[] {
  const live = config(env).PAYMENT_PROVIDER_CLIENT === "live";
  return PAYMENT_PROVIDERS.filter((p) => providerConfigured(env, p)).flatMap(
    (provider): { provider: PaymentProvider; source: Source }[] => {
      if (!live || provider === "sandbox") return [{ provider, source: "local" }];
      if (provider === "wechatpay") return [{ provider, source: "wechatpay_bill" }];
      if (provider === "alipay") return [{ provider, source: "alipay_bill" }];
      return [];
    },
  );
}

/** The UTC instants of a statement day. */
const dayWindow = (day: string) => ({
  from: zonedToUtc(day, 0, STATEMENT_TIME_ZONE),
  to: zonedToUtc(addDays(day, 1), 0, STATEMENT_TIME_ZONE),
});

/** The lines of a statement, and whether the provider had none at all for the day. */
async function statementLines(
  env: Env,
  provider: PaymentProvider,
  source: Source,
  day: string,
): Promise<{ lines: StatementLine[]; empty: boolean }> {
  if (source === "wechatpay_bill") {
    const text = await wechatpayTradeBill(env, day);
    return text === null ? { lines: [], empty: true } : { lines: parseWechatTradeBill(text), empty: false };
  }
  if (source === "alipay_bill") {
    const text = await alipayTradeBill(env, day);
    return text === null ? { lines: [], empty: true } : { lines: parseAlipayTradeBill(text), empty: false };
  }
  const { from, to } = dayWindow(day);
  const records = await localRecordsBetween(getDb(env), provider, from, to);
  const lines = records.flatMap((r): StatementLine[] => {
    if (r.kind === "trade") {
      return r.state === "SUCCESS" ? [{ subject: "payment", ref: r.ref, paymentRef: r.ref, amount: r.amount, status: "succeeded" }] : [];
    }
    const status = r.state === "SUCCESS" ? "succeeded" : r.state === "PROCESSING" ? "processing" : "failed";
    return [{ subject: "refund", ref: r.ref, paymentRef: String(r.data.paymentId ?? ""), amount: r.amount, status }];
  });
  return { lines, empty: false };
}

export interface StatementOutcome {
  provider: PaymentProvider;
  status: "succeeded" | "failed";
  lines: number;
  mismatches: number;
  /** Why it failed (a provider failure or a refused file); null when it ran. */
  error: string | null;
}

/** Runs one provider's statement of `day` and stores the result (replacing an earlier run of it). */
export async function runStatement(
  env: Env,
  p: { provider: PaymentProvider; source: Source; day: string; actorId: string | null },
  now = Date.now(),
): Promise<StatementOutcome> {
  const db = getDb(env);
  const id = newId("stm", now);
  const base = { provider: p.provider, day: p.day, source: p.source, attemptedAt: now, triggeredBy: p.actorId };
  let fetched: { lines: StatementLine[]; empty: boolean };
  try {
    fetched = await statementLines(env, p.provider, p.source, p.day);
  } catch (err) {
    if (!(err instanceof ProviderError || err instanceof StatementFormatError)) throw err;
    await statementRunFailed(db, id, { ...base, payments: 0, refunds: 0, paidTotal: 0, refundedTotal: 0, empty: false }, err.message, now);
    logger.warn("statement.failed", { provider: p.provider, day: p.day, source: p.source, error: err.message });
    return { provider: p.provider, status: "failed", lines: 0, mismatches: 0, error: err.message };
  }
  const { lines, empty } = fetched;
  const { from, to } = dayWindow(p.day);
  const ours = await ourRecords(db, {
    provider: p.provider,
    paymentIds: lines.filter((l) => l.subject === "payment").map((l) => l.ref),
    refundIds: lines.filter((l) => l.subject === "refund").map((l) => l.ref),
    from,
    to,
  });
  const found = compareStatement(p.provider, lines, ours.records, ours.ofTheDay);
  const rows: StatementMismatchRow[] = found.slice(0, MAX_MISMATCHES).map((m, i) => ({
    id: `${id}_${i}`,
    provider: p.provider,
    day: p.day,
    kind: m.kind,
    subject: m.subject,
    ref: m.ref,
    orderId: m.orderId,
    ourAmount: m.ours?.amount ?? null,
    ourStatus: m.ours?.status ?? null,
    theirAmount: m.theirs?.amount ?? null,
    theirStatus: m.theirs?.status ?? null,
    createdAt: now,
  }));
  const sum = (subject: string) => lines.filter((l) => l.subject === subject && l.status === "succeeded").reduce((s, l) => s + l.amount, 0);
  await saveStatementRun(
    db,
    id,
    {
      ...base,
      payments: lines.filter((l) => l.subject === "payment").length,
      refunds: lines.filter((l) => l.subject === "refund").length,
      paidTotal: sum("payment"),
      refundedTotal: sum("refund"),
      empty,
    },
    rows,
    lines.map((l) => ({ subject: l.subject, ref: l.ref })),
    now,
  );
  const counts = Object.fromEntries(
    ["missing_here", "missing_at_provider", "amount_mismatch", "status_mismatch"].map((k) => [k, found.filter((m) => m.kind === k).length]),
  );
  logger.info("statement.reconciled", { provider: p.provider, day: p.day, source: p.source, lines: lines.length, empty, ...counts });
  if (found.length > 0) {
    await raiseAlert(
      env,
      {
        kind: "reconciliation_mismatch",
        key: `reconciliation_mismatch:${p.provider}:${p.day}`,
        details: { provider: p.provider, day: p.day, mismatches: found.length, ...counts },
      },
      now,
    );
  }
  return { provider: p.provider, status: "succeeded", lines: lines.length, mismatches: found.length, error: null };
}

/** Today's date at the statements' time zone. */
const todayOf = (now: number) => localDate(now, STATEMENT_TIME_ZONE);

/**
 * An operator runs the statements of a day (all providers, or one), audited: a finished day, or
 * today for the local client's records (they are kept as things happen).
 */
export async function runStatementsNow(env: Env, actorId: string, q: { date: string; provider?: PaymentProvider }, now = Date.now()) {
  const sources = statementSources(env).filter((s) => !q.provider || s.provider === q.provider);
  if (q.provider && sources.length === 0) throw AppError.of("STATEMENT_UNAVAILABLE", { provider: providerName(q.provider) });
  // A provider's bill exists once the day is over; the local client's records can be read any time.
  const today = todayOf(now);
  if (q.date > today || (q.date === today && sources.some((s) => s.source !== "local"))) {
    throw AppError.of("STATEMENT_DAY_NOT_OVER", { date: q.date });
  }
  const items: StatementOutcome[] = [];
  for (const s of sources) items.push(await runStatement(env, { ...s, day: q.date, actorId }, now));
  await appendAudit(getDb(env), {
    actorId,
    action: "statements.run",
    targetType: "statement_day",
    targetId: q.date,
    data: { results: items.map((i) => ({ provider: i.provider, status: i.status, lines: i.lines, mismatches: i.mismatches })) },
  });
  return { date: q.date, timeZone: STATEMENT_TIME_ZONE, items };
}

/**
 * The cron's part: from `STATEMENTS_AFTER_HOUR` on, yesterday's statement of every provider that
 * has none yet, or whose last attempt failed at least 30 minutes ago.
 */
export async function runDueStatements(env: Env, now = Date.now()) {
  const hour = Math.floor(localMinuteOfDay(now, STATEMENT_TIME_ZONE) / 60);
  const day = addDays(todayOf(now), -1);
  if (hour < config(env).STATEMENTS_AFTER_HOUR) return { day, due: 0, succeeded: 0, failed: 0, mismatches: 0 };
  const runs = await statementRunsOfDay(getDb(env), day);
  const due = statementSources(env).filter((s) => {
    const run = runs.find((r) => r.provider === s.provider);
    return !run || (run.status === "failed" && now - run.attemptedAt >= STATEMENT_RETRY_MS);
  });
  const results: StatementOutcome[] = [];
  for (const s of due) results.push(await runStatement(env, { ...s, day, actorId: null }, now));
  return {
    day,
    due: due.length,
    succeeded: results.filter((r) => r.status === "succeeded").length,
    failed: results.filter((r) => r.status === "failed").length,
    mismatches: results.reduce((s, r) => s + r.mismatches, 0),
  };
}

const money = (amount: number | null) => (amount === null ? null : { amount, currency: "CNY" });

/** The statements of a day: each provider's run (or none yet) and the mismatches found. */
export async function statementsOfDay(env: Env, day: string) {
  const db = getDb(env);
  const [runs, mismatches] = await Promise.all([statementRunsOfDay(db, day), statementMismatchesOfDay(db, day, 500)]);
  return {
    date: day,
    timeZone: STATEMENT_TIME_ZONE,
    providers: statementSources(env).map(({ provider, source }) => {
      const run = runs.find((r) => r.provider === provider);
      return {
        provider,
        source,
        run: run
          ? {
              status: run.status,
              source: run.source,
              payments: run.payments,
              refunds: run.refunds,
              paid: money(run.paidTotal)!,
              refunded: money(run.refundedTotal)!,
              empty: run.empty,
              error: run.error,
              attempts: run.attempts,
              attemptedAt: new Date(run.attemptedAt).toISOString(),
              completedAt: run.completedAt === null ? null : new Date(run.completedAt).toISOString(),
              mismatches: mismatches.filter((m) => m.provider === provider).length,
            }
          : null,
      };
    }),
    mismatches: mismatches.map((m) => ({
      provider: m.provider,
      kind: m.kind,
      subject: m.subject,
      ref: m.ref,
      orderId: m.orderId,
      ours: m.ourStatus === null ? null : { amount: money(m.ourAmount)!, status: m.ourStatus },
      theirs: m.theirStatus === null ? null : { amount: money(m.theirAmount)!, status: m.theirStatus },
    })),
  };
}

/** Whether a provider's statement of `day` has been run (tests, tools). */
export async function statementRun(env: Env, provider: PaymentProvider, day: string) {
  return findStatementRun(getDb(env), provider, day);
}
