/**
 * What finding the candidates of an automatic dispatch costs, counted on the real bindings: the
 * same D1 round trips and cell calls for 3 technicians in reach as for 30 (one candidates call per
 * staffed cell, one history batch), not a round trip or two per technician; none at all on an
 * isolate that keeps copies of the ring's roster versions and the candidates' history.
 */
import { cellToLatLng, latLngToCell } from "h3-js";
import { describe, expect, it } from "vitest";
import { rankedCandidates, type Job } from "../../src/dispatch/dispatch.service";
import { forgetFavourites, forgetRankingFacts } from "../../src/dispatch/ranking-history";
import { forgetCellVersions } from "../../src/cells/roster-versions";
import { at } from "../support/booking";
import { countingEnv } from "../support/counting";
import { freshCenter } from "../support/fixtures";
import { createWorld, insertTechnicians } from "../support/world";

/** A world whose centre is its cell's centre, with `n` technicians there, and a job at the centre. */
async function staffed(n: number): Promise<{ job: Job; ids: string[] }> {
  const p = freshCenter();
  const [lat, lng] = cellToLatLng(latLngToCell(p.lat, p.lng, 5));
  const w = await createWorld({ lat, lng });
  const ids = await insertTechnicians(w, n);
  const start = Date.parse(at(w, 2, "10:00"));
  const job: Job = {
    orderId: `ord_cost${n}`,
    customerId: "acc_nobody",
    cell: latLngToCell(lat, lng, 5),
    start,
    end: start + 2 * 3_600_000,
    lat,
    lng,
    skills: [w.skill],
    exclude: [],
  };
  return { job, ids };
}

describe("the cost of finding candidates", () => {
  it("is the same for 3 technicians in reach as for 30", async () => {
    const cost = async (n: number) => {
      const { job, ids } = await staffed(n);
      // The cell learns its roster from D1 on the first call (the technicians were written there directly).
      expect((await rankedCandidates(countingEnv().env, job)).map((c) => c.technicianId).sort()).toEqual([...ids].sort());
      const counted = async () => {
        const { env: e, counts } = countingEnv();
        expect(await rankedCandidates(e, job)).toHaveLength(n);
        return { d1: counts.d1, batched: counts.batchedStatements, rpc: counts.rpc.map((r) => r.split(":")[1]) };
      };
      // A cold isolate: no copy of the ring's versions, the candidates' history or the customer's favourites.
      forgetCellVersions();
      forgetRankingFacts(...ids);
      forgetFavourites(job.customerId);
      const cold = await counted();
      // A warm one ranks from its copies (src/cells/roster-versions.ts, src/dispatch/ranking-history.ts).
      const warm = await counted();
      return { cold, warm };
    };
    const three = await cost(3);
    const thirty = await cost(30);
    expect(thirty).toEqual(three);
    // Cold: roster versions of the ring; the candidates' history (earnings, offers, favourites) in one batch.
    expect(three.cold).toEqual({ d1: 2, batched: 3, rpc: ["candidates"] });
    // Warm: the cells only.
    expect(three.warm).toEqual({ d1: 0, batched: 0, rpc: ["candidates"] });
  });
});
