/**
 * W6, the cell half of a dispatch decision: one cell answers which of its technicians could take a
 * job (skills, shifts, travel-aware clash check, distance) for 10, 100 and 1,000 candidates. The
 * scoring half (ranking) is timed in Node by bench/node/dispatch-quality.ts.
 */
import { expect, it } from "vitest";
import { zonedToUtc } from "../src/domain/zoned";
import { HOME, QUICK, report, seeded } from "./fixtures";

const DAY = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);

it("candidate queries for 10, 100 and 1,000 technicians in one cell", async () => {
  const runs = QUICK ? 30 : 200;
  const start = zonedToUtc(DAY, 10 * 60, "Asia/Shanghai");
  const sizes = [];
  for (const n of [10, 100, 1_000]) {
    const stub = await seeded(`bench-dispatch-${n}`, n);
    // A third of them already have a job that day, so travel from it is part of the answer.
    for (let i = 0; i < n; i += 3)
      await stub.hold({
        technicianId: `t${i}`,
        orderId: `b${i}`,
        start: start - 4 * 3_600_000,
        end: start - 2 * 3_600_000,
        ttlMs: 86_400_000,
        lat: HOME.lat,
        lng: HOME.lng,
      });
    const q = { start, end: start + 2 * 3_600_000, lat: HOME.lat, lng: HOME.lng, skills: ["cleaning"], exclude: [] };
    const first = await stub.candidates(q);
    // Correctness, not speed: every technician is free and in range, so every one is a candidate.
    expect(first.ok && first.candidates.length).toBe(n);
    const times: number[] = [];
    const t0 = Date.now();
    for (let r = 0; r < runs; r++) {
      const t = Date.now();
      await stub.candidates(q);
      times.push(Date.now() - t);
    }
    const total = Date.now() - t0;
    times.sort((a, b) => a - b);
    sizes.push({
      candidates: n,
      runs,
      meanMs: Math.round((total / runs) * 100) / 100,
      p50Ms: times[Math.floor(runs / 2)],
      p99Ms: times[Math.min(runs - 1, Math.ceil(runs * 0.99) - 1)],
    });
  }
  report("dispatch.candidates", { sizes });
});
