import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_FORECAST_RULE,
  HOURS_PER_WEEK,
  forecastWeek,
  hourPhase,
  hourStart,
  mape,
  robustMean,
  trendFactor,
} from "../../src/domain/forecast";
import { offsetMs } from "../../src/domain/zoned";
import { demandHistory } from "../support/demand-model";

const flat = (v: number) => Array.from({ length: HOURS_PER_WEEK }, () => v);

describe("MAPE", () => {
  it("matches hand-checked values", () => {
    // |90−100|/100 = 10 %, |30−20|/20 = 50 %, |5−4|/4 = 25 % → 85 / 3.
    expect(
      mape([
        { forecast: 90, actual: 100 },
        { forecast: 30, actual: 20 },
        { forecast: 5, actual: 4 },
      ]),
    ).toBeCloseTo(85 / 3, 10);
    expect(mape([{ forecast: 0, actual: 8 }])).toBe(100);
    expect(mape([{ forecast: 3, actual: 3 }])).toBe(0);
  });

  it("leaves out hours with no demand, and is null with none left", () => {
    expect(
      mape([
        { forecast: 7, actual: 0 },
        { forecast: 12, actual: 10 },
      ]),
    ).toBeCloseTo(20, 10);
    expect(mape([{ forecast: 7, actual: 0 }])).toBeNull();
    expect(mape([])).toBeNull();
  });
});

describe("the seasonal baseline", () => {
  it("drops the highest and lowest of four or more weeks, takes the median of fewer", () => {
    expect(robustMean([10, 12, 11, 100])).toBe(11.5);
    expect(robustMean([1, 9, 5])).toBe(5);
    expect(robustMean([2, 4])).toBe(3);
    expect(robustMean([])).toBe(0);
  });

  it("a steady history is forecast as itself", () => {
    const history = [flat(3), flat(3), flat(3), flat(3)];
    expect(forecastWeek(history)).toEqual(flat(3));
  });

  it("the trend factor stays within 1 ± cap however the weeks move", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(50), { minLength: 2, maxLength: 8 }), fc.double({ min: 0, max: 1, noNaN: true }), (levels, cap) => {
        const f = trendFactor(levels.map(flat), { ...DEFAULT_FORECAST_RULE, trendCap: cap });
        expect(f).toBeGreaterThanOrEqual(1 - cap - 1e-12);
        expect(f).toBeLessThanOrEqual(1 + cap + 1e-12);
      }),
    );
  });

  it("demand already known for an hour is a floor", () => {
    const known = flat(0);
    known[30] = 9;
    const f = forecastWeek([flat(2), flat(2)], DEFAULT_FORECAST_RULE, known);
    expect(f[30]).toBe(9);
    expect(f[31]).toBe(2);
  });
});

describe("forecast against the demand model", () => {
  it("trained on weeks 1..k beats the naive last-week forecast of the held-out week k+1", () => {
    let wins = 0;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const seed of seeds) {
      const weeks = demandHistory({ weeks: 7, seed });
      const train = weeks.slice(0, 6);
      const held = weeks[6]!;
      const points = (f: number[]) => held.map((actual, h) => ({ forecast: f[h]!, actual }));
      const ours = mape(points(forecastWeek(train)))!;
      const naive = mape(points(train.at(-1)!))!;
      if (ours < naive) wins += 1;
      // On average over every seed too, by a clear margin.
      expect(ours).toBeLessThan(naive);
    }
    expect(wins).toBe(seeds.length);
  });
});

describe("local hour starts", () => {
  const phaseOf = (zone: string) => hourPhase(offsetMs(zone, Date.parse("2026-04-13T00:00:00Z"))) / 60_000;
  it("start where the zone's hours start within the UTC hour", () => {
    expect(phaseOf("Asia/Shanghai")).toBe(0);
    expect(phaseOf("Asia/Kolkata")).toBe(30);
    expect(phaseOf("Asia/Kathmandu")).toBe(45);
    expect(phaseOf("America/St_Johns")).toBe(30); // UTC−02:30 in April
  });

  it("put every instant in the local hour that holds it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.constantFrom(0, 15, 30, 45), (ms, minutes) => {
        const phase = minutes * 60_000;
        const start = hourStart(ms, phase);
        expect(start <= ms && ms < start + 3_600_000).toBe(true);
        expect((((start - phase) % 3_600_000) + 3_600_000) % 3_600_000).toBe(0);
      }),
    );
  });
});
