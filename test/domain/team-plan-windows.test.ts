/** planTeamDay with flexible-window jobs: they may move inside their window (and to another technician); fixed-time jobs keep their start. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clashes } from "../../src/domain/calendar";
import { mayTake, planTeamDay, type PlanJob } from "../../src/domain/team-plan";
import { DAY0, HOUR, MODEL, planJob, tech } from "../support/team-plan-fixtures";

const job = (orderId: string, technicianId: string, lng: number, hour: number, over: Partial<PlanJob> = {}) =>
  planJob(orderId, technicianId, lng, hour, 1, over);
const withPoints = (j: { start: number; end: number; point: { lat: number; lng: number } }) => ({
  start: j.start,
  end: j.end,
  lat: j.point.lat,
  lng: j.point.lng,
});

describe("planTeamDay with flexible windows", () => {
  it("moves a flexible job inside its window next to a job at the same place, and leaves the fixed-time jobs where they are", () => {
    const flex = job("flex", "t1", 121.1, 16, { window: { earliest: DAY0 + 8 * HOUR, latest: DAY0 + 17 * HOUR } });
    const plan = planTeamDay([tech("t1", 121.0)], [job("a", "t1", 121.1, 10), job("b", "t1", 121.0, 13), flex], MODEL, {
      maxIterations: 300,
    });
    expect(plan.moves.map((m) => m.orderId)).toEqual(["flex"]);
    const [m] = plan.moves;
    expect(m!.technicianId).toBe("t1");
    expect(m!.start).toBeLessThan(DAY0 + 13 * HOUR);
    expect(m!.start).toBeGreaterThanOrEqual(DAY0 + 8 * HOUR);
    expect(m!.end - m!.start).toBe(HOUR);
    expect(plan.after.travelMinutes).toBeLessThan(plan.before.travelMinutes);
  });

  it("on random small cells: fixed-time jobs never change start, flexible ones never leave their window, and no technician has a clash", () => {
    const arb = fc.record({
      techs: fc.array(fc.record({ lng: fc.double({ min: 121, max: 121.2, noNaN: true }), skilled: fc.boolean() }), {
        minLength: 1,
        maxLength: 3,
      }),
      jobs: fc.array(
        fc.record({
          lng: fc.double({ min: 121, max: 121.2, noNaN: true }),
          hour: fc.integer({ min: 8, max: 18 }),
          tech: fc.nat(),
          movable: fc.boolean(),
          before: fc.integer({ min: 0, max: 3 }),
          after: fc.integer({ min: 0, max: 3 }),
          flexible: fc.boolean(),
        }),
        { maxLength: 8 },
      ),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(arb, ({ techs, jobs, seed }) => {
        const ts = techs.map((t, i) => tech(`t${i}`, t.lng, t.skilled ? ["clean"] : []));
        const js: PlanJob[] = [];
        jobs.forEach((j, i) => {
          const owner = ts[j.tech % ts.length]!.id;
          const window = j.flexible ? { earliest: DAY0 + (j.hour - j.before) * HOUR, latest: DAY0 + (j.hour + j.after) * HOUR } : undefined;
          const candidate = job(`o${i}`, owner, j.lng, j.hour, { movable: j.movable, ...(window ? { window } : {}) });
          if (!js.some((o) => o.technicianId === owner && clashes(withPoints(o), withPoints(candidate), MODEL))) js.push(candidate);
        });
        const plan = planTeamDay(ts, js, MODEL, { maxIterations: 100, seed });
        const after = new Map(js.map((j) => [j.orderId, { ...j }]));
        for (const m of plan.moves) {
          const original = js.find((j) => j.orderId === m.orderId)!;
          expect(original.movable).toBe(true);
          expect(m.end - m.start).toBe(original.end - original.start);
          if (original.window) {
            expect(m.start).toBeGreaterThanOrEqual(original.window.earliest);
            expect(m.start).toBeLessThanOrEqual(original.window.latest);
          } else {
            expect([m.start, m.end]).toEqual([original.start, original.end]);
          }
          expect(
            mayTake(
              ts.find((t) => t.id === m.technicianId)!,
              original,
            ),
          ).toBe(true);
          after.set(m.orderId, { ...original, technicianId: m.technicianId, start: m.start, end: m.end });
        }
        for (const j of js) if (!j.movable || !j.window) expect(after.get(j.orderId)!.start).toBe(j.start);
        for (const t of ts) {
          const mine = [...after.values()].filter((j) => j.technicianId === t.id);
          for (const a of mine) for (const b of mine) if (a !== b) expect(clashes(withPoints(a), withPoints(b), MODEL)).toBe(false);
        }
        expect(plan.after.jobs).toBe(js.length);
      }),
      { numRuns: 80 },
    );
  });
});
