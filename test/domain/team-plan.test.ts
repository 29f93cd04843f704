/** planTeamDay: a cell's day reassigned across technicians, every start and duration kept, never a clash. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clashes } from "../../src/domain/calendar";
import { calendarFingerprint, mayTake, planTeamDay, type PlanJob } from "../../src/domain/team-plan";
import { DAY0, HOUR, MODEL, planJob, tech } from "../support/team-plan-fixtures";

const job = (orderId: string, technicianId: string, lng: number, hour: number, over: Partial<PlanJob> = {}) =>
  planJob(orderId, technicianId, lng, hour, 2, over);

describe("planTeamDay", () => {
  it("swaps two jobs each nearer the other technician's home, and cuts the day's travel", () => {
    const plan = planTeamDay([tech("t1", 121.0), tech("t2", 121.1)], [job("a", "t1", 121.1, 10), job("b", "t2", 121.0, 10)], MODEL, {
      maxIterations: 200,
    });
    expect(plan.moves).toEqual([
      { orderId: "a", technicianId: "t2", fromTechnicianId: "t1", start: DAY0 + 10 * HOUR, end: DAY0 + 12 * HOUR },
      { orderId: "b", technicianId: "t1", fromTechnicianId: "t2", start: DAY0 + 10 * HOUR, end: DAY0 + 12 * HOUR },
    ]);
    expect(plan.after.travelMinutes).toBeLessThan(plan.before.travelMinutes);
    expect(plan.after.jobs).toBe(2);
  });

  it("keeps the current assignment when nothing is gained", () => {
    const plan = planTeamDay([tech("t1", 121.0), tech("t2", 121.1)], [job("a", "t1", 121.0, 10), job("b", "t2", 121.1, 10)], MODEL, {
      maxIterations: 200,
    });
    expect(plan.moves).toEqual([]);
    expect(plan.after).toEqual(plan.before);
  });

  it("never moves a job under way, nor to a technician without the skill or outside their shift", () => {
    const t3 = { ...tech("t3", 121.1), shifts: [] };
    const plan = planTeamDay(
      [tech("t1", 121.0), tech("t2", 121.1, ["other"]), t3],
      [job("a", "t1", 121.1, 10, { movable: false }), job("b", "t1", 121.1, 14)],
      MODEL,
      { maxIterations: 200 },
    );
    expect(plan.moves).toEqual([]);
  });

  it("removes a late risk by handing the second of two back-to-back jobs to a free technician", () => {
    const plan = planTeamDay([tech("t1", 121.0), tech("t2", 121.0)], [job("a", "t1", 121.0, 10), job("b", "t1", 121.2, 12)], MODEL, {
      maxIterations: 200,
    });
    expect(plan.before.lateRisks).toBe(1);
    expect(plan.after.lateRisks).toBe(0);
    expect(plan.moves).toHaveLength(1);
  });

  it("on random small cells: every job kept its start and duration, allowed where it goes, and no technician has a clash", () => {
    const arb = fc.record({
      techs: fc.array(fc.record({ lng: fc.double({ min: 121, max: 121.2, noNaN: true }), skilled: fc.boolean() }), {
        minLength: 1,
        maxLength: 4,
      }),
      jobs: fc.array(
        fc.record({
          lng: fc.double({ min: 121, max: 121.2, noNaN: true }),
          hour: fc.integer({ min: 8, max: 18 }),
          hours: fc.integer({ min: 1, max: 2 }),
          tech: fc.nat(),
          movable: fc.boolean(),
        }),
        { maxLength: 10 },
      ),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(arb, ({ techs, jobs, seed }) => {
        const ts = techs.map((t, i) => tech(`t${i}`, t.lng, t.skilled ? ["clean"] : []));
        const withPoints = (j: PlanJob) => ({ start: j.start, end: j.end, lat: j.point.lat, lng: j.point.lng });
        // The current day is clash-free (as the cell keeps it): a job that would clash is left out.
        const js: PlanJob[] = [];
        jobs.forEach((j, i) => {
          const owner = ts[j.tech % ts.length]!.id;
          const candidate = job(`o${i}`, owner, j.lng, j.hour, { movable: j.movable, end: DAY0 + (j.hour + j.hours) * HOUR });
          if (!js.some((o) => o.technicianId === owner && clashes(withPoints(o), withPoints(candidate), MODEL))) js.push(candidate);
        });
        const plan = planTeamDay(ts, js, MODEL, { maxIterations: 100, seed });
        const after = new Map(js.map((j) => [j.orderId, j.technicianId]));
        for (const m of plan.moves) {
          const original = js.find((j) => j.orderId === m.orderId)!;
          expect(original.movable).toBe(true);
          expect([m.start, m.end]).toEqual([original.start, original.end]);
          expect(
            mayTake(
              ts.find((t) => t.id === m.technicianId)!,
              original,
            ),
          ).toBe(true);
          after.set(m.orderId, m.technicianId);
        }
        for (const t of ts) {
          const mine = js.filter((j) => after.get(j.orderId) === t.id);
          for (const a of mine) for (const b of mine) if (a !== b) expect(clashes(withPoints(a), withPoints(b), MODEL)).toBe(false);
        }
        expect(plan.after.jobs).toBe(js.length);
        expect(plan.after.lateRisks).toBeLessThanOrEqual(plan.before.lateRisks);
      }),
      { numRuns: 60 },
    );
  });
});

describe("calendarFingerprint", () => {
  const e = { orderId: "a", technicianId: "t1", start: 1, end: 2, status: "assigned" };
  it("ignores order, sees every change", () => {
    const f = calendarFingerprint([e, { ...e, orderId: "b" }]);
    expect(calendarFingerprint([{ ...e, orderId: "b" }, e])).toBe(f);
    for (const change of [{ technicianId: "t2" }, { start: 0 }, { end: 3 }, { status: "accepted" }])
      expect(
        calendarFingerprint([
          { ...e, ...change },
          { ...e, orderId: "b" },
        ]),
      ).not.toBe(f);
  });
});
