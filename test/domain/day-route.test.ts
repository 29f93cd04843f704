import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_TRAVEL, travelGapMs } from "../../src/domain/calendar";
import { dayRoute, legBetween, type DayJob } from "../../src/domain/day-route";

const M = 60_000;
const home = { lat: 31.2304, lng: 121.4737 };
const at = (dLat: number, dLng: number) => ({ lat: home.lat + dLat, lng: home.lng + dLng });
const T0 = Date.UTC(2026, 11, 7, 1, 0); // 09:00 in Shanghai

describe("dayRoute", () => {
  it("orders jobs by their planned start and never moves them", () => {
    const jobs: DayJob[] = [
      { id: "b", point: at(0.02, 0), start: T0 + 240 * M, end: T0 + 300 * M },
      { id: "a", point: at(0.01, 0), start: T0, end: T0 + 120 * M },
    ];
    const r = dayRoute(home, jobs, DEFAULT_TRAVEL);
    expect(r.stops.map((s) => s.job.id)).toEqual(["a", "b"]);
    expect(r.stops.map((s) => s.job.start)).toEqual([T0, T0 + 240 * M]);
  });

  it("times each leg with the travel model: ETA is the previous end plus the driving minutes", () => {
    const a = at(0.01, 0.01);
    const b = at(0.05, -0.02);
    const jobs: DayJob[] = [
      { id: "a", point: a, start: T0, end: T0 + 90 * M },
      { id: "b", point: b, start: T0 + 180 * M, end: T0 + 240 * M },
    ];
    const r = dayRoute(home, jobs, DEFAULT_TRAVEL);
    const first = legBetween(home, a, DEFAULT_TRAVEL);
    const second = legBetween(a, b, DEFAULT_TRAVEL);
    expect(r.leaveHomeAt).toBe(T0 - first.travelMinutes * M);
    expect(r.stops[0]!.eta).toBe(T0);
    expect(r.stops[1]!.eta).toBe(T0 + 90 * M + second.travelMinutes * M);
    expect(r.home!.eta).toBe(T0 + 240 * M + legBetween(b, home, DEFAULT_TRAVEL).travelMinutes * M);
    expect(r.totals.travelMinutes).toBe(first.travelMinutes + second.travelMinutes + r.home!.travelMinutes);
    expect(r.totals.lateRisks).toBe(0);
  });

  it("flags a stop that cannot be reached by its start", () => {
    const jobs: DayJob[] = [
      { id: "a", point: at(0, 0), start: T0, end: T0 + 60 * M },
      { id: "far", point: at(0.3, 0.3), start: T0 + 61 * M, end: T0 + 120 * M },
    ];
    const r = dayRoute(home, jobs, DEFAULT_TRAVEL);
    expect(r.stops[1]!.lateRisk).toBe(true);
    expect(r.totals.lateRisks).toBe(1);
  });

  it("has no legs on a day without jobs", () => {
    const r = dayRoute(home, [], DEFAULT_TRAVEL);
    expect(r).toEqual({ stops: [], leaveHomeAt: null, home: null, totals: { distanceKm: 0, travelMinutes: 0, lateRisks: 0 } });
  });

  it("finds no late risk in any calendar the cell would accept (gaps of at least the travel gap)", () => {
    const job = fc.record({
      dLat: fc.double({ min: -0.1, max: 0.1, noNaN: true }),
      dLng: fc.double({ min: -0.1, max: 0.1, noNaN: true }),
      minutes: fc.integer({ min: 30, max: 240 }),
    });
    fc.assert(
      fc.property(fc.array(job, { maxLength: 8 }), (specs) => {
        const jobs: DayJob[] = [];
        let free = T0;
        specs.forEach((s, i) => {
          const point = at(s.dLat, s.dLng);
          const prev = jobs[i - 1];
          const start = prev ? prev.end + travelGapMs(prev.point, point, DEFAULT_TRAVEL) : free;
          jobs.push({ id: `j${i}`, point, start, end: start + s.minutes * M });
          free = start + s.minutes * M;
        });
        const r = dayRoute(home, [...jobs].reverse(), DEFAULT_TRAVEL);
        expect(r.stops.map((s) => s.job.id)).toEqual(jobs.map((j) => j.id));
        expect(r.totals.lateRisks).toBe(0);
        r.stops.forEach((s) => expect(s.eta).toBeLessThanOrEqual(s.job.start));
      }),
    );
  });
});
