/**
 * Money under concurrency: many parallel requests against one balance or one payment never move
 * more money than there is (DESIGN.md invariants 5 and 6).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, callWith, signInWithRoles, type Session } from "../support/http";
import { merchantWorld } from "../support/world";
import { completeVisit, expectBalanced, fundTechnician, ledgerOf, paidOrder } from "../support/payments";

const sum = async (sql: string, ...params: unknown[]) =>
  Number(
    (
      await env.DB.prepare(sql)
        .bind(...params)
        .first<{ s: number | null }>()
    )?.s ?? 0,
  );

/** The technician's ledger balance as they read it (credits positive). */
const balanceOf = (technicianId: string) =>
  sum("SELECT -coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE account = ?", `technician_payable:${technicianId}`);

let keys = 0;
const withdrawWith = (e: Env, s: Session, amount: number) =>
  callWith(e, "POST", "/v1/technician/withdrawals", {
    token: s.token,
    headers: { "Idempotency-Key": `conc-${Date.now()}-${(keys += 1)}` },
    body: { amount },
  });

describe("parallel withdrawals of one balance", () => {
  it("20 at once: the balance never goes negative and no more is paid out than there was", async () => {
    const m = await merchantWorld();
    const balance = 10_000;
    await fundTechnician(m.tech.id, balance);
    // Only the balance binds (the daily count would otherwise stop at 3).
    const roomy = { ...env, WITHDRAWALS_PER_DAY: "100" } as Env;
    const asks = await Promise.all(Array.from({ length: 20 }, () => withdrawWith(roomy, m.techSession, 1_500)));
    const made = asks.filter((a) => a.status === 201);
    expect(made).toHaveLength(Math.floor(balance / 1_500));
    for (const a of asks.filter((x) => x.status !== 201)) expect(a.body.code).toBe("INSUFFICIENT_BALANCE");

    // Approve every one twice, all at once, while the technician keeps asking.
    const operator = await signInWithRoles(["operator"]);
    const approvals = made.flatMap((a) =>
      [a, a].map(() => call("POST", `/v1/admin/withdrawals/${a.body.id}/approve`, { token: operator.token })),
    );
    const more = Array.from({ length: 5 }, () => withdrawWith(roomy, m.techSession, 1_000));
    const [decided, late] = await Promise.all([Promise.all(approvals), Promise.all(more)]);
    expect(decided.filter((d) => d.status === 200)).toHaveLength(made.length);
    for (const d of decided.filter((x) => x.status !== 200)) expect(d.body.code).toBe("WITHDRAWAL_DECIDED");
    // 6 × 1,500 = 9,000 of 10,000 asked: 1,000 is left for exactly one of the late requests.
    expect(late.filter((l) => l.status === 201)).toHaveLength(1);

    const paidOut = await sum(
      "SELECT coalesce(sum(amount), 0) AS s FROM withdrawals WHERE technician_id = ? AND status = 'paid'",
      m.tech.id,
    );
    const open = await sum(
      "SELECT coalesce(sum(amount), 0) AS s FROM withdrawals WHERE technician_id = ? AND status IN ('requested', 'approved', 'processing')",
      m.tech.id,
    );
    expect(paidOut).toBe(9_000);
    expect(paidOut + open).toBeLessThanOrEqual(balance);
    expect(await balanceOf(m.tech.id)).toBe(balance - paidOut);
    expect(await balanceOf(m.tech.id)).toBeGreaterThanOrEqual(0);
    expect(await sum("SELECT count(*) AS s FROM ledger_transactions WHERE technician_id = ? AND kind = 'withdrawal'", m.tech.id)).toBe(
      made.length,
    );
    const earnings = (await call("GET", "/v1/technician/earnings", { token: m.techSession.token })).body.totals;
    expect(earnings.available.amount).toBe(0);
    expectBalanced(await ledgerOf());
  });
});

describe("parallel refunds of one payment", () => {
  it("never refunds more than was paid, whoever asks and however often at once", async () => {
    const m = await merchantWorld();
    const { customer, order, payment } = await paidOrder(m.w);
    await completeVisit(m.w, m.techSession, order);
    const paid = payment.amount.amount as number;
    const operator = await signInWithRoles(["operator"]);

    // staff refunds and customer complaints, all at once
    const staff = Array.from({ length: 8 }, () =>
      call("POST", `/v1/admin/orders/${order.id}/refunds`, { token: operator.token, body: { amount: 5_000, reason: "goodwill" } }),
    );
    const complaints = Array.from({ length: 8 }, () =>
      call("POST", `/v1/orders/${order.id}/complaints`, { token: customer.session.token, body: { reason: "streaks", amount: 7_000 } }),
    );
    const answers = await Promise.all([...staff, ...complaints]);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBeLessThan(500);
    const refundedOrAsked = () =>
      sum(
        "SELECT coalesce(sum(amount), 0) AS s FROM refunds WHERE payment_id = ? AND status IN ('pending_approval', 'processing', 'succeeded')",
        payment.id,
      );
    expect(await refundedOrAsked()).toBeLessThanOrEqual(paid);

    // every open request approved at once, several times each, then staff try again for the rest
    const pending = (
      await env.DB.prepare("SELECT id FROM refunds WHERE payment_id = ? AND status = 'pending_approval'")
        .bind(payment.id)
        .all<{ id: string }>()
    ).results;
    await Promise.all(
      pending.flatMap((r) => [1, 2, 3].map(() => call("POST", `/v1/admin/refunds/${r.id}/approve`, { token: operator.token, body: {} }))),
    );
    const again = await Promise.all(
      Array.from({ length: 8 }, () =>
        call("POST", `/v1/admin/orders/${order.id}/refunds`, { token: operator.token, body: { amount: 4_000, reason: "more goodwill" } }),
      ),
    );
    for (const a of again) expect(a.status, JSON.stringify(a.body)).toBeLessThan(500);

    const refunded = await sum(
      "SELECT coalesce(sum(amount), 0) AS s FROM refunds WHERE payment_id = ? AND status = 'succeeded'",
      payment.id,
    );
    expect(refunded).toBeGreaterThan(0);
    expect(await refundedOrAsked()).toBeLessThanOrEqual(paid);
    // the provider gave back exactly what the refunds say, never more than it took
    const clearing = await sum(
      "SELECT coalesce(sum(amount), 0) AS s FROM ledger_entries WHERE order_id = ? AND account LIKE 'provider_clearing:%'",
      order.id,
    );
    expect(clearing).toBe(paid - refunded);
    expect(clearing).toBeGreaterThanOrEqual(0);
    expectBalanced(await ledgerOf(order.id));
  });
});
