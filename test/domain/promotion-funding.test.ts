import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBalanced, splitTx, type TxDraft } from "../../src/domain/ledger";
import { splitShares } from "../../src/domain/money";

const order = { id: "ord_1", merchantId: "mer_1", serviceId: "svc_1", technicianId: "tch_1", currency: "CNY" };

const net = (tx: TxDraft, code: string) => tx.entries.filter((e) => e.account.code === code).reduce((s, e) => s + e.amount, 0) + 0;

describe("who funds a promotion's discount, in the split", () => {
  it("balances, and a merchant-funded discount moves exactly its amount from the merchant to the platform against a platform-funded one (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (price, percentOff, take, share) => {
          const discount = Math.floor((price * percentOff) / 100);
          const funds = price - discount;
          const shares = splitShares(price, take, share, { merchant: true, technician: true });
          const base = { ref: "ord_1", funds, shares, technicianAvailableAt: 0, memo: "" };
          const byPlatform = splitTx(order, { ...base, coupon: discount });
          const byMerchant = splitTx(order, { ...base, coupon: 0, merchantFunded: discount });
          expect(isBalanced(byPlatform.entries)).toBe(true);
          expect(isBalanced(byMerchant.entries)).toBe(true);
          // the platform pays nothing of a merchant-funded discount
          expect(net(byMerchant, "coupon_expense")).toBe(0);
          expect(net(byPlatform, "coupon_expense")).toBe(discount);
          // the merchant's net credit is its share less the discount; the others' are untouched
          expect(0 - net(byMerchant, "merchant_payable:mer_1")).toBe(shares.merchant - discount);
          expect(0 - net(byPlatform, "merchant_payable:mer_1")).toBe(shares.merchant);
          expect(net(byMerchant, "technician_payable:tch_1")).toBe(net(byPlatform, "technician_payable:tch_1"));
          expect(net(byMerchant, "platform_revenue")).toBe(net(byPlatform, "platform_revenue"));
          // the discount is an entry of its own (statements show it)
          expect(
            byMerchant.entries.filter((e) => e.account.code === "merchant_payable:mer_1" && e.amount > 0).map((e) => e.amount),
          ).toEqual(discount > 0 ? [discount] : []);
        },
      ),
    );
  });

  it("refuses shares that do not add up to the undiscounted price, and a merchant-funded discount without a merchant", () => {
    const shares = { platform: 20, merchant: 30, technician: 50 };
    expect(() => splitTx(order, { ref: "x", funds: 90, coupon: 0, shares, technicianAvailableAt: 0, memo: "" })).toThrow();
    expect(() =>
      splitTx(order, { ref: "x", funds: 90, coupon: 0, merchantFunded: 10, shares, technicianAvailableAt: 0, memo: "" }),
    ).not.toThrow();
    expect(() =>
      splitTx(
        { ...order, merchantId: null },
        { ref: "x", funds: 90, coupon: 0, merchantFunded: 10, shares, technicianAvailableAt: 0, memo: "" },
      ),
    ).toThrow("only a merchant funds a discount");
  });
});
