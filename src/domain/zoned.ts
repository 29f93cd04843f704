/**
 * Wall-clock time in an IANA zone ↔ UTC instants, without a date library. Daylight-saving gaps
 * resolve forward (02:30 on a spring-forward night is 03:30 after the jump) and repeated hours
 * resolve to the earlier instant, as Temporal's "compatible" disambiguation does.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Offset read from the runtime's time-zone data (slow: one formatToParts call). */
function rawOffsetMs(timeZone: string, epochMs: number): number {
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(epochMs))) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - epochMs;
}

// Every zone's offsets are whole quarter hours and change only at quarter-hour instants, so the
// offset is constant within each UTC quarter hour: cache it per quarter, per zone.
const QUARTER = 15 * 60_000;
const offsets = new Map<string, number>();

/** UTC offset (ms, local − UTC) in `timeZone` at an instant. */
export function offsetMs(timeZone: string, epochMs: number): number {
  const quarter = Math.floor(epochMs / QUARTER) * QUARTER;
  const key = `${timeZone}|${quarter}`;
  let off = offsets.get(key);
  if (off === undefined) {
    if (offsets.size > 100_000) offsets.clear();
    off = rawOffsetMs(timeZone, quarter);
    offsets.set(key, off);
  }
  return off;
}

/** Local wall-clock of an instant, expressed as if it were UTC (ms), to the second. */
function localAsUtc(timeZone: string, epochMs: number): number {
  return Math.floor(epochMs / 1000) * 1000 + offsetMs(timeZone, epochMs);
}

export const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` to a UTC-midnight timestamp, or null when it is not a real date. */
export function parseDate(date: string): number | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === date ? ms : null;
}

export function addDays(date: string, days: number): string {
  const ms = parseDate(date);
  if (ms === null) throw new Error(`bad date ${date}`);
  return new Date(ms + days * 86_400_000).toISOString().slice(0, 10);
}

/** 0 = Monday … 6 = Sunday. */
export function isoWeekdayIndex(date: string): number {
  const ms = parseDate(date);
  if (ms === null) throw new Error(`bad date ${date}`);
  return (new Date(ms).getUTCDay() + 6) % 7;
}

/** The instant at which local wall-clock `minutes` after midnight of `date` occurs in `timeZone`. */
export function zonedToUtc(date: string, minutes: number, timeZone: string): number {
  const day = parseDate(date);
  if (day === null) throw new Error(`bad date ${date}`);
  const local = day + minutes * 60_000;
  const before = local - offsetMs(timeZone, local - 86_400_000);
  const after = local - offsetMs(timeZone, local + 86_400_000);
  const valid = [before, after].filter((t) => localAsUtc(timeZone, t) === local);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: read the wall clock with the offset in force before the jump, landing after it.
  return before;
}

/** The local calendar date of an instant. */
export function localDate(epochMs: number, timeZone: string): string {
  return new Date(localAsUtc(timeZone, epochMs)).toISOString().slice(0, 10);
}

/** Minutes after local midnight of an instant. */
export function localMinuteOfDay(epochMs: number, timeZone: string): number {
  const local = localAsUtc(timeZone, epochMs);
  return Math.floor((local % 86_400_000) / 60_000);
}

/** ISO 8601 with the zone's offset at that instant, e.g. 2026-11-22T10:00:00+08:00. */
export function toZonedIso(epochMs: number, timeZone: string): string {
  const off = offsetMs(timeZone, epochMs);
  const local = new Date(Math.floor(epochMs / 1000) * 1000 + off).toISOString().slice(0, 19);
  const sign = off >= 0 ? "+" : "-";
  const abs = Math.abs(off) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** "HH:MM" (00:00–24:00) to minutes after midnight, or null. */
export function parseHhMm(text: string): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text);
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes <= 1440 ? minutes : null;
}
