import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { localDate, localMinuteOfDay, parseDate, toZonedIso, zonedToUtc } from "../../src/domain/zoned";

const NY = "America/New_York";
const SH = "Asia/Shanghai";

describe("zonedToUtc", () => {
  it("maps Shanghai wall-clock to UTC at +08:00", () => {
    expect(new Date(zonedToUtc("2026-11-22", 9 * 60, SH)).toISOString()).toBe("2026-11-22T01:00:00.000Z");
  });

  it("resolves a New York spring-forward gap forward (02:30 → 03:30 EDT)", () => {
    expect(new Date(zonedToUtc("2026-03-08", 2 * 60 + 30, NY)).toISOString()).toBe("2026-03-08T07:30:00.000Z");
    expect(toZonedIso(zonedToUtc("2026-03-08", 2 * 60 + 30, NY), NY)).toBe("2026-03-08T03:30:00-04:00");
  });

  it("resolves a New York fall-back repeated hour to the earlier instant (01:30 EDT)", () => {
    expect(new Date(zonedToUtc("2026-11-01", 90, NY)).toISOString()).toBe("2026-11-01T05:30:00.000Z");
  });

  it("round-trips every non-gap local minute (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 730 }),
        fc.integer({ min: 0, max: 1439 }),
        fc.constantFrom(NY, SH, "Europe/London", "UTC"),
        (dayOffset, minute, tz) => {
          const date = new Date(Date.UTC(2026, 0, 1) + dayOffset * 86_400_000).toISOString().slice(0, 10);
          const t = zonedToUtc(date, minute, tz);
          const back = localMinuteOfDay(t, tz);
          if (localDate(t, tz) === date && back === minute) return true;
          // only a daylight-saving gap may move the wall clock, and then forward by the jump
          return localDate(t, tz) === date && back > minute && back - minute <= 60;
        },
      ),
    );
  });
});

describe("parseDate", () => {
  it("accepts real dates and rejects impossible ones", () => {
    expect(parseDate("2026-02-28")).not.toBeNull();
    expect(parseDate("2026-02-30")).toBeNull();
    expect(parseDate("2026-2-3")).toBeNull();
  });
});

describe("toZonedIso", () => {
  it("shows the offset in force at the instant", () => {
    expect(toZonedIso(Date.UTC(2026, 6, 1, 12), NY)).toBe("2026-07-01T08:00:00-04:00");
    expect(toZonedIso(Date.UTC(2026, 11, 1, 12), NY)).toBe("2026-12-01T07:00:00-05:00");
    expect(toZonedIso(Date.UTC(2026, 11, 1, 12), SH)).toBe("2026-12-01T20:00:00+08:00");
  });
});
