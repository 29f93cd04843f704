import { config } from "../config";
import type { ServiceRow } from "../db/repositories/booking.repo";
import { cellOf, type LatLng } from "../domain/geo";
import { priceLines, total, type PriceLine } from "../domain/pricing";
import { toZonedIso } from "../domain/zoned";
import { AppError, invalid } from "../errors";
import { sign, verify } from "../lib/signed";
import { jobMinutes } from "../dispatch/availability.service";
import { couponForQuote } from "../coupons/wallet.service";
import { cachedCityOfCell, cachedService, cachedSurgeTerms } from "../catalog/reference.service";
import { memberQuote, type MemberAsk, type MemberTerms } from "../membership";
import type { TimeWindow } from "../domain/time-window";
import { askedStart, checkWindow, windowView, type AskedTime } from "./quote-window";

export interface QuoteInput extends LatLng, MemberAsk, AskedTime {
  serviceId: string;
  units?: number;
  extras?: string[];
  rush?: boolean;
  couponCode?: string;
  /** Without a code: apply the best coupon of the wallet or of a running promotion, if any applies. */
  bestCoupon?: boolean;
}

/** What a quote commits to; signed, so a client cannot change any of it. */
export interface QuotePayload {
  v: 1;
  /** The coupon whose (negative) line is among `lines`; the order redeems it. */
  couponId?: string;
  /** The package draw and points its order takes (src/membership); their lines are among `lines`. */
  member?: MemberTerms;
  serviceId: string;
  lat: number;
  lng: number;
  start: number;
  end: number;
  units: number;
  extras: string[];
  rush: boolean;
  lines: PriceLine[];
  total: number;
  currency: string;
  expiresAt: number;
  /** A flexible-window quote: the window the job may start and end in (UTC ms); `start` is its start. */
  window?: TimeWindow;
}

const QUOTE_PURPOSE = "quote";
const PREFIX = "qt_";

const ttlMs = (env: Env) => config(env).QUOTE_TTL_SECONDS * 1000;

function validate(service: ServiceRow, input: QuoteInput, start: number) {
  const problems: { path: string; message: string }[] = [];
  const units = input.units ?? service.minUnits;
  if (units < service.minUnits) problems.push({ path: "body.units", message: `at least ${service.minUnits}` });
  const extras = input.extras ?? [];
  extras.forEach((code, i) => {
    if (!service.extras.some((e) => e.code === code)) problems.push({ path: `body.extras.${i}`, message: `unknown extra ${code}` });
  });
  if (new Set(extras).size !== extras.length) problems.push({ path: "body.extras", message: "duplicate extras" });
  const now = Date.now();
  // A window's own limits are checked with the job's duration (quote-window.ts).
  if (input.window) return { units, extras };
  if (start < now + service.leadTimeMinutes * 60_000)
    problems.push({ path: "body.start", message: `must be at least ${service.leadTimeMinutes} minutes ahead` });
  if (start > now + service.horizonDays * 86_400_000)
    problems.push({ path: "body.start", message: `must be within ${service.horizonDays} days` });
  if (problems.length) throw invalid(problems);
  return { units, extras };
}

/**
 * Prices a job and returns a signed, expiring quote. A coupon code adds its discount as a negative
 * line (400 COUPON_NOT_FOUND / COUPON_NOT_APPLICABLE, 409 COUPON_USED_UP); the order checks it again. The service and the city come from the
 * reference cache (at most a few seconds old, see reference.service); the order checks them again.
 */
export async function createQuote(env: Env, customerId: string, input: QuoteInput) {
  const cell = cellOf(input, config(env).H3_RESOLUTION);
  const [found, city] = await Promise.all([cachedService(env, input.serviceId), cachedCityOfCell(env, cell)]);
  if (!found || !city || !found.cityIds.includes(city.id)) throw AppError.of("SERVICE_NOT_OFFERED");
  const { service } = found;
  // Read with the city (one round trip), so asked after it.
  const surge = await cachedSurgeTerms(env, cell);
  const { start, window } = askedStart(input);
  const { units, extras } = validate(service, input, start);
  const extraMinutes = extras.reduce((m, code) => m + (service.extras.find((e) => e.code === code)?.durationMinutes ?? 0), 0);
  const end = start + (jobMinutes(service, units) + extraMinutes) * 60_000;
  if (window) checkWindow(service, window, end - start);
  const lines = priceLines({
    service,
    units,
    extras,
    rush: input.rush === true,
    start,
    timeZone: city.timeZone,
    point: input,
    cityCenter: { lat: city.centerLat, lng: city.centerLng },
    surge,
  });
  const coupon = await couponForQuote(env, customerId, input, {
    serviceId: service.id,
    merchantId: service.merchantId,
    subtotal: total(lines),
  });
  if (coupon) {
    lines.push({
      code: `coupon:${coupon.code}`,
      label: { zh: `优惠券 ${coupon.code}`, en: `Coupon ${coupon.code}` },
      amount: -coupon.discount,
      ...(coupon.fundedBy === "merchant" ? { fundedBy: "merchant" as const } : {}),
    });
  }
  const member = await memberQuote(env, customerId, input, { serviceId: service.id, merchantId: service.merchantId, lines });
  lines.push(...member.lines);
  const payload: QuotePayload = {
    v: 1,
    couponId: coupon?.id,
    member: member.terms,
    serviceId: service.id,
    lat: input.lat,
    lng: input.lng,
    start,
    end,
    units,
    extras,
    rush: input.rush === true,
    lines,
    total: total(lines),
    currency: service.currency,
    expiresAt: Date.now() + ttlMs(env),
    ...(window ? { window } : {}),
  };
  const id = await sign(env.JWT_SECRET, QUOTE_PURPOSE, PREFIX, payload);
  return {
    id,
    serviceId: service.id,
    expiresAt: new Date(payload.expiresAt).toISOString(),
    start: toZonedIso(start, city.timeZone),
    end: toZonedIso(end, city.timeZone),
    timeZone: city.timeZone,
    window: windowView(window, city.timeZone),
    units,
    extras,
    lines: lines.map((l) => ({ code: l.code, label: l.label, amount: { amount: l.amount, currency: service.currency } })),
    total: { amount: payload.total, currency: service.currency },
  };
}

/** Signs a quote's terms (the rework of an after-sales ticket prices its own: src/orders/rework.service.ts). */
export function signQuote(env: Env, payload: QuotePayload): Promise<string> {
  return sign(env.JWT_SECRET, QUOTE_PURPOSE, PREFIX, payload);
}

/** The fields of an order that its quote fixes: when, how much of what, and the priced lines. */
export function orderTermsOf(quote: QuotePayload) {
  return {
    startAt: quote.start,
    bookedStartAt: quote.start,
    endAt: quote.end,
    windowStartAt: quote.window?.start ?? null,
    windowEndAt: quote.window?.end ?? null,
    units: quote.units,
    extras: quote.extras,
    lines: quote.lines.map((l) => ({ code: l.code, label: l.label.zh, amount: l.amount, ...(l.fundedBy ? { fundedBy: l.fundedBy } : {}) })),
    total: quote.total,
    currency: quote.currency,
  };
}

/** The quote's terms when it is intact and unexpired; otherwise 400 QUOTE_INVALID / QUOTE_EXPIRED. */
export async function readQuote(env: Env, quoteId: string): Promise<QuotePayload> {
  const payload = await verify<QuotePayload>(env.JWT_SECRET, QUOTE_PURPOSE, PREFIX, quoteId);
  if (!payload || payload.v !== 1) {
    throw AppError.of("QUOTE_INVALID", {}, { errors: [{ path: "body.quoteId", message: "unknown or altered quote" }] });
  }
  if (payload.expiresAt <= Date.now()) {
    throw AppError.of("QUOTE_EXPIRED", {}, { errors: [{ path: "body.quoteId", message: "expired" }] });
  }
  return payload;
}
