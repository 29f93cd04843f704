import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { couponRefusal, discountOf, normaliseCode, type CouponTerms } from "../../src/domain/coupons";

const terms = (over: Partial<CouponTerms> = {}): CouponTerms => ({
  kind: "fixed",
  value: 2000,
  maxDiscount: null,
  minTotal: 0,
  merchantId: null,
  serviceIds: [],
  startsAt: 0,
  endsAt: 1000,
  active: true,
  ...over,
});
const job = { serviceId: "svc_a", merchantId: "mer_a", subtotal: 10_000 };

describe("coupon discounts", () => {
  it("never takes off more than the subtotal, never a negative amount, and a percentage rounded down and capped", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"fixed" | "percent">("fixed", "percent"),
        fc.integer({ min: 1, max: 100_000 }),
        fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
        fc.integer({ min: -100, max: 1_000_000 }),
        (kind, raw, cap, subtotal) => {
          const value = kind === "percent" ? (raw % 100) + 1 : raw;
          const d = discountOf({ kind, value, maxDiscount: kind === "percent" ? cap : null }, subtotal);
          expect(Number.isInteger(d)).toBe(true);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(Math.max(0, subtotal));
          if (kind === "percent" && subtotal > 0) {
            expect(d).toBeLessThanOrEqual((subtotal * value) / 100);
            if (cap !== null) expect(d).toBeLessThanOrEqual(cap);
          }
        },
      ),
    );
    expect(discountOf({ kind: "percent", value: 15, maxDiscount: null }, 9999)).toBe(1499);
    expect(discountOf({ kind: "fixed", value: 5000, maxDiscount: null }, 3000)).toBe(3000);
  });

  it("applies only while active, in its window, in scope and above its minimum", () => {
    expect(couponRefusal(terms(), job, 500)).toBeNull();
    expect(couponRefusal(terms({ active: false }), job, 500)).toBe("inactive");
    expect(couponRefusal(terms({ startsAt: 600 }), job, 500)).toBe("not_started");
    expect(couponRefusal(terms(), job, 1000)).toBe("expired");
    expect(couponRefusal(terms({ merchantId: "mer_b" }), job, 500)).toBe("other_merchant");
    expect(couponRefusal(terms({ serviceIds: ["svc_b"] }), job, 500)).toBe("other_service");
    expect(couponRefusal(terms({ serviceIds: ["svc_a"], merchantId: "mer_a" }), job, 500)).toBeNull();
    expect(couponRefusal(terms({ minTotal: 10_001 }), job, 500)).toBe("below_minimum");
    expect(normaliseCode("  welcome-10 ")).toBe("WELCOME-10");
  });
});
