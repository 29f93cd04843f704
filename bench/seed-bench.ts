/**
 * The bench's technicians, written straight into D1 on top of the demo seed (the admin API would
 * take minutes for 900 of them, one at a time). Rows are typed against the drizzle schema and
 * encrypted with the Worker's own Pii class, like scripts/seed.ts; the cells learn their rosters
 * from D1 on first use, the way they heal any roster they missed.
 * Bundled for Node by bench/node/runtime.ts (`seedBenchTechnicians`).
 */
import { gridDistance, gridRingUnsafe } from "h3-js";
import { drizzle } from "drizzle-orm/sqlite-proxy";
import * as schema from "../src/db/schema";
import { cellCenter, cellOf, cellsCovering, resolutionOf, type LatLng } from "../src/domain/geo";
import { Pii } from "../src/lib/pii";
import { inlineParams, type SeedConfig } from "../scripts/seed";
import { CITY } from "../scripts/seed-demo";

const db = drizzle(async () => {
  throw new Error("the bench seed only builds statements");
});

export interface BenchCellPlan {
  cell: string;
  center: LatLng;
  technicians: { id: string; phone: string }[];
}

export interface BenchPlan {
  statements: string[];
  storm: BenchCellPlan;
  calendar: BenchCellPlan;
  presence: BenchCellPlan;
}

/** Three cells of the demo city, pairwise at least two apart, so none is in another's ring. */
function pickCells(resolution: number): [string, string, string] {
  const cells = cellsCovering(CITY.center, CITY.radiusKm, resolution);
  const a = cellOf(CITY.center, resolution);
  const ring = gridRingUnsafe(a, 2).filter((c) => cells.includes(c));
  for (const b of ring) for (const c of ring) if (gridDistance(b, c) >= 3) return [a, b, c];
  throw new Error("the demo city has no three cells two apart");
}

/** A home within about 1 km of the cell's centre that still lies in the cell. */
function homeIn(cell: string, n: number, resolution: number): LatLng {
  const c = cellCenter(cell);
  const p = { lat: c.lat + (((n * 37) % 21) - 10) * 0.001, lng: c.lng + (((n * 53) % 21) - 10) * 0.001 };
  return cellOf(p, resolution) === cell ? p : c;
}

/** Approved technicians with the `cleaning` skill: `counts` per cell (storm, calendar, presence). */
export async function buildBenchTechnicians(
  config: SeedConfig,
  counts: { storm: number; calendar: number; presence: number },
  now = Date.now(),
): Promise<BenchPlan> {
  const pii = await Pii.fromEnv({ PII_KEY: config.PII_KEY, PII_LOOKUP_KEY: config.PII_LOOKUP_KEY });
  const resolution = resolutionOf(config);
  const [storm, calendar, presence] = pickCells(resolution);
  const statements: string[] = [];
  let n = 0;
  const plan = async (cell: string, count: number): Promise<BenchCellPlan> => {
    const people = Array.from({ length: count }, () => {
      n += 1;
      return { n, id: `tch_bench${String(n).padStart(4, "0")}`, phone: `+86139${String(10_000_000 + n)}` };
    });
    for (let i = 0; i < people.length; i += 20) {
      const part = people.slice(i, i + 20);
      const accounts = await Promise.all(
        part.map(async (p) => ({
          id: `acc_bench${String(p.n).padStart(4, "0")}`,
          phoneEnc: await pii.encrypt("phone", p.phone),
          phoneHash: await pii.lookupHash(p.phone),
          name: `压测师傅${p.n}`,
          roles: ["customer" as const, "technician" as const],
          createdAt: now,
          updatedAt: now,
        })),
      );
      statements.push(inlineParams(db.insert(schema.accounts).values(accounts).toSQL()));
      const technicians = part.map((p, j) => {
        const home = homeIn(cell, p.n, resolution);
        return {
          id: p.id,
          accountId: accounts[j]!.id,
          merchantId: null,
          name: `压测师傅${p.n}`,
          skills: ["cleaning"],
          homeLat: home.lat,
          homeLng: home.lng,
          homeCell: cell,
          cityId: CITY.id,
          serviceRadiusKm: 30,
          status: "approved" as const,
          ratingX100: 400 + ((p.n * 37) % 101),
          createdAt: now,
          updatedAt: now,
        };
      });
      statements.push(inlineParams(db.insert(schema.technicians).values(technicians).toSQL()));
    }
    return { cell, center: cellCenter(cell), technicians: people.map(({ id, phone }) => ({ id, phone })) };
  };
  return {
    storm: await plan(storm, counts.storm),
    calendar: await plan(calendar, counts.calendar),
    presence: await plan(presence, counts.presence),
    statements,
  };
}
