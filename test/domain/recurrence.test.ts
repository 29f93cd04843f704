import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRule, occurrenceDates, occurrenceStart, rruleOf, visitsBefore, type RecurrenceRule } from "../../src/domain/recurrence";
import { WEEKDAYS } from "../../src/domain/shifts";
import { addDays, isoWeekdayIndex, localDate, localMinuteOfDay, offsetMs } from "../../src/domain/zoned";

const DST_ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney"] as const;

const day = fc.constantFrom(...WEEKDAYS);
const rule: fc.Arbitrary<RecurrenceRule> = fc.oneof(
  fc.record({
    freq: fc.constant("weekly" as const),
    interval: fc.integer({ min: 1, max: 4 }),
    byDay: fc.uniqueArray(day, { minLength: 1, maxLength: 7 }),
  }),
  fc.record({
    freq: fc.constant("monthly" as const),
    interval: fc.integer({ min: 1, max: 3 }),
    byMonthDay: fc.integer({ min: 1, max: 31 }),
  }),
  fc.record({
    freq: fc.constant("monthly" as const),
    interval: fc.integer({ min: 1, max: 3 }),
    byWeekday: fc.record({ day, nth: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const, -1 as const) }),
  }),
);
/** Start dates over two years that cross every DST change of the zones above. */
const startDate = fc.integer({ min: 0, max: 730 }).map((d) => addDays("2026-01-01", d));
/** Wall-clock times outside the 01:00–04:00 band where DST jumps happen (those are tested on their own below). */
const safeMinutes = fc.oneof(fc.integer({ min: 5 * 60, max: 23 * 60 + 59 }), fc.integer({ min: 0, max: 59 }));

describe("series dates (RRULE subset)", () => {
  it("weekly on Mon and Thu every two weeks: the right days, weeks counted from the start's week", () => {
    const dates = occurrenceDates(
      { freq: "weekly", interval: 2, byDay: ["mon", "thu"] },
      { startDate: "2026-03-04", untilDate: null, count: 5 },
      "2026-01-01",
      "2026-12-31",
    ).map((d) => d.date);
    // 2026-03-04 is a Wednesday: that week's Thursday, then every other week.
    expect(dates).toEqual(["2026-03-05", "2026-03-16", "2026-03-19", "2026-03-30", "2026-04-02"]);
    expect(rruleOf({ freq: "weekly", interval: 2, byDay: ["thu", "mon"] }, { untilDate: null, count: 5 })).toBe(
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=5",
    );
  });

  it("monthly by day skips months without the day; by weekday finds the nth and the last", () => {
    const byDay = occurrenceDates(
      { freq: "monthly", interval: 1, byMonthDay: 31 },
      { startDate: "2026-01-01", untilDate: "2026-06-30", count: null },
      "2026-01-01",
      "2026-12-31",
    );
    expect(byDay.map((d) => d.date)).toEqual(["2026-01-31", "2026-03-31", "2026-05-31"]);
    const second = occurrenceDates(
      { freq: "monthly", interval: 1, byWeekday: { day: "tue", nth: 2 } },
      { startDate: "2026-01-01", untilDate: null, count: 3 },
      "2026-01-01",
      "2026-12-31",
    );
    expect(second.map((d) => d.date)).toEqual(["2026-01-13", "2026-02-10", "2026-03-10"]);
    const last = occurrenceDates(
      { freq: "monthly", interval: 2, byWeekday: { day: "fri", nth: -1 } },
      { startDate: "2026-01-01", untilDate: null, count: 3 },
      "2026-01-01",
      "2026-12-31",
    );
    expect(last.map((d) => d.date)).toEqual(["2026-01-30", "2026-03-27", "2026-05-29"]);
  });

  it("refuses a rule that gives no visit, an end before the start, and an end date together with a count", () => {
    expect(
      checkRule({ freq: "monthly", interval: 12, byMonthDay: 30 }, { startDate: "2026-02-01", untilDate: "2026-03-01", count: null }),
    ).toEqual([{ path: "body.rule", message: "the rule gives no visit between the start and the end" }]);
    expect(
      checkRule({ freq: "weekly", interval: 1, byDay: ["mon"] }, { startDate: "2026-02-01", untilDate: "2026-01-01", count: null })[0]
        ?.path,
    ).toBe("body.untilDate");
    expect(
      checkRule({ freq: "weekly", interval: 1, byDay: ["mon"] }, { startDate: "2026-02-01", untilDate: "2026-03-01", count: 3 })[0]?.path,
    ).toBe("body.count");
  });

  it("property: dates are unique, ascending, on the rule's days, within the bounds, and windows never disagree", () => {
    fc.assert(
      fc.property(rule, startDate, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 400 }), (r, start, count, span) => {
        const bounds = { startDate: start, untilDate: null, count };
        const all = occurrenceDates(r, bounds, start, "2030-12-31");
        expect(all.length).toBeLessThanOrEqual(count);
        expect(all.map((d) => d.n)).toEqual(all.map((_, i) => i + 1));
        for (let i = 1; i < all.length; i += 1) expect(all[i]!.date > all[i - 1]!.date).toBe(true);
        for (const { date } of all) {
          expect(date >= start).toBe(true);
          if (r.freq === "weekly") expect(r.byDay.includes(WEEKDAYS[isoWeekdayIndex(date)]!)).toBe(true);
          else if ("byMonthDay" in r) expect(Number(date.slice(8))).toBe(r.byMonthDay);
          else expect(WEEKDAYS[isoWeekdayIndex(date)]).toBe(r.byWeekday.day);
        }
        // A rolling horizon sees each date in exactly one window, with the same ordinal.
        const cut = addDays(start, span);
        const windows = [...occurrenceDates(r, bounds, start, cut), ...occurrenceDates(r, bounds, addDays(cut, 1), "2030-12-31")];
        expect(windows).toEqual(all);
        if (all.length > 0) expect(visitsBefore(r, bounds, all.at(-1)!.date)).toBe(all.length - 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("series times across daylight saving", () => {
  it("property: a visit is at the chosen wall-clock time on its own date in every DST zone (no drift)", () => {
    fc.assert(
      fc.property(rule, startDate, safeMinutes, fc.constantFrom(...DST_ZONES), (r, start, minutes, zone) => {
        const dates = occurrenceDates(r, { startDate: start, untilDate: null, count: 40 }, start, "2030-12-31");
        for (const { date } of dates) {
          const at = occurrenceStart(date, minutes, zone);
          expect(localDate(at, zone)).toBe(date);
          expect(localMinuteOfDay(at, zone)).toBe(minutes);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("09:00 in Berlin stays 09:00 across the spring and autumn changes while the UTC hour moves", () => {
    const dates = occurrenceDates(
      { freq: "weekly", interval: 1, byDay: ["sun"] },
      { startDate: "2026-03-22", untilDate: "2026-11-01", count: null },
      "2026-03-22",
      "2026-11-01",
    ).map((d) => d.date);
    const starts = dates.map((d) => occurrenceStart(d, 9 * 60, "Europe/Berlin"));
    expect(starts.map((t) => localMinuteOfDay(t, "Europe/Berlin"))).toEqual(dates.map(() => 540));
    // Before the change on 29 March 09:00 is 08:00 UTC, after it 07:00 UTC; after 25 October 08:00 UTC again.
    expect(new Date(starts[0]!).toISOString()).toBe("2026-03-22T08:00:00.000Z");
    expect(new Date(starts[1]!).toISOString()).toBe("2026-03-29T07:00:00.000Z");
    expect(new Date(starts.at(-1)!).toISOString()).toBe("2026-11-01T08:00:00.000Z");
    // Consecutive Sundays are 7 days apart on the wall clock but not always 168 hours apart.
    const gaps = new Set(starts.slice(1).map((t, i) => (t - starts[i]!) / 3_600_000));
    expect([...gaps].sort()).toEqual([167, 168, 169]);
  });

  it("a time that does not exist on the spring-forward night lands after the jump, and the next visit is back on time", () => {
    const jump = occurrenceStart("2026-03-08", 2 * 60 + 30, "America/New_York");
    expect(localMinuteOfDay(jump, "America/New_York")).toBe(3 * 60 + 30);
    const next = occurrenceStart("2026-03-15", 2 * 60 + 30, "America/New_York");
    expect(localMinuteOfDay(next, "America/New_York")).toBe(2 * 60 + 30);
    expect(offsetMs("America/New_York", next)).toBe(-4 * 3_600_000);
  });

  it("property: a series' own visits never overlap one another (distinct dates, each start within its date)", () => {
    fc.assert(
      fc.property(
        rule,
        startDate,
        safeMinutes,
        fc.constantFrom(...DST_ZONES),
        fc.integer({ min: 30, max: 600 }),
        (r, start, minutes, zone, duration) => {
          const dates = occurrenceDates(r, { startDate: start, untilDate: null, count: 30 }, start, "2030-12-31");
          const intervals = dates.map(({ date }) => {
            const s = occurrenceStart(date, minutes, zone);
            return [s, s + duration * 60_000] as const;
          });
          for (let i = 1; i < intervals.length; i += 1) {
            // A visit that ends before midnight cannot reach the next date's visit at the same wall-clock time.
            if (minutes + duration <= 24 * 60) expect(intervals[i]![0] >= intervals[i - 1]![1]).toBe(true);
            expect(intervals[i]![0] > intervals[i - 1]![0]).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
