/**
 * planTeamDay's time proposals: new starts for fixed-time jobs whose customers may be asked, each on
 * the technician the plan gives it, within the tolerance and the shift window, never a clash.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clashes } from "../../src/domain/calendar";
import { planTeamDay, type PlanJob, type TeamPlan } from "../../src/domain/team-plan";
import { DAY0, HOUR, MODEL, planJob, shift, tech } from "../support/team-plan-fixtures";

const MINUTE = 60_000;
const TOLERANCE = 120 * MINUTE;

/** A one-hour reschedulable job at `hour` (may be fractional) at longitude `lng`. */
const job = (orderId: string, technicianId: string, lng: number, hour: number, over: Partial<PlanJob> = {}) =>
  planJob(orderId, technicianId, lng, 0, 1, {
    start: DAY0 + hour * HOUR,
    end: DAY0 + (hour + 1) * HOUR,
    reschedulable: true,
    ...over,
  });

/**
 * A zigzag day (no late risk: each far leg takes 48 minutes plus the 10-minute buffer): near home, far,
 * near, far. Visiting the two near jobs first saves two long legs.
 */
const zigzag = (over: Partial<PlanJob> = {}) => [
  job("a", "t1", 121.0, 9, over),
  job("b", "t1", 121.15, 11, over),
  job("c", "t1", 121.0, 13, over),
  job("d", "t1", 121.15, 15, over),
];

/** Every job where the plan puts it: moves first, then proposals. */
function finalDay(plan: TeamPlan, jobs: readonly PlanJob[]) {
  const at = new Map(jobs.map((j) => [j.orderId, { ...j }]));
  for (const m of plan.moves) Object.assign(at.get(m.orderId)!, { technicianId: m.technicianId, start: m.start, end: m.end });
  for (const p of plan.proposals) Object.assign(at.get(p.orderId)!, { technicianId: p.technicianId, start: p.start, end: p.end });
  return [...at.values()];
}

const placed = (j: PlanJob) => ({ start: j.start, end: j.end, lat: j.point.lat, lng: j.point.lng });

describe("planTeamDay's time proposals", () => {
  it("reorders a zigzag day by proposing new starts within the tolerance, and cuts the travel", () => {
    const jobs = zigzag();
    const plan = planTeamDay([tech("t1", 121.0)], jobs, MODEL, { maxIterations: 300, timeToleranceMs: TOLERANCE });
    expect(plan.moves).toEqual([]);
    expect(plan.proposals.length).toBeGreaterThan(0);
    expect(plan.withProposals!.travelMinutes).toBeLessThan(plan.after.travelMinutes);
    expect(plan.after.lateRisks).toBe(0);
    expect(plan.withProposals!.lateRisks).toBe(0);
    for (const p of plan.proposals) {
      const before = jobs.find((j) => j.orderId === p.orderId)!;
      expect(p.currentStart).toBe(before.start);
      expect(p.start).not.toBe(before.start);
      expect(Math.abs(p.start - before.start)).toBeLessThanOrEqual(TOLERANCE);
      expect(p.end - p.start).toBe(before.end - before.start);
      expect(p.start % (5 * MINUTE)).toBe(0);
    }
    const day = finalDay(plan, jobs);
    for (const x of day) for (const y of day) if (x !== y) expect(clashes(placed(x), placed(y), MODEL)).toBe(false);
  });

  it("proposes nothing without a tolerance, for jobs not reschedulable, or for jobs under way", () => {
    const none = (jobs: PlanJob[], tolerance = TOLERANCE) =>
      planTeamDay([tech("t1", 121.0)], jobs, MODEL, { maxIterations: 300, timeToleranceMs: tolerance });
    for (const plan of [none(zigzag(), 0), none(zigzag({ reschedulable: false })), none(zigzag({ movable: false }))]) {
      expect(plan.proposals).toEqual([]);
      expect(plan.withProposals).toBeNull();
    }
  });

  it("never proposes a start before `notBefore` nor outside the shift window", () => {
    const jobs = zigzag();
    const notBefore = DAY0 + 12 * HOUR;
    const narrow = { ...tech("t1", 121.0), shifts: [[DAY0 + 8 * HOUR, DAY0 + 16 * HOUR + 30 * MINUTE]] as [number, number][] };
    const plan = planTeamDay([narrow], jobs, MODEL, { maxIterations: 300, timeToleranceMs: TOLERANCE, notBefore });
    for (const p of plan.proposals) {
      expect(p.start).toBeGreaterThanOrEqual(notBefore);
      expect(p.end).toBeLessThanOrEqual(DAY0 + 16 * HOUR + 30 * MINUTE);
    }
    // The jobs before `notBefore` (a, b) keep their starts; d comes before c.
    expect(plan.proposals.map((p) => [p.orderId, p.start])).toEqual([
      ["c", DAY0 + 15 * HOUR],
      ["d", DAY0 + 13 * HOUR],
    ]);
  });

  it("on random days: proposals only for reschedulable fixed-time jobs, within tolerance, shift and notBefore, gaining, never a clash", () => {
    const arb = fc.record({
      techs: fc.array(fc.double({ min: 121, max: 121.2, noNaN: true }), { minLength: 1, maxLength: 2 }),
      jobs: fc.array(
        fc.record({
          // Two districts ~20 km apart: days that zigzag between them gain from another order.
          lng: fc.oneof(fc.double({ min: 121, max: 121.02, noNaN: true }), fc.double({ min: 121.15, max: 121.17, noNaN: true })),
          quarter: fc.integer({ min: 32, max: 74 }),
          tech: fc.nat(),
          // Mostly jobs that may be offered another start, so that most runs have proposals to check.
          movable: fc.integer({ min: 0, max: 5 }).map((x) => x > 0),
          reschedulable: fc.integer({ min: 0, max: 5 }).map((x) => x > 0),
        }),
        { minLength: 6, maxLength: 12 },
      ),
      tolerance: fc.integer({ min: 0, max: 12 }).map((q) => q * 15 * MINUTE),
      notBefore: fc.integer({ min: 0, max: 4 }).map((h) => DAY0 + (8 + h) * HOUR),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    let proposing = 0;
    fc.assert(
      fc.property(arb, ({ techs, jobs, tolerance, notBefore, seed }) => {
        const ts = techs.map((lng, i) => tech(`t${i}`, lng));
        // The current day is clash-free (as the cell keeps it): a job that would clash is left out.
        const js: PlanJob[] = [];
        jobs.forEach((j, i) => {
          const owner = ts[j.tech % ts.length]!.id;
          const candidate = job(`o${i}`, owner, j.lng, j.quarter / 4, { movable: j.movable, reschedulable: j.reschedulable });
          if (!js.some((o) => o.technicianId === owner && clashes(placed(o), placed(candidate), MODEL))) js.push(candidate);
        });
        const plan = planTeamDay(ts, js, MODEL, { maxIterations: 60, seed, timeToleranceMs: tolerance, notBefore });
        const moved = new Map(plan.moves.map((m) => [m.orderId, m]));
        for (const p of plan.proposals) {
          const original = js.find((j) => j.orderId === p.orderId)!;
          expect(original.movable && original.reschedulable).toBe(true);
          expect(p.technicianId).toBe(moved.get(p.orderId)?.technicianId ?? original.technicianId);
          expect(p.currentStart).toBe(moved.get(p.orderId)?.start ?? original.start);
          expect(Math.abs(p.start - p.currentStart)).toBeLessThanOrEqual(tolerance);
          expect(p.start).toBeGreaterThanOrEqual(notBefore);
          expect(p.start).toBeGreaterThanOrEqual(shift[0]);
          expect(p.end).toBeLessThanOrEqual(shift[1]);
          expect(p.end - p.start).toBe(original.end - original.start);
        }
        if (plan.proposals.length > 0) {
          proposing++;
          const w = plan.withProposals!;
          expect(
            w.lateRisks < plan.after.lateRisks || (w.lateRisks === plan.after.lateRisks && w.travelMinutes < plan.after.travelMinutes),
          ).toBe(true);
        } else expect(plan.withProposals).toBeNull();
        const day = finalDay(plan, js);
        for (const t of ts) {
          const mine = day.filter((j) => j.technicianId === t.id);
          for (const x of mine) for (const y of mine) if (x !== y) expect(clashes(placed(x), placed(y), MODEL)).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
    // The property was not checked on empty proposals only.
    expect(proposing).toBeGreaterThan(0);
  });
});
