/**
 * Quote lines for a service, all in integer minor units. Percent surcharges round half up on the
 * subtotal once (never per line), so the total is exactly the sum of the lines.
 */
import type { Extra } from "./catalog";
import { haversineKm, type LatLng } from "./geo";
import { surgeAmount, type SurgePricing, type SurgeState } from "./surge";
import { localDate, localMinuteOfDay, parseHhMm } from "./zoned";

export interface SurchargeRules {
  /** A percentage on jobs starting in the night window (local time; may wrap midnight). */
  night?: { start: string; end: string; percent: number };
  /** A percentage on jobs starting on listed local dates. */
  holiday?: { dates: string[]; percent: number };
  /** Per started kilometre beyond `freeKm` from the city centre. */
  distance?: { freeKm: number; perKm: number };
}

export interface PriceLine {
  code: string;
  label: { zh: string; en: string };
  amount: number;
  /** A discount the merchant pays (a merchant-funded promotion's coupon): taken off the merchant's share in the split, not the platform's expense. */
  fundedBy?: "merchant";
}

export interface PricingInput {
  service: {
    basePrice: number;
    unitPrice: number;
    unit: string;
    minUnits: number;
    extras: Extra[];
    rushFee: number;
    surcharges: SurchargeRules;
  };
  units: number;
  extras: string[];
  rush: boolean;
  start: number;
  timeZone: string;
  point: LatLng;
  cityCenter: LatLng;
  /** The city's surge pricing and the job cell's state (no line unless pricing is on and the cell surges). */
  surge?: { pricing: SurgePricing; state: SurgeState };
}

const UNIT_LABEL: Record<string, { zh: string; en: string }> = {
  hour: { zh: "小时", en: "hour" },
  visit: { zh: "次", en: "visit" },
  m2: { zh: "平方米", en: "m²" },
};

/** Rounds `amount × percent / 100` half up, in integers. */
export function percentOf(amount: number, percent: number): number {
  return Math.floor((amount * percent + 50) / 100);
}

function inNight(minute: number, night: { start: string; end: string }): boolean {
  const from = parseHhMm(night.start);
  const to = parseHhMm(night.end);
  if (from === null || to === null) return false;
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** The codes of the lines that depend on when the job starts (a reschedule prices them again). */
export const TIME_LINE_CODES: readonly string[] = ["night", "holiday"];

/**
 * The surcharge lines a job starting at `start` gets on `subtotal` (base, units and extras): night
 * and holiday, the same lines a quote adds.
 */
export function timeLines(rules: SurchargeRules, subtotal: number, start: number, timeZone: string): PriceLine[] {
  const lines: PriceLine[] = [];
  if (rules.night && inNight(localMinuteOfDay(start, timeZone), rules.night)) {
    lines.push({
      code: "night",
      label: { zh: `夜间服务 +${rules.night.percent}%`, en: `Night +${rules.night.percent}%` },
      amount: percentOf(subtotal, rules.night.percent),
    });
  }
  if (rules.holiday && rules.holiday.dates.includes(localDate(start, timeZone))) {
    lines.push({
      code: "holiday",
      label: { zh: `节假日 +${rules.holiday.percent}%`, en: `Holiday +${rules.holiday.percent}%` },
      amount: percentOf(subtotal, rules.holiday.percent),
    });
  }
  return lines.filter((l) => l.amount > 0);
}

export function priceLines(input: PricingInput): PriceLine[] {
  const { service } = input;
  const lines: PriceLine[] = [];
  if (service.basePrice > 0) lines.push({ code: "base", label: { zh: "基础服务费", en: "Base fee" }, amount: service.basePrice });
  if (service.unitPrice > 0) {
    const unit = UNIT_LABEL[service.unit] ?? { zh: service.unit, en: service.unit };
    lines.push({
      code: "units",
      label: { zh: `${input.units} ${unit.zh}`, en: `${input.units} × ${unit.en}` },
      amount: service.unitPrice * input.units,
    });
  }
  for (const code of input.extras) {
    const extra = service.extras.find((e) => e.code === code);
    if (extra) lines.push({ code: `extra:${code}`, label: extra.name, amount: extra.price });
  }
  const subtotal = lines.reduce((s, l) => s + l.amount, 0);
  if (input.rush && service.rushFee > 0) lines.push({ code: "rush", label: { zh: "加急费", en: "Rush fee" }, amount: service.rushFee });
  const rules = service.surcharges;
  lines.push(...timeLines(rules, subtotal, input.start, input.timeZone));
  if (input.surge) {
    const amount = surgeAmount(input.surge.pricing, input.surge.state, subtotal);
    if (amount > 0) lines.push({ code: "surge", label: { zh: "高峰时段加价", en: "Peak demand surcharge" }, amount });
  }
  if (rules.distance) {
    const beyond = haversineKm(input.cityCenter, input.point) - rules.distance.freeKm;
    if (beyond > 0) {
      const km = Math.ceil(beyond);
      lines.push({ code: "distance", label: { zh: `远程 ${km} 公里`, en: `Distance ${km} km` }, amount: km * rules.distance.perKm });
    }
  }
  return lines.filter((l) => l.amount > 0 || l.code === "base");
}

export function total(lines: PriceLine[]): number {
  return lines.reduce((s, l) => s + l.amount, 0);
}
