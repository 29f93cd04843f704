import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { at, book, newCustomer, orderOf, quote, type Customer } from "../support/booking";
import { freshCenter } from "../support/fixtures";
import { call, type Session } from "../support/http";
import { addTechnician, createWorld, type World } from "../support/world";
import { completeVisit, pay, sandboxPay } from "../support/payments";

type Action =
  | { kind: "book"; plan: "full" | "after_service" }
  | { kind: "pay"; i: number; twice: boolean }
  | { kind: "cancel"; i: number }
  | { kind: "complete"; i: number }
  | { kind: "complain"; i: number; percent: number }
  | { kind: "withdraw"; percent: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant("book" as const), plan: fc.constantFrom("full" as const, "after_service" as const) }),
  fc.record({ kind: fc.constant("pay" as const), i: fc.nat(5), twice: fc.boolean() }),
  fc.record({ kind: fc.constant("cancel" as const), i: fc.nat(5) }),
  fc.record({ kind: fc.constant("complete" as const), i: fc.nat(5) }),
  fc.record({ kind: fc.constant("complain" as const), i: fc.nat(5), percent: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant("withdraw" as const), percent: fc.integer({ min: 1, max: 100 }) }),
);

interface Booked {
  id: string;
  startCode: string;
  customer: Customer;
}

/** Runs one action against the Worker; actions that do not apply to the order's state are skipped. */
async function run(w: World, techs: { id: string; session: Session }[], orders: Booked[], a: Action, n: number) {
  // i = -1: the order booked last
  const o = "i" in a ? (a.i < 0 ? orders.at(-1) : orders[a.i % Math.max(1, orders.length)]) : undefined;
  if (a.kind === "book") {
    const customer = await newCustomer(w.center);
    // a distinct morning or afternoon for every order, so two technicians always fit
    const start = at(w, 2 + Math.floor(n / 2), n % 2 === 0 ? "09:00" : "14:00");
    const res = await book(customer, await quote(w, customer, start), { paymentPlan: a.plan });
    if (res.status === 201) orders.push({ id: res.body.id, startCode: res.body.startCode, customer });
    return;
  }
  if (a.kind === "withdraw") {
    // time passes: the settlement delay is over for everything earned so far
    await env.DB.prepare("UPDATE ledger_entries SET available_at = ? WHERE account LIKE 'technician_payable:%'")
      .bind(Date.now() - 1)
      .run();
    for (const t of techs) {
      const e = (await call("GET", "/v1/technician/earnings", { token: t.session.token })).body;
      const amount = Math.floor((e.totals.available.amount * a.percent) / 100);
      if (amount < 1000) continue;
      const wd = await call("POST", "/v1/technician/withdrawals", {
        token: t.session.token,
        headers: { "Idempotency-Key": `p-${crypto.randomUUID()}` },
        body: { amount },
      });
      if (wd.status === 201) await call("POST", `/v1/admin/withdrawals/${wd.body.id}/approve`, { token: w.admin.token });
    }
    return;
  }
  if (!o) return;
  const order = await orderOf(o.customer, o.id);
  if (a.kind === "pay") {
    for (let k = 0; k < (a.twice ? 2 : 1); k++) {
      const p = await pay(o.customer, o.id, { provider: "sandbox" });
      if (p.status === 201) await sandboxPay(o.customer, p.body.id);
    }
  } else if (a.kind === "cancel") {
    await call("POST", `/v1/orders/${o.id}/cancel`, { token: o.customer.session.token, body: { reason: "property" } });
  } else if (a.kind === "complete" && order.status === "assigned") {
    const tech = techs.find((t) => t.id === order.technician.id)!;
    await completeVisit(w, tech.session, o);
  } else if (a.kind === "complain" && order.status === "completed") {
    const c = await call("POST", `/v1/orders/${o.id}/complaints`, { token: o.customer.session.token, body: { reason: "property" } });
    for (const r of c.status === 201 ? c.body.items : []) {
      const amount = Math.max(1, Math.floor((r.amount.amount * a.percent) / 100));
      await call("POST", `/v1/admin/refunds/${r.id}/approve`, { token: w.admin.token, body: { amount } });
    }
  }
}

const sum = async (sql: string, ...params: unknown[]) =>
  Number(
    (
      await env.DB.prepare(sql)
        .bind(...params)
        .first<{ s: number | null }>()
    )?.s ?? 0,
  );

/** The invariants, read straight from D1: the ledger against the orders, payments, refunds and withdrawals. */
async function checkInvariants(orders: Booked[], techIds: string[]) {
  const unbalanced = await env.DB.prepare(
    "SELECT tx_id, sum(amount) AS s, count(*) AS n FROM ledger_entries GROUP BY tx_id HAVING s <> 0 OR n < 2",
  ).all();
  expect(unbalanced.results).toEqual([]);
  for (const o of orders) {
    const row = await env.DB.prepare("SELECT status, total FROM orders WHERE id = ?").bind(o.id).first<{ status: string; total: number }>();
    const paid = await sum("SELECT sum(amount) AS s FROM payments WHERE order_id = ? AND status = 'succeeded'", o.id);
    const refunded = await sum("SELECT sum(amount) AS s FROM refunds WHERE order_id = ? AND status = 'succeeded'", o.id);
    const applied = await sum("SELECT sum(amount) AS s FROM payments WHERE order_id = ? AND disposition = 'applied'", o.id);
    const open = await sum("SELECT count(*) AS s FROM refunds WHERE order_id = ? AND status IN ('processing', 'pending_approval')", o.id);
    const undecided = await sum(
      "SELECT count(*) AS s FROM payments WHERE order_id = ? AND status = 'succeeded' AND disposition IS NULL",
      o.id,
    );
    // the money at the providers is what they took less what they gave back
    expect(await sum("SELECT sum(amount) AS s FROM ledger_entries WHERE order_id = ? AND account LIKE 'provider_clearing:%'", o.id)).toBe(
      paid - refunded,
    );
    // every movement exactly once
    expect(await sum("SELECT count(*) AS s FROM ledger_transactions WHERE order_id = ? AND kind = 'payment'", o.id)).toBe(
      await sum("SELECT count(*) AS s FROM payments WHERE order_id = ? AND status = 'succeeded'", o.id),
    );
    expect(await sum("SELECT count(*) AS s FROM ledger_transactions WHERE order_id = ? AND kind = 'refund'", o.id)).toBe(
      await sum("SELECT count(*) AS s FROM refunds WHERE order_id = ? AND status = 'succeeded'", o.id),
    );
    expect(undecided).toBe(0);
    if (open > 0) continue;
    // what the customer's funds still hold for the order: nothing once it ended or was served (only
    // collected money is split, and all of it is), else what was paid before the visit
    const funds = await sum("SELECT sum(amount) AS s FROM ledger_entries WHERE order_id = ? AND account = 'customer_funds'", o.id);
    if (row!.status === "cancelled" || row!.status === "refunded") expect(funds, `${o.id} ${row!.status}`).toBe(0);
    else if (row!.status === "completed" || row!.status === "after_sales") {
      expect(funds, `${o.id} ${row!.status}`).toBe(0);
      // a served order not paid in full has an open due (its customer cannot book), one paid in full none
      const open = await sum("SELECT count(*) AS s FROM payment_dues WHERE order_id = ? AND settled_at IS NULL", o.id);
      expect(open, `${o.id} due`).toBe(applied < row!.total ? 1 : 0);
    } else expect(funds + applied).toBe(0);
    // a confirmed or later pay-now order was paid
    if (!["pending_payment", "cancelled", "refunded"].includes(row!.status)) {
      const plan = await env.DB.prepare("SELECT payment_plan AS p FROM orders WHERE id = ?").bind(o.id).first<{ p: string }>();
      if (plan!.p !== "after_service") expect(applied).toBeGreaterThan(0);
    }
  }
  for (const t of techIds) {
    const account = `technician_payable:${t}`;
    const paidOut = await sum("SELECT sum(amount) AS s FROM withdrawals WHERE technician_id = ? AND status = 'paid'", t);
    expect(await sum("SELECT sum(amount) AS s FROM ledger_entries WHERE account = ? AND order_id IS NULL", account)).toBe(paidOut);
  }
}

describe("the ledger under random money flows (property)", () => {
  it("keeps every transaction balanced and the ledger reconciled with orders, payments, refunds and withdrawals", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 9 }), async (actions) => {
        const w = await createWorld(freshCenter());
        const techs = await Promise.all([addTechnician(w, w.center), addTechnician(w, w.center)]);
        const sessions = await Promise.all(techs.map(async (t) => ({ id: t.id, session: await t.session() })));
        const orders: Booked[] = [];
        // always some orders to act on; after the random part a paid order served, a paid cancellation, a completion and a withdrawal
        const all: Action[] = [
          { kind: "book", plan: "full" },
          { kind: "book", plan: "after_service" },
          ...actions,
          // a paid order served, so its money is split whatever the random part did
          { kind: "book", plan: "full" },
          { kind: "pay", i: -1, twice: false },
          { kind: "complete", i: -1 },
          { kind: "book", plan: "full" },
          { kind: "pay", i: -1, twice: false },
          { kind: "cancel", i: -1 },
          { kind: "complete", i: 1 },
          { kind: "withdraw", percent: 50 },
        ];
        for (const [n, a] of all.entries()) await run(w, sessions, orders, a, n);
        await checkInvariants(
          orders,
          techs.map((t) => t.id),
        );
        for (const o of orders) {
          const row = await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(o.id).first<{ status: string }>();
          seen.add(`order:${row!.status}`);
        }
        const kinds = await env.DB.prepare("SELECT DISTINCT kind FROM ledger_transactions").all<{ kind: string }>();
        for (const k of kinds.results) seen.add(`tx:${k.kind}`);
      }),
      { numRuns: 10 },
    );
    // the runs did move money every way the property is about
    for (const must of ["tx:payment", "tx:split", "tx:refund_request", "tx:refund", "tx:withdrawal", "order:completed", "order:cancelled"])
      expect([...seen]).toContain(must);
  }, 240_000);
});
