import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { localWhen, noticesFor, retryDelaySeconds, yuan, type Notice } from "../../src/domain/notifications";
import { ORDER_STATUSES } from "../../src/domain/order-state";

const status = (from: string | null, to: string, extra: Record<string, unknown> = {}) =>
  noticesFor({
    id: "msg_1",
    topic: "order.status",
    payload: { orderId: "ord_1", customerId: "acc_c", technicianId: "tch_1", from, to, reason: "because", ...extra },
  });
const kinds = (ns: Notice[]) => ns.map((n) => `${n.audience}:${n.kind}`);

describe("notices for order status changes", () => {
  it("tells the technician of an offer on every channel, and the customer of each milestone", () => {
    expect(kinds(status("confirmed", "assigned"))).toEqual(["technician:task.offered"]);
    expect(status("confirmed", "assigned")[0]!.channels).toEqual(["inapp", "push", "sms"]);
    expect(kinds(status(null, "confirmed"))).toEqual(["customer:order.confirmed"]);
    expect(kinds(status("assigned", "accepted"))).toEqual(["customer:order.accepted"]);
    expect(kinds(status("accepted", "en_route"))).toEqual(["customer:order.en_route"]);
    expect(kinds(status("in_service", "completed"))).toEqual(["customer:order.completed", "customer:survey.invite"]);
    expect(status("in_service", "completed")[1]!.data).toMatchObject({ orderId: "ord_1", link: "/v1/orders/ord_1/survey" });
  });

  it("tells both sides when a job is taken off its technician, and the technician only if one had it", () => {
    expect(kinds(status("assigned", "dispatching"))).toEqual(["customer:order.redispatching", "technician:task.reassigned"]);
    expect(kinds(status("assigned", "dispatching", { technicianId: null }))).toEqual(["customer:order.redispatching"]);
    // the re-offer to the next technician goes to them
    expect(kinds(status("dispatching", "assigned"))).toEqual(["technician:task.offered"]);
  });

  it("tells the customer when operators take over, not when a grab job merely opens", () => {
    expect(kinds(status("dispatching", "dispatching", { exception: "no_candidate" }))).toEqual(["customer:order.needs_attention"]);
    expect(kinds(status("dispatching", "dispatching", { exception: "max_rounds" }))).toEqual(["customer:order.needs_attention"]);
    expect(kinds(status("confirmed", "dispatching"))).toEqual([]);
    expect(kinds(status("confirmed", "dispatching", { exception: "manual_dispatch" }))).toEqual([]);
  });

  it("tells the customer of a cancellation with its reason, and a technician who had the job", () => {
    const ns = status("accepted", "cancelled");
    expect(kinds(ns)).toEqual(["customer:order.cancelled", "technician:task.cancelled"]);
    expect(ns[0]!.body.zh).toContain("because");
    expect(kinds(status("pending_payment", "cancelled"))).toEqual(["customer:order.cancelled"]);
  });

  it("every notice for any transition has both languages, known channels and the order id", () => {
    const statuses = [...ORDER_STATUSES];
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(...statuses), { nil: null }),
        fc.constantFrom(...statuses),
        fc.option(fc.constantFrom("no_candidate", "max_rounds", "manual_dispatch"), { nil: undefined }),
        fc.boolean(),
        (from, to, exception, hasTech) => {
          for (const n of status(from, to, { exception, technicianId: hasTech ? "tch_1" : null })) {
            expect(n.title.zh && n.title.en && n.body.zh && n.body.en).toBeTruthy();
            expect(n.channels.length).toBeGreaterThan(0);
            expect(n.channels.every((c) => ["inapp", "push", "sms"].includes(c))).toBe(true);
            expect(n.data.orderId).toBe("ord_1");
            if (n.audience === "technician") expect(hasTech).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("other topics", () => {
  it("writes the new time in the city's zone for a reschedule", () => {
    const start = Date.UTC(2026, 11, 3, 6, 30); // 14:30 in Shanghai
    const ns = noticesFor(
      { id: "m", topic: "order.rescheduled", payload: { orderId: "ord_1", customerId: "c", technicianId: "t", start } },
      "Asia/Shanghai",
    );
    expect(kinds(ns)).toEqual(["customer:order.rescheduled", "technician:task.rescheduled"]);
    expect(ns[0]!.body.zh).toContain("14:30");
    expect(localWhen(start, "America/New_York").en).toContain("01:30");
  });

  it("tells the technician an order was taken from by dispatch, with the time in the city's zone", () => {
    const start = Date.UTC(2026, 11, 3, 6, 30); // 14:30 in Shanghai
    const ns = noticesFor(
      { id: "m", topic: "order.reassigned", payload: { orderId: "ord_1", customerId: "c", technicianId: "t", start } },
      "Asia/Shanghai",
    );
    expect(kinds(ns)).toEqual(["technician:task.reassigned"]);
    expect(ns[0]!.body.zh).toContain("14:30");
    expect(ns[0]!.body.en).toContain("14:30");
    expect(noticesFor({ id: "m", topic: "order.reassigned", payload: { orderId: "ord_1", customerId: "c", start } })).toEqual([]);
  });

  it("asks the customer to decide a change, and tells the technician the answer", () => {
    const change = (st: string) =>
      kinds(noticesFor({ id: "m", topic: "order.change", payload: { orderId: "o", kind: "extra_charge", status: st } }));
    expect(change("pending")).toEqual(["customer:change.requested"]);
    expect(change("approved")).toEqual(["technician:change.approved"]);
    expect(change("rejected")).toEqual(["technician:change.rejected"]);
    expect(change("withdrawn")).toEqual(["customer:change.withdrawn"]);
  });

  it("reminds both sides, by SMS too an hour before", () => {
    const ns = noticesFor({ id: "m", topic: "order.reminder", payload: { orderId: "o", technicianId: "t", start: 0, lead: "1h" } });
    expect(kinds(ns)).toEqual(["customer:reminder.1h", "technician:reminder.1h"]);
    expect(ns[0]!.channels).toContain("sms");
  });

  it("gives nothing for unknown topics or payloads missing what the text needs", () => {
    expect(noticesFor({ id: "m", topic: "ledger.posted", payload: {} })).toEqual([]);
    expect(noticesFor({ id: "m", topic: "order.status", payload: { to: "accepted" } })).toEqual([]);
    expect(noticesFor({ id: "m", topic: "order.reminder", payload: { orderId: "o", start: 0, lead: "2h" } })).toEqual([]);
  });
});

describe("money notices", () => {
  const money = (topic: string, payload: Record<string, unknown>) => noticesFor({ id: "m", topic, payload });
  it("tells the customer of payments and refunds with the amount in yuan, and the technician of payouts", () => {
    const paid = money("payment.succeeded", { orderId: "o", customerId: "c", amount: 12800, currency: "CNY" });
    expect(kinds(paid)).toEqual(["customer:payment.succeeded"]);
    expect(paid[0]!.body.zh).toContain("¥128.00");
    expect(kinds(money("payment.refunded_late", { orderId: "o", amount: 5 }))).toEqual(["customer:payment.refunded_late"]);
    expect(money("payment.refunded_late", { orderId: "o", amount: 5 })[0]!.channels).toContain("sms");
    expect(kinds(money("refund.succeeded", { orderId: "o", amount: 100 }))).toEqual(["customer:refund.succeeded"]);
    expect(kinds(money("refund.failed", { orderId: "o", amount: 100 }))).toEqual(["customer:refund.delayed"]);
    expect(kinds(money("withdrawal.paid", { withdrawalId: "w", technicianId: "t", amount: 100000 }))).toEqual([
      "technician:withdrawal.paid",
    ]);
    expect(kinds(money("withdrawal.failed", { withdrawalId: "w", technicianId: "t", amount: 1 }))).toEqual([
      "technician:withdrawal.failed",
    ]);
    // without an amount (or an order, where one is needed) nothing is said
    expect(money("refund.succeeded", { orderId: "o" })).toEqual([]);
    expect(money("payment.succeeded", { amount: 100 })).toEqual([]);
  });

  it("tells the customer of a reschedule's new price in both languages: the refund or the difference to pay", () => {
    const base = { orderId: "o", customerId: "c", currency: "CNY", previousTotal: 12000 };
    const dearer = money("order.repriced", { ...base, amount: 18000, refund: 0, due: 6000 });
    expect(kinds(dearer)).toEqual(["customer:order.repriced"]);
    expect(dearer[0]!.body.zh).toBe("改约后订单金额由 ¥120.00 变为 ¥180.00。请在订单中补付差价 ¥60.00。");
    expect(dearer[0]!.body.en).toBe(
      "After the reschedule the order costs ¥180.00 instead of ¥120.00. Please pay the difference of ¥60.00 in your order.",
    );
    const cheaper = money("order.repriced", { ...base, previousTotal: 18000, amount: 12000, refund: 6000, due: 0 });
    expect(cheaper[0]!.body.zh).toContain("多付的 ¥60.00 将原路退回");
    expect(cheaper[0]!.body.en).toContain("The ¥60.00 paid above it goes back to you.");
    expect(cheaper[0]!.title).toEqual({ zh: "订单价格已调整", en: "Order price changed" });
    const unpaid = money("order.repriced", { ...base, amount: 18000, refund: 0, due: 0 });
    expect(unpaid[0]!.body.en).toBe("After the reschedule the order costs ¥180.00 instead of ¥120.00.");
    expect(money("order.repriced", { ...base, amount: 18000 })).toEqual([]);
  });

  it("writes integer 分 as yuan exactly", () => {
    expect([0, 1, 99, 100, 12_800, 1_000_001, -250].map(yuan)).toEqual([
      "¥0.00",
      "¥0.01",
      "¥0.99",
      "¥1.00",
      "¥128.00",
      "¥10000.01",
      "-¥2.50",
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (fen) => {
        const [whole, cents] = yuan(fen).slice(1).split(".");
        expect(Number(whole) * 100 + Number(cents)).toBe(fen);
      }),
    );
  });
});

describe("retry backoff", () => {
  it("starts at 10 s, doubles, and never waits more than 10 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelaySeconds)).toEqual([10, 20, 40, 80, 160, 320, 600, 600]);
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1000 }), (n) => {
        const d = retryDelaySeconds(n);
        expect(d).toBeGreaterThanOrEqual(10);
        expect(d).toBeLessThanOrEqual(600);
        expect(retryDelaySeconds(n + 1)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
