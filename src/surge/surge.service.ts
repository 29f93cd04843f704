/**
 * The Worker's side of surge detection: a cell's `surge.changed` event is recorded (its change and
 * the cell's current state, once per event), operators are alerted when a cell starts surging, and
 * the city's surge settings (operators', within the deployment's caps) say what else happens.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { cityOfCell, findCity } from "../db/repositories/cities.repo";
import { findSetting, putSetting } from "../db/repositories/settings.repo";
import type { SurgePricing, SurgeState } from "../domain/surge";
import { clampPricing } from "./surge-terms";
import type { CellEvent } from "../domain/cell-events";
import { AppError, notFound } from "../errors";
import { raiseAlert } from "../observability";
import { notifySurge } from "./surge-notices.service";
import { recordSurgeChange, surgeChangesOfCity, surgeStatesOfCity } from "./surge.repo";

type SurgeChanged = Extract<CellEvent, { type: "surge.changed" }>;

/** Records a cell's surge change (idempotent per event id); a cell that starts surging alerts the operators. */
export async function onSurgeChanged(env: Env, event: SurgeChanged): Promise<void> {
  const db = getDb(env);
  const city = await cityOfCell(db, event.cell);
  const fresh = await recordSurgeChange(db, {
    id: event.id,
    cellId: event.cell,
    cityId: city?.id ?? null,
    fromState: event.from,
    toState: event.to,
    at: event.at,
    demand: event.demand,
    supply: event.supply,
    ratio: event.ratio,
  });
  if (!fresh || event.to !== "surging") return;
  await raiseAlert(env, {
    kind: "cell_surge",
    key: `cell_surge:${event.cell}`,
    cityId: city?.id ?? null,
    details: { cell: event.cell, demand: event.demand, supply: event.supply, ratio: event.ratio },
  });
  if (!city) return;
  const { notify } = await surgeSettings(env, city.id);
  await notifySurge(env, { cityId: city.id, cell: event.cell, eventId: event.id, at: event.at, skills: event.skills ?? [] }, notify);
}

const RECENT_MS = 24 * 3_600_000;

/** The current surge state of each cell of a city that ever reported one, and the changes of the last 24 hours. */
export async function surgeOverview(env: Env, cityId: string, now = Date.now()) {
  const db = getDb(env);
  const city = await findCity(db, cityId);
  if (!city) throw notFound("City");
  const [states, changes] = await Promise.all([surgeStatesOfCity(db, city.id), surgeChangesOfCity(db, city.id, now - RECENT_MS, 200)]);
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    cityId: city.id,
    timeZone: city.timeZone,
    cells: states.map((s) => ({ cell: s.cellId, state: s.state, since: iso(s.since), demand: s.demand, supply: s.supply, ratio: s.ratio })),
    changes: changes.map((c) => ({
      cell: c.cellId,
      from: c.fromState as SurgeState,
      to: c.toState as SurgeState,
      at: iso(c.at),
      demand: c.demand,
      supply: c.supply,
      ratio: c.ratio,
    })),
  };
}

/** The surge state of each listed cell that reported one (for the live map). */
export async function surgingCells(env: Env, cityId: string): Promise<Map<string, SurgeState>> {
  const states = await surgeStatesOfCity(getDb(env), cityId);
  return new Map(states.map((s) => [s.cellId, s.state]));
}

/** Surge notices to technicians (src/surge/surge-notices.service.ts): off unless `enabled`. */
export interface SurgeNotify {
  enabled: boolean;
  /** Rings of neighbouring cells around the surging one whose technicians are told (0: the cell alone). */
  ring: number;
  /** A technician hears of a surge at most once per this many minutes. */
  cooldownMinutes: number;
}

export const SURGE_NOTIFY_OFF: SurgeNotify = { enabled: false, ring: 1, cooldownMinutes: 60 };
export const SURGE_NOTIFY_MAX_RING = 3;
export const SURGE_NOTIFY_COOLDOWN_RANGE = [5, 1440] as const;

/** What operators set for a city. */
export interface SurgeSettings {
  pricing: SurgePricing;
  notify: SurgeNotify;
}

/** The notice settings as stored, within their bounds (off when never set or unreadable). */
function notifyOf(stored: unknown): SurgeNotify {
  const n = (stored as { notify?: Partial<SurgeNotify> } | undefined)?.notify;
  if (!n) return SURGE_NOTIFY_OFF;
  const whole = (v: unknown, lo: number, hi: number, fallback: number) =>
    typeof v === "number" && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.floor(v))) : fallback;
  return {
    enabled: n.enabled === true,
    ring: whole(n.ring, 0, SURGE_NOTIFY_MAX_RING, SURGE_NOTIFY_OFF.ring),
    cooldownMinutes: whole(n.cooldownMinutes, ...SURGE_NOTIFY_COOLDOWN_RANGE, SURGE_NOTIFY_OFF.cooldownMinutes),
  };
}

const settingKey = (cityId: string) => `surge:${cityId}`;

/** The deployment's caps on what operators may set. */
export function surgeCaps(env: Env): { maxPercent: number; maxAmount: number } {
  const cfg = config(env);
  return { maxPercent: cfg.SURGE_PRICE_MAX_PERCENT, maxAmount: cfg.SURGE_PRICE_MAX_AMOUNT };
}

/** The city's surge settings, clamped to the caps in force (pricing off when never set). */
export async function surgeSettings(env: Env, cityId: string): Promise<SurgeSettings> {
  const row = await findSetting(getDb(env), settingKey(cityId));
  return { pricing: clampPricing(env, row?.value), notify: notifyOf(row?.value) };
}

/**
 * Operators change a city's surge settings (a part left out keeps what is in force); above a cap is
 * refused (400 SURGE_ABOVE_CAP).
 */
export async function setSurgeSettings(
  env: Env,
  cityId: string,
  actorId: string,
  input: Partial<SurgeSettings>,
): Promise<SurgeSettings & { caps: ReturnType<typeof surgeCaps> }> {
  const db = getDb(env);
  if (!(await findCity(db, cityId))) throw notFound("City");
  const caps = surgeCaps(env);
  if (input.pricing && (input.pricing.percent > caps.maxPercent || input.pricing.maxAmount > caps.maxAmount)) {
    // the fields above their cap, so a form shows the problem next to them
    const errors = [
      ...(input.pricing.percent > caps.maxPercent ? [{ path: "body.pricing.percent", message: `at most ${caps.maxPercent}` }] : []),
      ...(input.pricing.maxAmount > caps.maxAmount
        ? [{ path: "body.pricing.maxAmount", message: `at most ${caps.maxAmount} (minor units)` }]
        : []),
    ];
    throw AppError.of("SURGE_ABOVE_CAP", caps, { errors });
  }
  // Merged with what is stored as it was set (not clamped): a part left out stays exactly as operators set it.
  const stored = (await findSetting(db, settingKey(cityId)))?.value;
  const current = typeof stored === "object" && stored !== null ? stored : {};
  await putSetting(db, settingKey(cityId), { ...current, ...input }, actorId);
  return { ...(await surgeSettings(env, cityId)), caps };
}
