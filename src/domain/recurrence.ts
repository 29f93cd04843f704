/**
 * Recurring visits: the RRULE subset a series follows, expanded to local dates, and each date's
 * start as an instant at the series' wall-clock time in the city's zone. Pure: no bindings.
 *
 * The subset (RFC 5545 semantics): weekly on chosen days every N weeks (`FREQ=WEEKLY;INTERVAL=N;
 * BYDAY=MO,TH`), monthly on a day of the month every N months (`FREQ=MONTHLY;BYMONTHDAY=15`; a month
 * without that day has no visit, as in RFC 5545), monthly on the nth weekday (`BYDAY=2TU`, or `-1FR`
 * for the last). Start date counts as the first possible date; `count` counts visits from the start,
 * `until` ends on that local date inclusive.
 *
 * Time stays on the wall clock: a 09:00 series is at 09:00 local time on every date, whatever the
 * UTC offset of that date (daylight saving), because each instant is computed from its own local
 * date (`zonedToUtc`), never by adding days to a previous instant. A time that does not exist on a
 * spring-forward night resolves forward, as zoned.ts does.
 */
import { WEEKDAYS, type Weekday } from "./shifts";
import { addDays, isoWeekdayIndex, parseDate, zonedToUtc } from "./zoned";

export type RecurrenceRule =
  | { freq: "weekly"; interval: number; byDay: Weekday[] }
  | { freq: "monthly"; interval: number; byMonthDay: number }
  | { freq: "monthly"; interval: number; byWeekday: { day: Weekday; nth: 1 | 2 | 3 | 4 | -1 } };

export interface SeriesBounds {
  /** First date a visit may fall on (YYYY-MM-DD, local). */
  startDate: string;
  /** Last date a visit may fall on, inclusive; null: open-ended (unless `count`). */
  untilDate: string | null;
  /** How many visits in all, counted from the start; null: unbounded (unless `until`). */
  count: number | null;
}

/** The most dates one expansion walks (a guard against pathological rules; years of weekly visits). */
export const MAX_EXPANSION = 2000;

const RRULE_DAYS: Record<Weekday, string> = { mon: "MO", tue: "TU", wed: "WE", thu: "TH", fri: "FR", sat: "SA", sun: "SU" };

/** The rule as an RFC 5545 RRULE value, e.g. `FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH`. */
export function rruleOf(rule: RecurrenceRule, bounds?: Pick<SeriesBounds, "untilDate" | "count">): string {
  const parts = [`FREQ=${rule.freq.toUpperCase()}`, `INTERVAL=${rule.interval}`];
  if (rule.freq === "weekly")
    parts.push(
      `BYDAY=${sortedDays(rule.byDay)
        .map((d) => RRULE_DAYS[d])
        .join(",")}`,
    );
  else if ("byMonthDay" in rule) parts.push(`BYMONTHDAY=${rule.byMonthDay}`);
  else parts.push(`BYDAY=${rule.byWeekday.nth}${RRULE_DAYS[rule.byWeekday.day]}`);
  if (bounds?.count != null) parts.push(`COUNT=${bounds.count}`);
  if (bounds?.untilDate) parts.push(`UNTIL=${bounds.untilDate.replaceAll("-", "")}`);
  return parts.join(";");
}

function sortedDays(days: readonly Weekday[]): Weekday[] {
  return [...new Set(days)].sort((a, b) => WEEKDAYS.indexOf(a) - WEEKDAYS.indexOf(b));
}

function ym(date: string): { y: number; m: number } {
  return { y: Number(date.slice(0, 4)), m: Number(date.slice(5, 7)) - 1 };
}

function iso(y: number, m: number, d: number): string | null {
  const at = new Date(Date.UTC(y, m, d));
  // Day 31 of a 30-day month rolls over into the next: that month has no such date.
  return at.getUTCMonth() === m && at.getUTCDate() === d ? at.toISOString().slice(0, 10) : null;
}

/** The nth (1…4, or -1 last) `day` of the month (y, m), as YYYY-MM-DD. */
function nthWeekday(y: number, m: number, day: Weekday, nth: number): string {
  const want = WEEKDAYS.indexOf(day);
  if (nth > 0) {
    const first = iso(y, m, 1)!;
    const offset = (want - isoWeekdayIndex(first) + 7) % 7;
    return addDays(first, offset + (nth - 1) * 7);
  }
  const last = new Date(Date.UTC(y, m + 1, 0)).toISOString().slice(0, 10);
  return addDays(last, -((isoWeekdayIndex(last) - want + 7) % 7));
}

/** Candidate dates of the rule in ascending order from the start (not yet bounded by until/count). */
function* candidates(rule: RecurrenceRule, startDate: string): Generator<string> {
  if (rule.freq === "weekly") {
    const days = sortedDays(rule.byDay).map((d) => WEEKDAYS.indexOf(d));
    // Weeks are counted from the Monday of the start's week (RRULE's WKST=MO).
    let monday = addDays(startDate, -isoWeekdayIndex(startDate));
    for (;;) {
      for (const d of days) {
        const date = addDays(monday, d);
        if (date >= startDate) yield date;
      }
      monday = addDays(monday, 7 * rule.interval);
    }
  }
  const { y, m } = ym(startDate);
  for (let k = 0; ; k += rule.interval) {
    const yy = y + Math.floor((m + k) / 12);
    const mm = (m + k) % 12;
    const date = "byMonthDay" in rule ? iso(yy, mm, rule.byMonthDay) : nthWeekday(yy, mm, rule.byWeekday.day, rule.byWeekday.nth);
    if (date && date >= startDate) yield date;
    if (k > MAX_EXPANSION * 12) return;
  }
}

/**
 * The series' visit dates in [from, to] (local dates, inclusive), ascending, with their ordinal
 * (1 = the series' first visit, so `count` bounds them). Walks from the start: at most MAX_EXPANSION dates.
 */
export function occurrenceDates(rule: RecurrenceRule, bounds: SeriesBounds, from: string, to: string): { date: string; n: number }[] {
  const out: { date: string; n: number }[] = [];
  let n = 0;
  for (const date of candidates(rule, bounds.startDate)) {
    n += 1;
    if (n > MAX_EXPANSION) break;
    if (bounds.count !== null && n > bounds.count) break;
    if (bounds.untilDate !== null && date > bounds.untilDate) break;
    if (date > to) break;
    if (date >= from) out.push({ date, n });
  }
  return out;
}

/** The series' first visit date, or null when the rule gives none within its bounds. */
export function firstDate(rule: RecurrenceRule, bounds: SeriesBounds): string | null {
  if (bounds.count === 0) return null;
  const first = candidates(rule, bounds.startDate).next();
  if (first.done) return null;
  return bounds.untilDate !== null && first.value > bounds.untilDate ? null : first.value;
}

/** How many visits the series has before `date` (its ordinal count up to the day before). */
export function visitsBefore(rule: RecurrenceRule, bounds: SeriesBounds, date: string): number {
  if (date <= bounds.startDate) return 0;
  return occurrenceDates(rule, bounds, bounds.startDate, addDays(date, -1)).length;
}

/** The start of the visit on a local date at `minutes` after local midnight in `timeZone`. */
export function occurrenceStart(date: string, minutes: number, timeZone: string): number {
  return zonedToUtc(date, minutes, timeZone);
}

/** Problems with a rule and its bounds as input paths and messages (empty when it is valid). */
export function checkRule(rule: RecurrenceRule, bounds: SeriesBounds): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (parseDate(bounds.startDate) === null) problems.push({ path: "body.startDate", message: "not a real date" });
  if (bounds.untilDate !== null) {
    if (parseDate(bounds.untilDate) === null) problems.push({ path: "body.untilDate", message: "not a real date" });
    else if (bounds.untilDate < bounds.startDate) problems.push({ path: "body.untilDate", message: "before the start date" });
  }
  if (bounds.untilDate !== null && bounds.count !== null)
    problems.push({ path: "body.count", message: "give an end date or a count, not both" });
  if (rule.freq === "weekly" && rule.byDay.length === 0) problems.push({ path: "body.rule.byDay", message: "at least one day" });
  if (problems.length === 0 && firstDate(rule, bounds) === null)
    problems.push({ path: "body.rule", message: "the rule gives no visit between the start and the end" });
  return problems;
}
