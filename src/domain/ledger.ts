/**
 * The double-entry ledger's rules: accounts, and the one balanced transaction each movement of
 * money makes. Entries are debit positive, credit negative; every transaction sums to zero.
 *
 *   payment         Dr provider_clearing:<provider>      Cr customer_funds
 *   split           Dr customer_funds (+ coupon_expense)  Cr platform_revenue, merchant_payable:<m>, technician_payable:<t>
 *                   (+ Dr merchant_payable:<m> for a merchant-funded discount: the shares are of the undiscounted
 *                   price and the merchant bears its promotion, so its net credit is its share less the discount)
 *   refund_request  Dr customer_funds (or the split's shares, after the split)   Cr refunds_payable
 *   refund          Dr refunds_payable                   Cr provider_clearing:<provider>
 *   refund_reversal the refund_request mirrored (the provider refused the refund)
 *   payout_request  Dr technician_payable:<t>            Cr payouts_payable   (the provider accepted a payout it has not finished)
 *   payout_reversal the payout_request mirrored (the provider failed the payout: the money is the technician's again)
 *   withdrawal      Dr technician_payable:<t> (paid at once) or payouts_payable (after a payout_request)
 *                                                        Cr provider_clearing:<payout provider>
 *   cash_collection Dr technician_payable:<t>            Cr customer_funds   (cash the technician took: they hold the
 *                                                        platform's money, so it comes off their balance at once)
 *   waiver          Dr waiver_expense                    Cr platform_revenue, merchant_payable:<m>, technician_payable:<t>
 *                                                        (staff waived what a served order still owed: the platform
 *                                                        bears it, the merchant and the technician get their shares)
 *   penalty         Dr technician_payable:<t>            Cr platform_revenue   (an upheld after-sales ticket: a deduction
 *                                                        from what the platform owes the technician)
 *   credit_reward   Dr reward_expense                    Cr technician_payable:<t>   (a bonus staff decided)
 *   credit_penalty  Dr technician_payable:<t>            Cr penalty_revenue          (a deduction staff decided; the
 *                                                        balance may go below zero: it is offset against later earnings)
 *   credit_reversal the reward or penalty mirrored (an appeal against it was granted)
 *   package_sale    Dr provider_clearing:<provider>      Cr deferred_revenue:<package>, package_revenue (the rounding
 *                                                        remainder of a visits package, earned at once)
 *   package_draw    Dr deferred_revenue:<package>        Cr customer_funds    (a visit or credit an order drew: the
 *                                                        order's money, split at completion like a payment's)
 *   package_return  the package_draw mirrored (the order was cancelled; written in SQL by packages.repo)
 *   package_refund  Dr deferred_revenue:<package> (all of what is left)   Cr provider_clearing:<provider> (the refund,
 *                                                        paid at the counter), package_revenue (what the refund policy keeps);
 *                                                        a package paid through a provider sets its refund aside with a
 *                                                        refund_request (Dr deferred_revenue:<package> Cr refunds_payable)
 *                                                        and pays it out with a refund, as an order's refund
 *   package_breakage Dr deferred_revenue:<package>       Cr package_revenue   (what an expired package left unused, earned)
 */
import { allocate, type LedgerAccountKind, type LedgerTxKind, type Shares } from "./money";

export type AccountType = "asset" | "liability" | "revenue" | "expense";

const TYPES: Record<LedgerAccountKind, AccountType> = {
  provider_clearing: "asset",
  customer_funds: "liability",
  refunds_payable: "liability",
  platform_revenue: "revenue",
  merchant_payable: "liability",
  technician_payable: "liability",
  coupon_expense: "expense",
  payouts_payable: "liability",
  waiver_expense: "expense",
  reward_expense: "expense",
  penalty_revenue: "revenue",
  deferred_revenue: "liability",
  package_revenue: "revenue",
};

export interface Account {
  code: string;
  kind: LedgerAccountKind;
  type: AccountType;
  ownerId: string | null;
}

export function account(kind: LedgerAccountKind, ownerId: string | null = null): Account {
  return { code: ownerId ? `${kind}:${ownerId}` : kind, kind, type: TYPES[kind], ownerId };
}

/** The balance as its owner reads it: assets and expenses by debits, the others by credits. */
export function naturalBalance(type: AccountType, sumOfEntries: number): number {
  return type === "asset" || type === "expense" ? sumOfEntries : -sumOfEntries;
}

export interface EntryDraft {
  account: Account;
  amount: number;
  /** When it may be withdrawn; defaults to the transaction's time. */
  availableAt?: number;
}

export interface TxDraft {
  kind: LedgerTxKind;
  ref: string;
  orderId: string | null;
  merchantId: string | null;
  serviceId: string | null;
  technicianId: string | null;
  provider: string | null;
  currency: string;
  memo: string;
  entries: EntryDraft[];
}

/** The fields that describe a transaction, without its entries (as stored, and as drafted). */
export function txHeader(t: Omit<TxDraft, "entries">): Omit<TxDraft, "entries"> {
  return {
    kind: t.kind,
    ref: t.ref,
    orderId: t.orderId,
    merchantId: t.merchantId,
    serviceId: t.serviceId,
    technicianId: t.technicianId,
    provider: t.provider,
    currency: t.currency,
    memo: t.memo,
  };
}

export function isBalanced(entries: readonly { amount: number }[]): boolean {
  return entries.every((e) => Number.isSafeInteger(e.amount)) && entries.reduce((s, e) => s + e.amount, 0) === 0;
}

/** A transaction with its zero entries dropped; throws on an unbalanced one (a programming fault). */
export function finish(tx: TxDraft): TxDraft {
  const entries = tx.entries.filter((e) => e.amount !== 0);
  if (!isBalanced(entries)) throw new Error(`unbalanced ledger transaction ${tx.kind} ${tx.ref}`);
  return { ...tx, entries };
}

export interface OrderFacts {
  /** The order; null when the money is a package's (paid and refunded through a provider like an order's). */
  id: string | null;
  merchantId: string | null;
  serviceId: string;
  technicianId: string | null;
  currency: string;
}

const base = (o: OrderFacts) => ({
  orderId: o.id,
  merchantId: o.merchantId,
  serviceId: o.serviceId,
  technicianId: o.technicianId,
  currency: o.currency,
});

export function paymentTx(o: OrderFacts, p: { id: string; provider: string; amount: number }): TxDraft {
  return finish({
    ...base(o),
    kind: "payment",
    ref: p.id,
    provider: p.provider,
    memo: `payment ${p.id}`,
    entries: [
      { account: account("provider_clearing", p.provider), amount: p.amount },
      { account: account("customer_funds"), amount: -p.amount },
    ],
  });
}

/**
 * Recognises `funds` of customer money (plus `coupon` the platform pays, plus `merchantFunded` the
 * merchant pays) as earned: the platform's commission, the merchant's and the technician's shares of
 * the gross. A merchant-funded discount is a debit of the merchant's payable in the same
 * transaction (its own entry, so statements show it). The technician's share may be withdrawn from
 * `technicianAvailableAt`.
 */
export function splitTx(
  o: OrderFacts,
  a: { ref: string; funds: number; coupon: number; merchantFunded?: number; shares: Shares; technicianAvailableAt: number; memo: string },
): TxDraft {
  const merchantFunded = a.merchantFunded ?? 0;
  if (a.shares.platform + a.shares.merchant + a.shares.technician !== a.funds + a.coupon + merchantFunded)
    throw new Error("shares do not add up to the gross");
  if (merchantFunded < 0 || (merchantFunded > 0 && !o.merchantId)) throw new Error("only a merchant funds a discount");
  return finish({
    ...base(o),
    kind: "split",
    ref: a.ref,
    provider: null,
    memo: a.memo,
    entries: [
      { account: account("customer_funds"), amount: a.funds },
      { account: account("coupon_expense"), amount: a.coupon },
      { account: account("platform_revenue"), amount: -a.shares.platform },
      ...(o.merchantId ? [{ account: account("merchant_payable", o.merchantId), amount: -a.shares.merchant }] : []),
      ...(merchantFunded > 0 ? [{ account: account("merchant_payable", o.merchantId), amount: merchantFunded }] : []),
      ...(o.technicianId
        ? [{ account: account("technician_payable", o.technicianId), amount: -a.shares.technician, availableAt: a.technicianAvailableAt }]
        : []),
    ],
  });
}

/**
 * What staff waived of a served order's balance, written off as the platform's expense: the shares
 * of it are earned as a split's would be (the merchant and the technician are not the poorer for
 * the waiver). Never counted as customer money: refunds only ever come out of splits.
 */
export function waiverTx(
  o: OrderFacts,
  a: { ref: string; amount: number; shares: Shares; technicianAvailableAt: number; memo: string },
): TxDraft {
  if (a.shares.platform + a.shares.merchant + a.shares.technician !== a.amount)
    throw new Error("shares do not add up to the waived amount");
  return finish({
    ...base(o),
    kind: "waiver",
    ref: a.ref,
    provider: null,
    memo: a.memo,
    entries: [
      { account: account("waiver_expense"), amount: a.amount },
      { account: account("platform_revenue"), amount: -a.shares.platform },
      ...(o.merchantId ? [{ account: account("merchant_payable", o.merchantId), amount: -a.shares.merchant }] : []),
      ...(o.technicianId
        ? [{ account: account("technician_payable", o.technicianId), amount: -a.shares.technician, availableAt: a.technicianAvailableAt }]
        : []),
    ],
  });
}

/**
 * Cash a technician collected from the customer: it counts as the customer's money for the order
 * (split like a payment) and the technician holds it, so it comes off what the platform owes them.
 */
export function cashCollectionTx(o: OrderFacts & { technicianId: string }, c: { id: string; amount: number }): TxDraft {
  return finish({
    ...base(o),
    kind: "cash_collection",
    ref: c.id,
    provider: null,
    memo: `cash ${c.id} collected by the technician`,
    entries: [
      { account: account("technician_payable", o.technicianId), amount: c.amount },
      { account: account("customer_funds"), amount: -c.amount },
    ],
  });
}

/**
 * Sets a refund aside as owed to the customer: from the customer's funds before the split, or taken
 * back from the split's shares in proportion after it (`splitShares` = what the split credited).
 */
export function refundRequestTx(o: OrderFacts, r: { id: string; provider: string; amount: number }, splitShares: Shares | null): TxDraft {
  const debits: EntryDraft[] = [];
  if (!splitShares) debits.push({ account: account("customer_funds"), amount: r.amount });
  else {
    const [platform, merchant, technician] = allocate(r.amount, [splitShares.platform, splitShares.merchant, splitShares.technician]);
    debits.push({ account: account("platform_revenue"), amount: platform! });
    if (o.merchantId) debits.push({ account: account("merchant_payable", o.merchantId), amount: merchant! });
    else debits[0]!.amount += merchant!;
    if (o.technicianId) debits.push({ account: account("technician_payable", o.technicianId), amount: technician! });
    else debits[0]!.amount += technician!;
  }
  return finish({
    ...base(o),
    kind: "refund_request",
    ref: r.id,
    provider: r.provider,
    memo: `refund ${r.id} set aside`,
    entries: [...debits, { account: account("refunds_payable"), amount: -r.amount }],
  });
}

export function refundTx(o: OrderFacts, r: { id: string; provider: string; amount: number }): TxDraft {
  return finish({
    ...base(o),
    kind: "refund",
    ref: r.id,
    provider: r.provider,
    memo: `refund ${r.id} paid out`,
    entries: [
      { account: account("refunds_payable"), amount: r.amount },
      { account: account("provider_clearing", r.provider), amount: -r.amount },
    ],
  });
}

/** The refund_request mirrored: the provider refused the refund, the money is back where it was. */
export function refundReversalTx(request: TxDraft): TxDraft {
  return finish({
    ...request,
    kind: "refund_reversal",
    memo: `refund ${request.ref} failed`,
    entries: request.entries.map((e) => ({ account: e.account, amount: -e.amount })),
  });
}

interface WithdrawalFacts {
  id: string;
  technicianId: string;
  merchantId: string | null;
  amount: number;
  currency: string;
  provider: string;
}

const withdrawalHeader = (w: WithdrawalFacts) => ({
  ref: w.id,
  orderId: null,
  merchantId: w.merchantId,
  serviceId: null,
  technicianId: w.technicianId,
  provider: w.provider,
  currency: w.currency,
});

/**
 * The money of a payout the provider accepted but has not finished: no longer the technician's to
 * withdraw, not yet gone from the provider account.
 */
export function payoutRequestTx(w: WithdrawalFacts): TxDraft {
  return finish({
    ...withdrawalHeader(w),
    kind: "payout_request",
    memo: `withdrawal ${w.id} sent to ${w.provider}`,
    entries: [
      { account: account("technician_payable", w.technicianId), amount: w.amount },
      { account: account("payouts_payable"), amount: -w.amount },
    ],
  });
}

/** The payout_request mirrored: the provider failed the payout, the money is the technician's again. */
export function payoutReversalTx(w: WithdrawalFacts): TxDraft {
  const request = payoutRequestTx(w);
  return finish({
    ...request,
    kind: "payout_reversal",
    memo: `withdrawal ${w.id} failed at ${w.provider}`,
    entries: request.entries.map((e) => ({ account: e.account, amount: -e.amount })),
  });
}

/**
 * The money left through the provider: from the technician's balance when the payout was done at
 * once, from payouts_payable when a payout_request set it aside first (`inTransit`).
 */
export function withdrawalTx(w: WithdrawalFacts, inTransit = false): TxDraft {
  return finish({
    ...withdrawalHeader(w),
    kind: "withdrawal",
    memo: `withdrawal ${w.id}`,
    entries: [
      { account: inTransit ? account("payouts_payable") : account("technician_payable", w.technicianId), amount: w.amount },
      { account: account("provider_clearing", w.provider), amount: -w.amount },
    ],
  });
}

/**
 * A penalty a decided after-sales ticket (src/tickets) deducts from the technician's earnings: it
 * comes off what the platform owes them and is the platform's revenue. `ref` is the ticket.
 */
export function penaltyTx(o: OrderFacts & { technicianId: string }, p: { ref: string; amount: number; memo: string }): TxDraft {
  if (!Number.isSafeInteger(p.amount) || p.amount <= 0) throw new Error("a penalty is a positive amount");
  return finish({
    ...base(o),
    kind: "penalty",
    ref: p.ref,
    provider: null,
    memo: p.memo,
    entries: [
      { account: account("technician_payable", o.technicianId), amount: p.amount },
      { account: account("platform_revenue"), amount: -p.amount },
    ],
  });
}

/** A reward (bonus) or penalty (deduction) staff decided for a technician, or its reversal after a granted appeal. */
export function creditDecisionTx(
  d: { id: string; technicianId: string; kind: "reward" | "penalty"; amount: number; currency: string },
  reversal = false,
): TxDraft {
  const toTechnician = d.kind === "reward" ? -d.amount : d.amount;
  const other = d.kind === "reward" ? account("reward_expense") : account("penalty_revenue");
  const sign = reversal ? -1 : 1;
  return finish({
    ref: d.id,
    orderId: null,
    merchantId: null,
    serviceId: null,
    technicianId: d.technicianId,
    provider: null,
    currency: d.currency,
    kind: reversal ? "credit_reversal" : d.kind === "reward" ? "credit_reward" : "credit_penalty",
    memo: `${reversal ? "reversal of " : ""}${d.kind} ${d.id}`,
    entries: [
      { account: account("technician_payable", d.technicianId), amount: sign * toTechnician },
      { account: other, amount: -sign * toTechnician },
    ],
  });
}

/** The facts of a customer's package the ledger names (src/domain/packages.ts holds its rules). */
export interface PackageFacts {
  id: string;
  merchantId: string | null;
  serviceId: string;
  currency: string;
}

const packageHeader = (p: PackageFacts, orderId: string | null = null) => ({
  orderId,
  merchantId: p.merchantId,
  serviceId: p.serviceId,
  technicianId: null,
  currency: p.currency,
});

/** A package paid: the money is owed to the customer as visits (deferred), except a rounding remainder earned at once. */
export function packageSaleTx(p: PackageFacts, s: { ref: string; provider: string; price: number; deferred: number }): TxDraft {
  return finish({
    ...packageHeader(p),
    kind: "package_sale",
    ref: s.ref,
    provider: s.provider,
    memo: `package ${p.id} paid`,
    entries: [
      { account: account("provider_clearing", s.provider), amount: s.price },
      { account: account("deferred_revenue", p.id), amount: -s.deferred },
      { account: account("package_revenue"), amount: -(s.price - s.deferred) },
    ],
  });
}

/**
 * An order drew a visit (or credit) of the package: that share of the deferred money becomes the
 * order's customer money, split at completion by the commission rules like a payment's.
 */
export function packageDrawTx(p: PackageFacts, orderId: string, amount: number): TxDraft {
  return finish({
    ...packageHeader(p, orderId),
    kind: "package_draw",
    ref: orderId,
    provider: null,
    memo: `order ${orderId} drew from package ${p.id}`,
    entries: [
      { account: account("deferred_revenue", p.id), amount },
      { account: account("customer_funds"), amount: -amount },
    ],
  });
}

/** The package as the subject of a provider payment or refund: no order, its merchant and service. */
export const packageSubject = (p: PackageFacts): OrderFacts => ({
  id: null,
  merchantId: p.merchantId,
  serviceId: p.serviceId,
  technicianId: null,
  currency: p.currency,
});

/** A provider-paid package's refund set aside as owed to the customer (paid out by a refund tx). */
export function packageRefundRequestTx(p: PackageFacts, r: { id: string; provider: string; amount: number }): TxDraft {
  return finish({
    ...packageHeader(p),
    kind: "refund_request",
    ref: r.id,
    provider: r.provider,
    memo: `package ${p.id} refund ${r.id} set aside`,
    entries: [
      { account: account("deferred_revenue", p.id), amount: r.amount },
      { account: account("refunds_payable"), amount: -r.amount },
    ],
  });
}

/** What an expired package left unused (`ref`: the package and the state it expired in), earned once. */
export function packageBreakageTx(p: PackageFacts, b: { ref: string; amount: number }): TxDraft {
  return finish({
    ...packageHeader(p),
    kind: "package_breakage",
    ref: b.ref,
    provider: null,
    memo: `package ${p.id} expired unused`,
    entries: [
      { account: account("deferred_revenue", p.id), amount: b.amount },
      { account: account("package_revenue"), amount: -b.amount },
    ],
  });
}

/** The unused rest of a package refunded by its policy: the refund goes back through the provider, the rest is earned. */
export function packageRefundTx(p: PackageFacts, r: { ref: string; provider: string; deferredLeft: number; refund: number }): TxDraft {
  return finish({
    ...packageHeader(p),
    kind: "package_refund",
    ref: r.ref,
    provider: r.provider,
    memo: `package ${p.id} refunded`,
    entries: [
      { account: account("deferred_revenue", p.id), amount: r.deferredLeft },
      { account: account("provider_clearing", r.provider), amount: -r.refund },
      { account: account("package_revenue"), amount: -(r.deferredLeft - r.refund) },
    ],
  });
}
