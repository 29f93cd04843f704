/**
 * Packages (次卡 / 套餐): staff offer plans (N visits of a service, or an amount of credit, at a
 * price, valid for some days); a customer buys one (pending until paid), staff record its payment,
 * each booking that names it draws from it in the booking's own batch (see `memberGuard` and
 * `memberStatements` in points.service), and staff refund the unused rest by the plan's policy.
 * The money: paid into deferred_revenue:<package>, earned per draw, refunded or earned at the
 * refund (src/domain/ledger.ts package_*).
 */
import { getDb } from "../db/client";
import { appendAudit } from "../db/repositories/audit.repo";
import { bookableService } from "../db/repositories/booking.repo";
import {
  activateStatements,
  entriesOfPackage,
  expiredPackages,
  expireMarker,
  expirePackageStatements,
  findPackage,
  findPlan,
  insertPackage,
  insertPlan,
  listPlans,
  packagesOf,
  refundPackageStatements,
  updatePlan,
  type CustomerPackageRow,
  type PackageEntryRow,
  type PackagePlanRow,
} from "../db/repositories/membership.repo";
import { findTx } from "../db/repositories/ledger.repo";
import { runBatch } from "../db/repositories/statements";
import { packageBreakageTx, packageRefundTx, packageSaleTx, type PackageFacts } from "../domain/ledger";
import { deferredOfSale, packageRefundOf, type PackageKind } from "../domain/membership";
import { AppError, notFound } from "../errors";
import { newId } from "../lib/ids";
import type { Auth } from "../env";
import { merchantScope } from "../identity";
import { providerPaymentOf, refundPackageToProvider } from "../money/package-money.service";

const DAY = 86_400_000;
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const money = (amount: number, currency: string) => ({ amount, currency });

export function planView(p: PackagePlanRow) {
  return {
    id: p.id,
    merchantId: p.merchantId,
    serviceId: p.serviceId,
    kind: p.kind,
    units: p.units,
    price: money(p.price, p.currency),
    validDays: p.validDays,
    refundPercent: p.refundPercent,
    name: { zh: p.nameZh, en: p.nameEn },
    active: p.active,
    createdAt: iso(p.createdAt)!,
  };
}

export function packageView(p: CustomerPackageRow, entries?: PackageEntryRow[]) {
  return {
    id: p.id,
    planId: p.planId,
    customerId: p.customerId,
    merchantId: p.merchantId,
    serviceId: p.serviceId,
    kind: p.kind,
    unitsTotal: p.unitsTotal,
    unitsLeft: p.unitsLeft,
    price: money(p.price, p.currency),
    deferredLeft: money(p.deferredLeft, p.currency),
    status: p.status,
    validUntil: iso(p.validUntil),
    paidAt: iso(p.paidAt),
    refundedAt: iso(p.refundedAt),
    createdAt: iso(p.createdAt)!,
    ...(entries
      ? {
          history: entries.map((e) => ({
            kind: e.kind,
            orderId: e.orderId,
            units: e.units,
            amount: money(e.amount, p.currency),
            givenBack: e.releasedAt !== null,
            at: iso(e.createdAt)!,
          })),
        }
      : {}),
  };
}

export const factsOfPackage = (p: CustomerPackageRow): PackageFacts => ({
  id: p.id,
  merchantId: p.merchantId,
  serviceId: p.serviceId,
  currency: p.currency,
});

export interface NewPlan {
  serviceId: string;
  kind: PackageKind;
  units: number;
  price: number;
  validDays: number;
  refundPercent?: number;
  nameZh: string;
  nameEn: string;
}

/** A plan for a service of the caller's merchant (any service for the platform), audited. */
export async function createPlan(env: Env, actor: Auth, input: NewPlan) {
  const scope = merchantScope(actor);
  const db = getDb(env);
  const found = await bookableService(db, input.serviceId);
  if (!found || (scope !== undefined && found.service.merchantId !== scope)) throw notFound("Service");
  const now = Date.now();
  const row: PackagePlanRow = {
    id: newId("pkp", now),
    merchantId: found.service.merchantId,
    serviceId: found.service.id,
    kind: input.kind,
    units: input.units,
    price: input.price,
    currency: found.service.currency,
    validDays: input.validDays,
    refundPercent: input.refundPercent ?? 100,
    nameZh: input.nameZh,
    nameEn: input.nameEn,
    active: true,
    createdBy: actor.accountId,
    createdAt: now,
    updatedAt: now,
  };
  await insertPlan(db, row);
  await appendAudit(db, { actorId: actor.accountId, action: "package_plan.create", targetType: "package_plan", targetId: row.id });
  return planView(row);
}

async function ownPlan(env: Env, actor: Auth, id: string) {
  const scope = merchantScope(actor);
  const plan = await findPlan(getDb(env), id);
  if (!plan || (scope !== undefined && plan.merchantId !== scope)) throw notFound("Package plan");
  return plan;
}

/** Switches a plan on or off or renames it (bought packages keep their terms). */
export async function changePlan(env: Env, actor: Auth, id: string, patch: { active?: boolean; nameZh?: string; nameEn?: string }) {
  await ownPlan(env, actor, id);
  const db = getDb(env);
  const row = await updatePlan(db, id, patch, Date.now());
  await appendAudit(db, {
    actorId: actor.accountId,
    action: "package_plan.update",
    targetType: "package_plan",
    targetId: id,
    data: { ...patch },
  });
  return planView(row!);
}

/** Plans staff see: their merchant's (all for the platform). */
export async function staffPlans(env: Env, actor: Auth, q: { serviceId?: string }) {
  const rows = await listPlans(getDb(env), { serviceId: q.serviceId, merchantId: merchantScope(actor) }, 100);
  return { items: rows.map(planView) };
}

/** The active plans customers may buy, of one service or all. */
export async function offeredPlans(env: Env, q: { serviceId?: string }) {
  const rows = await listPlans(getDb(env), { serviceId: q.serviceId, activeOnly: true }, 100);
  return { items: rows.map(planView) };
}

/** The customer buys a plan: a package waiting for payment (the plan's terms copied, so later changes of the plan do not touch it). */
export async function buyPackage(env: Env, customerId: string, planId: string) {
  const db = getDb(env);
  const plan = await findPlan(db, planId);
  if (!plan || !plan.active) throw notFound("Package plan");
  const now = Date.now();
  const row: CustomerPackageRow = {
    id: newId("pkg", now),
    planId: plan.id,
    customerId,
    merchantId: plan.merchantId,
    serviceId: plan.serviceId,
    kind: plan.kind,
    unitsTotal: plan.units,
    unitsLeft: plan.units,
    price: plan.price,
    currency: plan.currency,
    deferredLeft: 0,
    refundPercent: plan.refundPercent,
    status: "pending_payment",
    validUntil: null,
    validDays: plan.validDays,
    paidAt: null,
    paymentRef: null,
    refundedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertPackage(db, row);
  return packageView(row, []);
}

export async function myPackages(env: Env, customerId: string) {
  return { items: (await packagesOf(getDb(env), { customerId }, 100)).map((p) => packageView(p)) };
}

export async function myPackage(env: Env, customerId: string, id: string) {
  const db = getDb(env);
  const p = await findPackage(db, id);
  if (!p || p.customerId !== customerId) throw notFound("Package");
  return packageView(p, await entriesOfPackage(db, id));
}

async function staffPackage(env: Env, actor: Auth, id: string) {
  const scope = merchantScope(actor);
  const p = await findPackage(getDb(env), id);
  if (!p || (scope !== undefined && p.merchantId !== scope)) throw notFound("Package");
  return p;
}

/** Packages staff see (their merchant's), of one customer or all, newest first. */
export async function staffPackages(env: Env, actor: Auth, q: { customerId?: string }) {
  const rows = await packagesOf(getDb(env), { customerId: q.customerId, merchantId: merchantScope(actor) }, 100);
  return { items: rows.map((p) => packageView(p)) };
}

export async function staffPackageDetail(env: Env, actor: Auth, id: string) {
  const p = await staffPackage(env, actor, id);
  return packageView(p, await entriesOfPackage(getDb(env), id));
}

/**
 * Staff record a package's payment taken at the counter (`provider`: how; `reference`: the receipt):
 * the package is active for its days from now, its money deferred in the ledger. 409 PACKAGE_NOT_PENDING.
 */
export async function recordPackagePayment(
  env: Env,
  actorId: string,
  id: string,
  input: { provider: "cash" | "bank_transfer"; reference: string },
) {
  const db = getDb(env);
  const p = await findPackage(db, id);
  if (!p) throw notFound("Package");
  if (p.status !== "pending_payment") throw AppError.of("PACKAGE_NOT_PENDING");
  const now = Date.now();
  const ref = newId("pkpay", now);
  const deferred = deferredOfSale(p.kind, p.price, p.unitsTotal);
  const tx = packageSaleTx(factsOfPackage(p), { ref, provider: input.provider, price: p.price, deferred });
  const [updated] = await runBatch(db, activateStatements(db, p, { ref, deferred, validUntil: now + p.validDays * DAY, tx }, now));
  if (updated?.meta.changes !== 1) throw AppError.of("PACKAGE_NOT_PENDING");
  await appendAudit(db, {
    actorId,
    action: "package.payment",
    targetType: "package",
    targetId: id,
    data: { provider: input.provider, reference: input.reference, amount: p.price },
  });
  return packageView((await findPackage(db, id))!, await entriesOfPackage(db, id));
}

/**
 * Refunds what is left of an active package by its policy (`refundPercent` of the money still
 * deferred, paid back the way it came; the rest is earned), audited. 409 PACKAGE_NOT_ACTIVE, also
 * when a booking drew from it meanwhile (then look again).
 */
export async function refundPackage(env: Env, actorId: string, id: string, reason: string) {
  const db = getDb(env);
  const p = await findPackage(db, id);
  if (!p) throw notFound("Package");
  if (p.status !== "active") throw AppError.of("PACKAGE_NOT_ACTIVE");
  const payment = await providerPaymentOf(env, p);
  if (payment) {
    // Paid through a provider: the refund goes back to that payment through the provider's refund flow.
    const refundId = await refundPackageToProvider(env, actorId, p, payment, reason);
    await appendAudit(db, { actorId, action: "package.refund", targetType: "package", targetId: id, data: { refundId, reason } });
    return packageView((await findPackage(db, id))!, await entriesOfPackage(db, id));
  }
  const now = Date.now();
  const { refund } = packageRefundOf(p.deferredLeft, p.refundPercent);
  const provider = await paidBy(env, p);
  const ref = newId("pkrf", now);
  const tx = packageRefundTx(factsOfPackage(p), { ref, provider, deferredLeft: p.deferredLeft, refund });
  const [updated] = await runBatch(db, refundPackageStatements(db, p, { ref, refund, txs: [tx] }, now));
  if (updated?.meta.changes !== 1) throw AppError.of("PACKAGE_NOT_ACTIVE");
  await appendAudit(db, { actorId, action: "package.refund", targetType: "package", targetId: id, data: { refund, reason } });
  return packageView((await findPackage(db, id))!, await entriesOfPackage(db, id));
}

/**
 * The nightly expiry: every package whose days ran out is marked expired and what it left unused
 * is earned (ledger package_breakage), once per package state (a rerun, or a concurrent one, finds
 * it moved and writes nothing). A cancelled order that gives a draw back to an expired package
 * makes that value unused again: the next night earns it.
 */
export async function expirePackages(env: Env, now = Date.now()) {
  const db = getDb(env);
  let expired = 0;
  let breakage = 0;
  for (let round = 0; round < 50; round++) {
    const due = await expiredPackages(db, now, 50);
    let moved = 0;
    for (const p of due) {
      const tx = p.deferredLeft > 0 ? packageBreakageTx(factsOfPackage(p), { ref: expireMarker(p), amount: p.deferredLeft }) : null;
      const [entry] = await runBatch(db, expirePackageStatements(db, p, tx, now));
      if (entry?.meta.changes === 1) {
        moved += 1;
        expired += 1;
        breakage += p.deferredLeft;
      }
    }
    if (due.length < 50 || moved === 0) break;
  }
  return { packagesExpired: expired, packageBreakage: breakage };
}

/** How the package was paid (the provider of its package_sale), so the refund goes back the same way. */
async function paidBy(env: Env, p: CustomerPackageRow): Promise<string> {
  const tx = p.paymentRef ? await findTx(getDb(env), "package_sale", p.paymentRef) : undefined;
  return tx?.provider ?? "cash";
}
