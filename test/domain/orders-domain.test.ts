import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_WEIGHTS, parseWeights, rank } from "../../src/domain/dispatch";
import { canTransition, endsTracking, ORDER_STATUSES, TRANSITIONS } from "../../src/domain/order-state";
import { percentOf, priceLines, total, type PricingInput } from "../../src/domain/pricing";
import { zonedToUtc } from "../../src/domain/zoned";

const SH = "Asia/Shanghai";
const service = (over: Partial<PricingInput["service"]> = {}): PricingInput["service"] => ({
  basePrice: 5000,
  unitPrice: 4000,
  unit: "hour",
  minUnits: 2,
  extras: [{ code: "fridge", name: { zh: "冰箱", en: "Fridge" }, price: 3000, durationMinutes: 30 }],
  rushFee: 2000,
  surcharges: {},
  ...over,
});
const input = (over: Partial<PricingInput> = {}): PricingInput => ({
  service: service(),
  units: 3,
  extras: [],
  rush: false,
  start: zonedToUtc("2026-12-01", 10 * 60, SH),
  timeZone: SH,
  point: { lat: 31.23, lng: 121.47 },
  cityCenter: { lat: 31.23, lng: 121.47 },
  ...over,
});

describe("pricing", () => {
  it("prices base, units, extras and rush", () => {
    const lines = priceLines(input({ extras: ["fridge"], rush: true }));
    expect(lines.map((l) => [l.code, l.amount])).toEqual([
      ["base", 5000],
      ["units", 12000],
      ["extra:fridge", 3000],
      ["rush", 2000],
    ]);
    expect(total(lines)).toBe(22000);
  });

  it("adds night and holiday percentages on the subtotal, in local time, and distance per started km", () => {
    const rules = {
      night: { start: "21:00", end: "07:00", percent: 20 },
      holiday: { dates: ["2026-12-01"], percent: 50 },
      distance: { freeKm: 5, perKm: 300 },
    };
    const night = priceLines(
      input({
        service: service({ surcharges: rules }),
        start: zonedToUtc("2026-12-01", 22 * 60, SH),
        point: { lat: 31.23 + 0.1, lng: 121.47 },
      }),
    );
    const byCode = Object.fromEntries(night.map((l) => [l.code, l.amount]));
    expect(byCode.night).toBe(3400); // 20 % of 17000
    expect(byCode.holiday).toBe(8500);
    expect(byCode.distance).toBe(7 * 300); // 11.1 km from the centre: 6.1 km beyond 5, so 7 started km
    const day = priceLines(input({ service: service({ surcharges: rules }), start: zonedToUtc("2026-12-02", 10 * 60, SH) }));
    expect(day.map((l) => l.code)).toEqual(["base", "units"]);
  });

  it("keeps the total exactly the sum of integer lines (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 1439 }),
        (base, perUnit, units, percent, minute) => {
          const lines = priceLines(
            input({
              service: service({ basePrice: base, unitPrice: perUnit, surcharges: { night: { start: "00:00", end: "23:59", percent } } }),
              units,
              start: zonedToUtc("2026-12-03", minute, SH),
            }),
          );
          return (
            lines.every((l) => Number.isInteger(l.amount) && l.amount >= 0) && total(lines) === lines.reduce((s, l) => s + l.amount, 0)
          );
        },
      ),
    );
  });

  it("rounds percentages half up in integers", () => {
    expect(percentOf(105, 10)).toBe(11);
    expect(percentOf(104, 10)).toBe(10);
    expect(percentOf(0, 50)).toBe(0);
  });
});

describe("order state machine", () => {
  it("allows the visit path only to the technician, in order", () => {
    const path = ["assigned", "accepted", "en_route", "arrived", "in_service", "completed"] as const;
    for (let i = 1; i < path.length; i++) {
      expect(canTransition(path[i - 1]!, path[i]!, "technician")).toBe(true);
      expect(canTransition(path[i - 1]!, path[i]!, "customer")).toBe(false);
    }
    expect(canTransition("assigned", "completed", "technician")).toBe(false);
  });

  it("never leaves a final status except to refund or after-sales, and never moves back to pending_payment", () => {
    for (const from of ORDER_STATUSES) expect(Object.keys(TRANSITIONS[from])).not.toContain("pending_payment");
    expect(Object.keys(TRANSITIONS.refunded)).toEqual([]);
    expect(Object.keys(TRANSITIONS.completed).sort()).toEqual(["after_sales", "refunded"]);
    expect(Object.keys(TRANSITIONS.cancelled)).toEqual(["refunded"]);
    // after-sales ends completed again or refunded, never back into the visit
    expect(Object.keys(TRANSITIONS.after_sales).sort()).toEqual(["completed", "refunded"]);
  });

  it("lets only the system confirm a pending order (a payment), and only staff or the customer open after-sales", () => {
    expect(canTransition("pending_payment", "confirmed", "system")).toBe(true);
    for (const actor of ["customer", "technician", "operator", "merchant"] as const)
      expect(canTransition("pending_payment", "confirmed", actor)).toBe(false);
    expect(canTransition("completed", "after_sales", "customer")).toBe(true);
    expect(canTransition("completed", "after_sales", "technician")).toBe(false);
    expect(canTransition("after_sales", "refunded", "customer")).toBe(false);
    expect(canTransition("after_sales", "refunded", "system")).toBe(true);
    expect(canTransition("cancelled", "refunded", "customer")).toBe(false);
    expect(canTransition("refunded", "completed", "operator")).toBe(false);
  });

  it("ends the customer's tracking when a tracked order leaves acceptance-to-arrival or changes hands", () => {
    expect(endsTracking("accepted", "tch_a", "en_route", "tch_a")).toBe(false);
    expect(endsTracking("en_route", "tch_a", "arrived", "tch_a")).toBe(false);
    expect(endsTracking("arrived", "tch_a", "in_service", "tch_a")).toBe(true);
    expect(endsTracking("en_route", "tch_a", "dispatching", null)).toBe(true);
    expect(endsTracking("en_route", "tch_a", "cancelled", "tch_a")).toBe(true);
    expect(endsTracking("arrived", "tch_a", "assigned", "tch_b")).toBe(true);
    // nobody watched before departure
    expect(endsTracking("accepted", "tch_a", "cancelled", "tch_a")).toBe(false);
    expect(endsTracking("assigned", "tch_a", "accepted", "tch_a")).toBe(false);
    expect(endsTracking("assigned", "tch_a", "dispatching", null)).toBe(false);
    expect(endsTracking("dispatching", null, "accepted", "tch_a")).toBe(false);
  });
});

describe("dispatch scoring", () => {
  const facts = fc.record({
    technicianId: fc.string({ minLength: 1, maxLength: 6 }),
    travelKm: fc.double({ min: 0, max: 50, noNaN: true }),
    ratingX100: fc.integer({ min: 100, max: 500 }),
    jobsThatDay: fc.integer({ min: 0, max: 10 }),
    weekEarnings: fc.integer({ min: 0, max: 1_000_000 }),
    acceptanceRate: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
    favourite: fc.boolean(),
  });

  it("ranks best first with a breakdown that sums to the score (property)", () => {
    fc.assert(
      fc.property(fc.array(facts, { minLength: 1, maxLength: 20 }), (list) => {
        const ranked = rank(list, DEFAULT_WEIGHTS);
        for (let i = 1; i < ranked.length; i++) if (ranked[i]!.score > ranked[i - 1]!.score) return false;
        return ranked.every((c) => Math.abs(Object.values(c.breakdown).reduce((s, v) => s + v, 0) - c.score) < 0.001);
      }),
    );
  });

  it("prefers the nearer of two otherwise equal technicians, and a favourite when weighted", () => {
    const base = { ratingX100: 450, jobsThatDay: 1, weekEarnings: 0, acceptanceRate: null, favourite: false };
    expect(
      rank(
        [
          { ...base, technicianId: "far", travelKm: 12 },
          { ...base, technicianId: "near", travelKm: 2 },
        ],
        DEFAULT_WEIGHTS,
      )[0]!.technicianId,
    ).toBe("near");
    const favWeights = parseWeights('{"favourite":1,"travel":0.01}');
    expect(
      rank(
        [
          { ...base, technicianId: "near", travelKm: 2 },
          { ...base, technicianId: "fav", travelKm: 3, favourite: true },
        ],
        favWeights,
      )[0]!.technicianId,
    ).toBe("fav");
  });

  it("keeps default weights for malformed configuration", () => {
    expect(parseWeights("not json")).toEqual(DEFAULT_WEIGHTS);
    expect(parseWeights('{"travel":5}')).toEqual(DEFAULT_WEIGHTS);
  });
});
