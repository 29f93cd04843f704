/**
 * D1 reads that run for every order event, whatever the size of the history: their plans are index
 * searches (taken from the SQL the repositories really send), never a walk through `orders` or
 * `order_events`.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { fewerOpenOrders } from "../../src/db/repositories/booking.repo";
import { candidateHistory, findOrderByHoldKey } from "../../src/db/repositories/orders.repo";
import { countingEnv } from "../support/counting";
import { d1Plan, statementsOf, tableScans } from "../support/plans";

/** The statements a repository call sends to D1, as sent. */
async function sqlOf(run: (db: ReturnType<typeof getDb>) => Promise<unknown>): Promise<string[]> {
  const { env: counted, counts } = countingEnv();
  await run(getDb(counted));
  return statementsOf(counts.sql);
}

describe("order reads that must not grow with history", () => {
  it("finds an order by its hold key through orders_hold_key_idx", async () => {
    const [query] = await sqlOf((db) => findOrderByHoldKey(db, "ord_x:1"));
    const plan = await d1Plan(query!);
    expect(plan).toEqual(["SEARCH orders USING INDEX orders_hold_key_idx (hold_key=?)"]);
    expect(tableScans(plan, ["orders"])).toEqual([]);
  });

  it("the plan check notices a missing index: without orders_hold_key_idx the lookup walks every order", async () => {
    const [query] = await sqlOf((db) => findOrderByHoldKey(db, "ord_x:1"));
    await env.DB.prepare("DROP INDEX orders_hold_key_idx").run();
    try {
      expect(tableScans(await d1Plan(query!), ["orders"])).toEqual(["SCAN orders"]);
    } finally {
      await env.DB.prepare("CREATE INDEX orders_hold_key_idx ON orders (hold_key)").run();
    }
    expect(tableScans(await d1Plan(query!), ["orders"])).toEqual([]);
  });

  it("reads dispatch history by technician and time: completed orders of the week, accepts and declines by actor", async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `tch_${i}`);
    const statements = await sqlOf((db) => candidateHistory(db, ids, ["cus_1"], Date.now() - 7 * 86_400_000));
    const earnings = statements.filter((s) => /from "orders"/.test(s));
    const offers = statements.filter((s) => /from "order_events"/.test(s));
    // 120 ids: two parts of each under D1's 100 bound parameters, in the one batch.
    expect([earnings.length, offers.length]).toEqual([2, 2]);
    for (const s of earnings) {
      const plan = await d1Plan(s);
      expect(plan.join(" | ")).toContain(
        "SEARCH orders USING INDEX orders_technician_status_idx (technician_id=? AND status=? AND updated_at>?)",
      );
      expect(tableScans(plan, ["orders"])).toEqual([]);
    }
    for (const s of offers) {
      const plan = await d1Plan(s);
      expect(plan.join(" | ")).toContain("SEARCH order_events USING INDEX order_events_actor_idx (actor_id=? AND at>?)");
      expect(tableScans(plan, ["order_events"])).toEqual([]);
    }
  });
});

describe("the caps on unpaid orders", () => {
  it("count a customer's open orders through orders_customer_status_idx, not their whole history", async () => {
    for (const kind of ["hold", "after_service"] as const) {
      const guard = fewerOpenOrders("acc_x", kind, 3, Date.now());
      const plan = await d1Plan(`SELECT ${guard.sql}`, guard.params);
      expect(plan.join(" | ")).toMatch(/SEARCH (orders|o) USING INDEX orders_customer_status_idx \(customer_id=\? AND status=\?/);
      if (kind === "after_service") expect(plan.join(" | ")).toContain("SEARCH p USING INDEX payments_order_idx (order_id=?)");
      expect(tableScans(plan, ["orders", "payments"])).toEqual([]);
    }
  });
});
