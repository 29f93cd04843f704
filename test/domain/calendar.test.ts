import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkWeekly, clashes, DEFAULT_TRAVEL, shiftWindows, slotStarts, travelGapMs, type Placed } from "../../src/domain/calendar";
import { DEFAULT_WEEKLY_SHIFTS } from "../../src/domain/shifts";
import { localMinuteOfDay } from "../../src/domain/zoned";

const NY = "America/New_York";
const SH = "Asia/Shanghai";
const H = 3_600_000;
const none = new Map<string, never[]>();

describe("slotStarts", () => {
  it("gives 48 half-hour slots on an ordinary day", () => {
    expect(slotStarts("2026-11-22", SH, 30)).toHaveLength(48);
    expect(slotStarts("2026-06-10", NY, 30)).toHaveLength(48);
  });

  it("skips the missing hour on a spring-forward day without shifting the rest", () => {
    const starts = slotStarts("2026-03-08", NY, 30);
    expect(starts).toHaveLength(46);
    const minutes = starts.map((t) => localMinuteOfDay(t, NY));
    expect(minutes).not.toContain(120);
    expect(minutes).not.toContain(150);
    expect(minutes.every((m) => m % 30 === 0)).toBe(true);
  });

  it("keeps both instants of the repeated hour on a fall-back day, none duplicated", () => {
    const starts = slotStarts("2026-11-01", NY, 30);
    expect(starts).toHaveLength(50);
    expect(new Set(starts).size).toBe(50);
    expect(starts.every((t, i) => i === 0 || t > starts[i - 1]!)).toBe(true);
  });
});

describe("shiftWindows", () => {
  it("is 12 real hours for 08:00–20:00 on both DST change days in New York", () => {
    for (const date of ["2026-03-08", "2026-11-01"]) {
      const [w] = shiftWindows(DEFAULT_WEEKLY_SHIFTS, none, date, NY);
      expect(w![1] - w![0]).toBe(12 * H);
      expect(localMinuteOfDay(w![0], NY)).toBe(8 * 60);
    }
  });

  it("counts real elapsed time across a change: 00:00–04:00 is 3 h in spring and 5 h in autumn", () => {
    const weekly = { ...DEFAULT_WEEKLY_SHIFTS, sun: [{ start: "00:00", end: "04:00" }] };
    expect(shiftWindows(weekly, none, "2026-03-08", NY).map(([a, b]) => b - a)).toEqual([3 * H]);
    expect(shiftWindows(weekly, none, "2026-11-01", NY).map(([a, b]) => b - a)).toEqual([5 * H]);
  });

  it("lets a dated exception replace the day (empty = leave)", () => {
    const ex = new Map([["2026-11-23", []]]);
    expect(shiftWindows(DEFAULT_WEEKLY_SHIFTS, ex, "2026-11-23", SH)).toEqual([]);
    const extra = new Map([["2026-11-23", [{ start: "06:00", end: "23:00" }]]]);
    expect(
      shiftWindows(DEFAULT_WEEKLY_SHIFTS, extra, "2026-11-23", SH)[0]![1] -
        shiftWindows(DEFAULT_WEEKLY_SHIFTS, extra, "2026-11-23", SH)[0]![0],
    ).toBe(17 * H);
  });

  it("treats 24:00 as the next local midnight", () => {
    const weekly = { ...DEFAULT_WEEKLY_SHIFTS, sat: [{ start: "20:00", end: "24:00" }] };
    const [w] = shiftWindows(weekly, none, "2026-11-21", SH);
    expect(w![1] - w![0]).toBe(4 * H);
  });
});

describe("travel and clashes", () => {
  const at = (start: number, end: number, lat = 31.2, lng = 121.4): Placed => ({ start: start * H, end: end * H, lat, lng });

  it("needs at least the buffer between jobs at the same address", () => {
    expect(travelGapMs({ lat: 31.2, lng: 121.4 }, { lat: 31.2, lng: 121.4 }, DEFAULT_TRAVEL)).toBe(10 * 60_000);
    expect(clashes(at(9, 10), at(10, 11), DEFAULT_TRAVEL)).toBe(true);
    expect(clashes(at(9, 10), at(10.25, 11), DEFAULT_TRAVEL)).toBe(false);
  });

  it("needs travel time between distant jobs (about 20 km → ~67 min plus buffer)", () => {
    const far = (s: number, e: number) => at(s, e, 31.2 + 0.18, 121.4);
    expect(clashes(at(9, 10), far(11, 12), DEFAULT_TRAVEL)).toBe(true);
    expect(clashes(at(9, 10), far(11.5, 12), DEFAULT_TRAVEL)).toBe(false);
  });

  it("is symmetric (property)", () => {
    const job = fc.record({
      s: fc.integer({ min: 0, max: 200 }),
      d: fc.integer({ min: 1, max: 16 }),
      lat: fc.double({ min: 31, max: 31.5, noNaN: true }),
      lng: fc.double({ min: 121, max: 121.8, noNaN: true }),
    });
    fc.assert(
      fc.property(job, job, (a, b) => {
        const pa = { start: a.s * 900_000, end: (a.s + a.d) * 900_000, lat: a.lat, lng: a.lng };
        const pb = { start: b.s * 900_000, end: (b.s + b.d) * 900_000, lat: b.lat, lng: b.lng };
        return clashes(pa, pb, DEFAULT_TRAVEL) === clashes(pb, pa, DEFAULT_TRAVEL);
      }),
    );
  });
});

describe("checkWeekly", () => {
  it("rejects malformed, reversed and overlapping intervals with paths", () => {
    const weekly = {
      ...DEFAULT_WEEKLY_SHIFTS,
      mon: [{ start: "25:00", end: "26:00" }],
      tue: [{ start: "10:00", end: "09:00" }],
      wed: [
        { start: "08:00", end: "12:00" },
        { start: "11:00", end: "13:00" },
      ],
    };
    const paths = checkWeekly(weekly).map((p) => p.path);
    expect(paths).toEqual(["weekly.mon.0.start", "weekly.tue.0.end", "weekly.wed.1"]);
    expect(checkWeekly(DEFAULT_WEEKLY_SHIFTS)).toEqual([]);
  });
});
