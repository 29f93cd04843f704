/** Services as written (fields in 分) and as shown (Money), and how both map to stored rows. */
import type { ServiceRow } from "../db/repositories/services.repo";
import type { CancellationPolicy, DispatchMode, Extra, PaymentOptions, PriceUnit } from "../domain/catalog";
import type { SurchargeRules } from "../domain/pricing";
import type { Localized } from "../lib/locale";

export interface PriceModel {
  base: number;
  perUnit: number;
  unit: PriceUnit;
  minUnits: number;
}

/** Everything that defines a service, as an operator or merchant writes it (money in 分). */
export interface ServiceFields {
  categoryId: string;
  name: Localized;
  description: Localized;
  price: PriceModel;
  currency: string;
  durationMinutes: number;
  perUnitMinutes: number;
  requiredSkills: string[];
  extras: Extra[];
  cancellationPolicy: CancellationPolicy;
  dispatchMode: DispatchMode;
  paymentOptions: PaymentOptions;
  rushFee: number;
  surcharges: SurchargeRules;
  leadTimeMinutes: number;
  horizonDays: number;
  cityIds: string[];
  active: boolean;
}

export type CreateServiceInput = ServiceFields & { merchantId?: string | null };

/** A partial change: objects merge one level deep, lists and scalars replace. */
export type ServicePatch = Partial<
  Omit<ServiceFields, "name" | "description" | "price" | "cancellationPolicy" | "paymentOptions"> & {
    name: Partial<Localized>;
    description: Partial<Localized>;
    price: Partial<PriceModel>;
    cancellationPolicy: Partial<CancellationPolicy>;
    paymentOptions: Partial<PaymentOptions>;
  }
>;

export interface Money {
  amount: number;
  currency: string;
}

export interface ServiceView {
  id: string;
  merchantId: string | null;
  categoryId: string;
  name: Localized;
  description: Localized;
  price: { base: Money; perUnit: Money; unit: PriceUnit; minUnits: number };
  durationMinutes: number;
  perUnitMinutes: number;
  requiredSkills: string[];
  extras: (Omit<Extra, "price"> & { price: Money })[];
  cancellationPolicy: { tiers: CancellationPolicy["tiers"]; visitFee: Money };
  dispatchMode: DispatchMode;
  paymentOptions: PaymentOptions;
  rushFee: Money;
  surcharges: SurchargeRules;
  leadTimeMinutes: number;
  horizonDays: number;
  cityIds: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

export function view(s: ServiceRow, cityIds: string[]): ServiceView {
  const money = (amount: number): Money => ({ amount, currency: s.currency });
  return {
    id: s.id,
    merchantId: s.merchantId,
    categoryId: s.categoryId,
    name: { zh: s.nameZh, en: s.nameEn },
    description: { zh: s.descriptionZh, en: s.descriptionEn },
    price: { base: money(s.basePrice), perUnit: money(s.unitPrice), unit: s.unit, minUnits: s.minUnits },
    durationMinutes: s.durationMinutes,
    perUnitMinutes: s.perUnitMinutes,
    requiredSkills: s.requiredSkills,
    extras: s.extras.map((e) => ({ code: e.code, name: e.name, price: money(e.price), durationMinutes: e.durationMinutes })),
    cancellationPolicy: { tiers: s.cancellationPolicy.tiers, visitFee: money(s.cancellationPolicy.visitFee) },
    dispatchMode: s.dispatchMode,
    paymentOptions: s.paymentOptions,
    rushFee: money(s.rushFee),
    surcharges: s.surcharges,
    leadTimeMinutes: s.leadTimeMinutes,
    horizonDays: s.horizonDays,
    cityIds,
    active: s.active,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
  };
}

/** The columns a set of fields maps to; only the fields present are returned. */
export function columns(f: Partial<ServiceFields>): Partial<ServiceRow> {
  return {
    categoryId: f.categoryId,
    nameZh: f.name?.zh,
    nameEn: f.name?.en,
    descriptionZh: f.description?.zh,
    descriptionEn: f.description?.en,
    basePrice: f.price?.base,
    unitPrice: f.price?.perUnit,
    unit: f.price?.unit,
    minUnits: f.price?.minUnits,
    currency: f.currency,
    durationMinutes: f.durationMinutes,
    perUnitMinutes: f.perUnitMinutes,
    requiredSkills: f.requiredSkills,
    extras: f.extras,
    cancellationPolicy: f.cancellationPolicy,
    dispatchMode: f.dispatchMode,
    paymentOptions: f.paymentOptions,
    rushFee: f.rushFee,
    surcharges: f.surcharges,
    leadTimeMinutes: f.leadTimeMinutes,
    horizonDays: f.horizonDays,
    active: f.active,
  };
}

export function fieldsOf(s: ServiceRow, cityIds: string[]): ServiceFields {
  return {
    categoryId: s.categoryId,
    name: { zh: s.nameZh, en: s.nameEn },
    description: { zh: s.descriptionZh, en: s.descriptionEn },
    price: { base: s.basePrice, perUnit: s.unitPrice, unit: s.unit, minUnits: s.minUnits },
    currency: s.currency,
    durationMinutes: s.durationMinutes,
    perUnitMinutes: s.perUnitMinutes,
    requiredSkills: s.requiredSkills,
    extras: s.extras,
    cancellationPolicy: s.cancellationPolicy,
    dispatchMode: s.dispatchMode,
    paymentOptions: s.paymentOptions,
    rushFee: s.rushFee,
    surcharges: s.surcharges,
    leadTimeMinutes: s.leadTimeMinutes,
    horizonDays: s.horizonDays,
    cityIds,
    active: s.active,
  };
}
