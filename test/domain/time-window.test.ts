/** Flexible-window rules: a window's limits and the starts worth trying inside it. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_TRAVEL, travelGapMs } from "../../src/domain/calendar";
import { candidateStarts, MAX_WINDOW_MINUTES, windowProblems } from "../../src/domain/time-window";

const MINUTE = 60_000;
const NOW = Date.UTC(2030, 0, 7, 0);
const limits = { now: NOW, leadMs: 60 * MINUTE, horizonMs: 14 * 86_400_000 };
const at = (minutes: number) => NOW + minutes * MINUTE;

describe("windowProblems", () => {
  it("accepts a window exactly as long as the job, and one exactly as long as the maximum", () => {
    expect(windowProblems({ start: at(120), end: at(240) }, 120 * MINUTE, limits)).toEqual([]);
    expect(windowProblems({ start: at(120), end: at(120 + MAX_WINDOW_MINUTES) }, 120 * MINUTE, limits)).toEqual([]);
  });

  it("names each problem with its field, in both languages", () => {
    const short = windowProblems({ start: at(120), end: at(239) }, 120 * MINUTE, limits);
    expect(short.map((p) => p.path)).toEqual(["body.window.end"]);
    expect(short[0]!.reason.zh).toContain("120");
    expect(windowProblems({ start: at(120), end: at(121 + MAX_WINDOW_MINUTES) }, 60 * MINUTE, limits)[0]!.reason.en).toContain(
      `${MAX_WINDOW_MINUTES} minutes`,
    );
    expect(windowProblems({ start: at(30), end: at(300) }, 60 * MINUTE, limits).map((p) => p.path)).toEqual(["body.window.start"]);
    expect(windowProblems({ start: at(300), end: at(300) }, 60 * MINUTE, limits).map((p) => p.path)).toEqual(["body.window.end"]);
    const far = 14 * 24 * 60;
    expect(windowProblems({ start: at(far - 60), end: at(far + 60) }, 60 * MINUTE, limits).map((p) => p.path)).toEqual(["body.window.end"]);
  });
});

describe("candidateStarts", () => {
  it("are whole minutes inside [earliest, latest], sorted, the window's start first when whole", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 480 }),
        fc.array(fc.record({ end: fc.integer({ min: -120, max: 1200 }), dLng: fc.double({ min: 0, max: 0.1, noNaN: true }) }), {
          maxLength: 6,
        }),
        (from, length, jobs) => {
          const point = { lat: 31, lng: 121 };
          const near = jobs.map((j) => ({ start: at(j.end - 60), end: at(j.end) + 17_000, lat: 31, lng: 121 + j.dLng }));
          const starts = candidateStarts(at(from), at(from + length), point, near, [at(120)], DEFAULT_TRAVEL);
          expect(starts[0]).toBe(at(from));
          for (const s of starts) {
            expect(s % MINUTE).toBe(0);
            expect(s).toBeGreaterThanOrEqual(at(from));
            expect(s).toBeLessThanOrEqual(at(from + length));
          }
          expect([...starts].sort((a, b) => a - b)).toEqual(starts);
          // each job's first possible start after it is among them when it falls in the window
          for (const j of near) {
            const next = Math.ceil((j.end + travelGapMs(j, point, DEFAULT_TRAVEL)) / MINUTE) * MINUTE;
            if (next >= at(from) && next <= at(from + length)) expect(starts).toContain(next);
          }
        },
      ),
    );
  });
});
