import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runningLate, travelGaps } from "../../src/domain/board";
import { clashes, DEFAULT_TRAVEL, travelGapMs } from "../../src/domain/calendar";

const HOUR = 3_600_000;
const A = { lat: 31.23, lng: 121.47 };
const FAR = { lat: 31.43, lng: 121.47 }; // ~22 km north

describe("travelGaps", () => {
  it("gives the travel each job needs after the previous one and flags the gaps that do not fit", () => {
    const jobs = [
      { orderId: "b", start: 3 * HOUR, end: 4 * HOUR, ...FAR },
      { orderId: "a", start: 0, end: HOUR, ...A },
      { orderId: "c", start: 4 * HOUR + 5 * 60_000, end: 5 * HOUR, ...FAR },
    ];
    const gaps = travelGaps(jobs, DEFAULT_TRAVEL);
    expect(gaps.map((g) => [g.fromOrderId, g.toOrderId, g.risk])).toEqual([
      ["a", "b", false],
      ["b", "c", true],
    ]);
    expect(gaps[0]!.minutes).toBe(travelGapMs(A, FAR, DEFAULT_TRAVEL) / 60_000);
    expect(gaps[0]!.availableMinutes).toBe(120);
    expect(gaps[1]!.minutes).toBe(DEFAULT_TRAVEL.bufferMinutes);
  });

  it("flags a gap exactly when the two jobs clash under the calendar's rules", () => {
    const job = fc.record({ start: fc.integer({ min: 0, max: 40 }), hours: fc.integer({ min: 1, max: 3 }), far: fc.boolean() });
    fc.assert(
      fc.property(job, job, (x, y) => {
        const a = { orderId: "a", start: x.start * 15 * 60_000, end: x.start * 15 * 60_000 + x.hours * HOUR, ...(x.far ? FAR : A) };
        const b = {
          orderId: "b",
          start: a.end + y.start * 5 * 60_000,
          end: a.end + y.start * 5 * 60_000 + y.hours * HOUR,
          ...(y.far ? FAR : A),
        };
        const [gap] = travelGaps([a, b], DEFAULT_TRAVEL);
        expect(gap!.risk).toBe(clashes(a, b, DEFAULT_TRAVEL));
      }),
    );
  });
});

describe("runningLate", () => {
  const now = 1_000 * HOUR;
  it("is true when the technician cannot get from where they are to the next job by its start", () => {
    const job = { start: now + 20 * 60_000, end: now + HOUR, ...A };
    expect(runningLate(FAR, job, now, DEFAULT_TRAVEL)).toBe(true);
    expect(runningLate(A, job, now, DEFAULT_TRAVEL)).toBe(false);
    expect(runningLate(null, job, now, DEFAULT_TRAVEL)).toBe(false);
    expect(runningLate(FAR, { ...job, start: now + 3 * HOUR, end: now + 4 * HOUR }, now, DEFAULT_TRAVEL)).toBe(false);
  });
});
