import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SURGE_RULE,
  NORMAL,
  stepSurge,
  surgeAmount,
  validSurgeRule,
  windowDemand,
  type SurgeMemory,
  type SurgeRule,
} from "../../src/domain/surge";

const rule: SurgeRule = { enterRatio: 2, exitRatio: 1, enterAfter: 3, exitAfter: 4, minDemand: 1 };

/** Runs a stream of (demand, supply) through the rule; the states after each step and the change count. */
function run(stream: [number, number][], r: SurgeRule, start: SurgeMemory = NORMAL) {
  let memory = start;
  let changes = 0;
  const states: string[] = [];
  for (const [demand, supply] of stream) {
    const next = stepSurge(memory, demand, supply, r);
    memory = next.memory;
    if (next.changed) changes += 1;
    states.push(memory.state);
  }
  return { memory, changes, states };
}

const arbRule = fc
  .record({
    // Quarter steps: ratio × supply is exact in binary, so a stream at ENTER is exactly at ENTER.
    exitRatio: fc.integer({ min: 0, max: 20 }).map((q) => q / 4),
    gap: fc.integer({ min: 1, max: 20 }).map((q) => q / 4),
    enterAfter: fc.integer({ min: 1, max: 6 }),
    exitAfter: fc.integer({ min: 1, max: 6 }),
  })
  .map((r): SurgeRule => ({
    enterRatio: r.exitRatio + r.gap,
    exitRatio: r.exitRatio,
    enterAfter: r.enterAfter,
    exitAfter: r.exitAfter,
    minDemand: 0,
  }));

describe("surge state with hysteresis", () => {
  it("the defaults are a valid rule", () => {
    expect(validSurgeRule(DEFAULT_SURGE_RULE)).toBe(true);
    expect(validSurgeRule({ ...DEFAULT_SURGE_RULE, exitRatio: DEFAULT_SURGE_RULE.enterRatio })).toBe(false);
  });

  it("never changes state while the ratio stays strictly between EXIT and ENTER, whatever the state", () => {
    fc.assert(
      fc.property(
        arbRule,
        fc.constantFrom<SurgeMemory["state"]>("normal", "surging"),
        fc.array(fc.double({ min: 0.001, max: 0.999, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 20 }),
        (r, state, fractions, supply) => {
          const stream = fractions.map((f): [number, number] => [(r.exitRatio + f * (r.enterRatio - r.exitRatio)) * supply, supply]);
          const out = run(stream, r, { state, streak: 0 });
          expect(out.changes).toBe(0);
          expect(out.memory.state).toBe(state);
        },
      ),
    );
  });

  it("enters exactly at the K-th evaluation in a row at or above ENTER, not before", () => {
    fc.assert(
      fc.property(arbRule, fc.integer({ min: 1, max: 20 }), (r, supply) => {
        const hot: [number, number] = [r.enterRatio * supply, supply];
        const out = run(
          Array.from({ length: r.enterAfter }, () => hot),
          r,
        );
        expect(out.states.slice(0, -1).every((s) => s === "normal")).toBe(true);
        expect(out.states.at(-1)).toBe("surging");
        expect(out.changes).toBe(1);
      }),
    );
  });

  it("leaves exactly at the K'-th evaluation in a row at or below EXIT", () => {
    fc.assert(
      fc.property(arbRule, fc.integer({ min: 1, max: 20 }), (r, supply) => {
        const cool: [number, number] = [r.exitRatio * supply, supply];
        const out = run(
          Array.from({ length: r.exitAfter }, () => cool),
          r,
          { state: "surging", streak: 0 },
        );
        expect(out.states.slice(0, -1).every((s) => s === "surging")).toBe(true);
        expect(out.states.at(-1)).toBe("normal");
        expect(out.changes).toBe(1);
      }),
    );
  });

  it("an interrupted run starts counting again: K−1 hot, one calm, K−1 hot stays normal", () => {
    const hot: [number, number] = [4, 2];
    const calm: [number, number] = [3, 2];
    const out = run([hot, hot, calm, hot, hot], rule);
    expect(out.changes).toBe(0);
    expect(run([hot, hot, calm, hot, hot, hot], rule).memory.state).toBe("surging");
  });

  it("changes state at most once per K evaluations on any stream (no flapping)", () => {
    fc.assert(
      fc.property(arbRule, fc.array(fc.tuple(fc.nat(40), fc.nat(10)), { maxLength: 120 }), (r, stream) => {
        const out = run(stream, r);
        expect(out.changes).toBeLessThanOrEqual(Math.ceil(stream.length / Math.min(r.enterAfter, r.exitAfter)));
        // Between two changes lie at least K (entering) or K' (leaving) evaluations.
        let last = -Infinity;
        let prev = "normal";
        out.states.forEach((s, i) => {
          if (s !== prev) {
            expect(i - last).toBeGreaterThanOrEqual(s === "surging" ? r.enterAfter : r.exitAfter);
            last = i;
            prev = s;
          }
        });
      }),
    );
  });

  it("too little demand never surges, even with nobody free", () => {
    const r = { ...rule, minDemand: 3 };
    expect(
      run(
        Array.from({ length: 10 }, (): [number, number] => [2, 0]),
        r,
      ).memory.state,
    ).toBe("normal");
    expect(
      run(
        Array.from({ length: 3 }, (): [number, number] => [3, 0]),
        r,
      ).memory.state,
    ).toBe("surging");
  });

  it("counts only the buckets of the window", () => {
    const buckets = new Map([
      [100, 5],
      [101, 1],
      [110, 2],
      [114, 3],
      [115, 7],
    ]);
    expect(windowDemand(buckets, 114 * 60_000 + 59_999, 60_000, 15)).toBe(5 + 1 + 2 + 3);
    expect(windowDemand(buckets, 114 * 60_000, 60_000, 5)).toBe(2 + 3);
  });
});

describe("the surge quote line", () => {
  it("is within the operators' caps: never above the percentage (half up) nor the absolute cap, never negative", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.nat(1_000_000), fc.nat(10_000_000), (percent, maxAmount, subtotal) => {
        const a = surgeAmount({ enabled: true, percent, maxAmount }, "surging", subtotal);
        expect(Number.isInteger(a)).toBe(true);
        expect(a).toBeGreaterThanOrEqual(0);
        expect(a).toBeLessThanOrEqual(maxAmount);
        expect(a).toBeLessThanOrEqual(Math.floor((subtotal * percent + 50) / 100));
        expect(a).toBe(Math.min(maxAmount, Math.floor((subtotal * percent + 50) / 100)));
      }),
    );
  });

  it("is nothing when pricing is off or the cell is normal", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.nat(1_000_000), fc.nat(10_000_000), (percent, maxAmount, subtotal) => {
        expect(surgeAmount({ enabled: false, percent, maxAmount }, "surging", subtotal)).toBe(0);
        expect(surgeAmount({ enabled: true, percent, maxAmount }, "normal", subtotal)).toBe(0);
      }),
    );
  });
});
