import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { clashes, DEFAULT_TRAVEL, travelGapMs } from "../../src/domain/calendar";
import { planDay, type FlexibleJob } from "../../src/domain/day-plan";
import { dayRoute, legBetween, type DayJob } from "../../src/domain/day-route";

const M = 60_000;
const home = { lat: 31.2304, lng: 121.4737 };
const at = (dLat: number, dLng: number) => ({ lat: home.lat + dLat, lng: home.lng + dLng });
const DAY = Date.UTC(2026, 11, 7, 0, 0); // 08:00 in Shanghai
const shift = { from: DAY, to: DAY + 12 * 60 * M };
const RUN = { budgetMs: 10_000, maxIterations: 300, seed: 7 };

describe("planDay", () => {
  it("puts flexible jobs inside their windows and leaves the fixed ones where they are", () => {
    const fixed: DayJob[] = [{ id: "fixed", point: at(0.01, 0), start: DAY + 180 * M, end: DAY + 240 * M }];
    const flexible: FlexibleJob[] = [
      { id: "a", point: at(0.02, 0.01), earliest: DAY, latest: DAY + 600 * M, durationMs: 90 * M },
      { id: "b", point: at(-0.02, 0.01), earliest: DAY + 60 * M, latest: DAY + 120 * M, durationMs: 60 * M },
    ];
    const plan = planDay(home, fixed, flexible, DEFAULT_TRAVEL, shift, RUN);
    expect(plan.unplaced).toEqual([]);
    expect(plan.jobs.find((j) => j.id === "fixed")).toEqual(fixed[0]);
    const b = plan.jobs.find((j) => j.id === "b")!;
    expect(b.start).toBeGreaterThanOrEqual(DAY + 60 * M);
    expect(b.start).toBeLessThanOrEqual(DAY + 120 * M);
    expect(b.end - b.start).toBe(60 * M);
    expect(dayRoute(home, plan.jobs, DEFAULT_TRAVEL).totals.lateRisks).toBe(0);
  });

  it("visits flexible jobs in an order that drives no further than the best of all orders", () => {
    const spots = [at(0.05, 0.01), at(-0.02, 0.04), at(0.03, -0.05), at(-0.04, -0.02)];
    const flexible: FlexibleJob[] = spots.map((point, k) => ({
      id: `j${k}`,
      point,
      earliest: DAY,
      latest: DAY + 600 * M,
      durationMs: 30 * M,
    }));
    const plan = planDay(home, [], flexible, DEFAULT_TRAVEL, shift, RUN);
    const km = (tour: { lat: number; lng: number }[]) =>
      [home, ...tour].reduce((sum, p, i, all) => sum + legBetween(p, all[i + 1] ?? home, DEFAULT_TRAVEL).distanceKm, 0);
    const orders = (xs: number[]): number[][] =>
      xs.length <= 1 ? [xs] : xs.flatMap((x) => orders(xs.filter((y) => y !== x)).map((r) => [x, ...r]));
    const best = Math.min(...orders([0, 1, 2, 3]).map((o) => km(o.map((k) => spots[k]!))));
    expect(plan.unplaced).toEqual([]);
    expect(km(plan.jobs.map((j) => j.point))).toBeLessThanOrEqual(best + 1e-9);
  });

  it("leaves out a flexible job that fits nowhere, and never touches the fixed day", () => {
    const fixed: DayJob[] = [{ id: "all-day", point: at(0, 0), start: DAY + 10 * M, end: DAY + 700 * M }];
    const flexible: FlexibleJob[] = [{ id: "x", point: at(0.01, 0), earliest: DAY + 60 * M, latest: DAY + 120 * M, durationMs: 60 * M }];
    const plan = planDay(home, fixed, flexible, DEFAULT_TRAVEL, shift, RUN);
    expect(plan).toEqual({ jobs: fixed, unplaced: ["x"] });
  });

  it("never plans a clash the cell would refuse, never moves a fixed job, keeps every flexible job in its window", () => {
    const spot = fc.record({
      dLat: fc.double({ min: -0.08, max: 0.08, noNaN: true }),
      dLng: fc.double({ min: -0.08, max: 0.08, noNaN: true }),
    });
    const fixedSpec = fc.array(fc.record({ spot, gap: fc.integer({ min: 0, max: 120 }), minutes: fc.integer({ min: 30, max: 120 }) }), {
      maxLength: 3,
    });
    const flexSpec = fc.array(
      fc.record({
        spot,
        from: fc.integer({ min: 0, max: 600 }),
        width: fc.integer({ min: 0, max: 300 }),
        minutes: fc.integer({ min: 30, max: 120 }),
      }),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(fixedSpec, flexSpec, (fs, xs) => {
        const fixed: DayJob[] = [];
        fs.forEach((f, i) => {
          const point = at(f.spot.dLat, f.spot.dLng);
          const prev = fixed[i - 1];
          const start = (prev ? prev.end + travelGapMs(prev.point, point, DEFAULT_TRAVEL) : DAY + 60 * M) + f.gap * M;
          fixed.push({ id: `f${i}`, point, start, end: start + f.minutes * M });
        });
        const flexible: FlexibleJob[] = xs.map((x, i) => ({
          id: `x${i}`,
          point: at(x.spot.dLat, x.spot.dLng),
          earliest: DAY + x.from * M,
          latest: DAY + (x.from + x.width) * M,
          durationMs: x.minutes * M,
        }));
        const plan = planDay(home, fixed, flexible, DEFAULT_TRAVEL, shift, { budgetMs: 10_000, maxIterations: 60, seed: 3 });
        for (const f of fixed) expect(plan.jobs).toContainEqual(f);
        expect(plan.jobs.length + plan.unplaced.length).toBe(fixed.length + flexible.length);
        for (const j of plan.jobs) {
          const f = flexible.find((x) => x.id === j.id);
          if (!f) continue;
          expect(j.start).toBeGreaterThanOrEqual(f.earliest);
          expect(j.start).toBeLessThanOrEqual(f.latest);
          expect(j.end - j.start).toBe(f.durationMs);
        }
        for (let i = 0; i < plan.jobs.length; i++)
          for (let k = i + 1; k < plan.jobs.length; k++)
            expect(
              clashes({ ...plan.jobs[i]!, ...plan.jobs[i]!.point }, { ...plan.jobs[k]!, ...plan.jobs[k]!.point }, DEFAULT_TRAVEL),
            ).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
