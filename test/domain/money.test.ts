import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  account,
  isBalanced,
  paymentTx,
  refundRequestTx,
  refundReversalTx,
  refundTx,
  splitTx,
  withdrawalTx,
  type TxDraft,
} from "../../src/domain/ledger";
import { allocate, fenToYuan, splitShares, yuanToFen } from "../../src/domain/money";

describe("amounts in yuan strings", () => {
  it("converts 分 to Alipay's two-decimal yuan and back exactly (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 12 }), (fen) => yuanToFen(fenToYuan(fen)) === fen));
    expect(fenToYuan(12800)).toBe("128.00");
    expect(fenToYuan(5)).toBe("0.05");
    expect(yuanToFen("0.1")).toBe(10);
  });

  it("refuses anything but a plain amount", () => {
    for (const bad of ["", "1.234", "01.00", "1e3", "-1.00", " 1.00", "1.", ".5", "1,00", "0x10", "128.00 "])
      expect(yuanToFen(bad), bad).toBeNull();
  });
});

describe("splitting money", () => {
  it("allocates integers that add up exactly and stay within a 分 of the proportional share (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 6 }),
        (amount, weights) => {
          const parts = allocate(amount, weights);
          const sum = weights.reduce((s, w) => s + w, 0);
          if (parts.reduce((s, p) => s + p, 0) !== amount || !parts.every(Number.isInteger)) return false;
          return sum === 0 || parts.every((p, i) => Math.abs(p - (amount * weights[i]!) / sum) < 1);
        },
      ),
    );
  });

  it("splits a gross into platform, merchant and technician shares that never lose or create a 分 (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        fc.boolean(),
        (gross, take, share, merchant, technician) => {
          const s = splitShares(gross, take, share, { merchant, technician });
          return (
            s.platform + s.merchant + s.technician === gross &&
            [s.platform, s.merchant, s.technician].every((v) => Number.isInteger(v) && v >= 0)
          );
        },
      ),
    );
    expect(splitShares(12000, 2000, 7000, { merchant: true, technician: true })).toEqual({
      platform: 2400,
      merchant: 2880,
      technician: 6720,
    });
    expect(splitShares(3333, 2000, 7000, { merchant: true, technician: true })).toEqual({ platform: 666, merchant: 801, technician: 1866 });
  });
});

describe("ledger transactions", () => {
  const order = { id: "ord_1", merchantId: "mer_1", serviceId: "svc_1", technicianId: "tch_1", currency: "CNY" };

  it("every transaction the money flows make balances, whatever the amounts (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100 }),
        (total, take, share, percent) => {
          const coupon = Math.floor(total / 10);
          const shares = splitShares(total + coupon, take, share, { merchant: true, technician: true });
          const refund = Math.floor((total * percent) / 100) || 1;
          const txs: TxDraft[] = [
            paymentTx(order, { id: "pay_1", provider: "wechatpay", amount: total }),
            splitTx(order, { ref: "ord_1", funds: total, coupon, shares, technicianAvailableAt: 0, memo: "" }),
            refundRequestTx(order, { id: "rfd_1", provider: "wechatpay", amount: refund }, shares),
            refundRequestTx(order, { id: "rfd_2", provider: "wechatpay", amount: refund }, null),
            refundTx(order, { id: "rfd_1", provider: "wechatpay", amount: refund }),
            withdrawalTx({
              id: "wdr_1",
              technicianId: "tch_1",
              merchantId: "mer_1",
              amount: total,
              currency: "CNY",
              provider: "wechatpay",
            }),
          ];
          txs.push(refundReversalTx(txs[3]!));
          return txs.every((t) => isBalanced(t.entries) && t.entries.length >= 2);
        },
      ),
    );
  });

  it("names accounts by kind and owner and refuses an unbalanced transaction", () => {
    expect(account("technician_payable", "tch_1")).toEqual({
      code: "technician_payable:tch_1",
      kind: "technician_payable",
      type: "liability",
      ownerId: "tch_1",
    });
    expect(() =>
      splitTx(order, {
        ref: "x",
        funds: 100,
        coupon: 0,
        shares: { platform: 10, merchant: 10, technician: 10 },
        technicianAvailableAt: 0,
        memo: "",
      }),
    ).toThrow();
  });
});
