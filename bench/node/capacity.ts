/**
 * The capacity model and the targets, computed from one recorded run (no new measurement):
 * `npm run bench -- --render bench/results/<file>.json` regenerates BENCHMARKS.md from it, so a run
 * on a quiet machine gives the model its figures. Every input is either counted in the run (D1
 * statements, cell calls, CPU time per booking) or one of the stated platform figures below.
 */
import type { Run } from "./report.ts";
import type { StormLevel } from "./workloads.ts";

/**
 * Platform figures the model assumes (Cloudflare's documentation, not measured here):
 * - D1: each database is single-threaded and runs one query at a time; at an average of 1 ms a
 *   query it does about 1,000 queries a second (D1 "Limits", FAQ "How much work can a single D1
 *   database do?"). A statement inside a batch still runs on its own; batching saves round trips,
 *   not database time.
 * - Durable Objects: each object is single-threaded, with a soft limit of 1,000 requests a second
 *   (Durable Objects FAQ "How much work can a single Durable Object do?").
 * - Plan at half of either ceiling (`HEADROOM`), so a burst above the peak hour still fits.
 */
export const PLATFORM = {
  d1QueryMs: 1,
  doRequestsPerSecond: 1_000,
  headroom: 0.5,
  /** Share of a city's bookings that land in its busiest cell (H3 resolution 5 is ~250 km²: a district). */
  hotCellShare: 0.15,
};

/** The cities the model is tabled for: orders a day, and peak factor F (peak-hour rate ÷ the day's average rate). */
export const CITIES = [10_000, 100_000, 1_000_000, 5_000_000];
export const PEAK_FACTORS = [3, 6];

export interface Inputs {
  /** Where the per-booking counts come from. */
  source: string;
  d1StatementsPerBooking: number;
  d1RoundTripsPerBooking: number;
  cellCallsPerBooking: number;
  /** CPU ms of the whole local runtime (Worker, cell and local D1 in one workerd) per booking. */
  cpuMsPerBooking: number | null;
}

/** The per-booking inputs: the counted single-booking run (one client, no 409s) on Miniflare. */
export function inputsOf(run: Run): Inputs | null {
  const counted = run.results.find((r) => r.name === "bookings.counted") as { level?: StormLevel } | undefined;
  const per = counted?.level?.measured?.counts?.perBooking;
  if (!per) return null;
  return {
    source: "bookings.counted (Miniflare, 1 client, every attempt a fresh slot)",
    d1StatementsPerBooking: per.d1Statements,
    d1RoundTripsPerBooking: per.d1RoundTrips,
    cellCallsPerBooking: per.cellCalls,
    cpuMsPerBooking: counted?.level?.measured?.cpu?.systemMsPerBooking ?? null,
  };
}

export interface Ceilings {
  /** Bookings a second one D1 database can take: 1000 / (statements × ms a statement). */
  perDatabase: number;
  /** Bookings a second one cell can take: DO requests a second / cell calls per booking. */
  perCell: number;
  /** Bookings a second one core of Worker CPU takes (local measurement, an upper bound on the Worker's share). */
  perCore: number | null;
}

export function ceilingsOf(i: Inputs): Ceilings {
  return {
    perDatabase: 1000 / (i.d1StatementsPerBooking * PLATFORM.d1QueryMs),
    perCell: PLATFORM.doRequestsPerSecond / i.cellCallsPerBooking,
    perCore: i.cpuMsPerBooking ? 1000 / i.cpuMsPerBooking : null,
  };
}

export interface CityNeed {
  ordersPerDay: number;
  peakFactor: number;
  /** N × F / 86,400. */
  peakBookingsPerSecond: number;
  d1StatementsPerSecond: number;
  /** Share of one database's ceiling at the peak. */
  databaseLoad: number;
  /** Cores of CPU at the peak (at the measured CPU ms per booking). */
  cores: number | null;
  /** The busiest cell's share of its object's ceiling at the peak. */
  hotCellLoad: number;
}

export function cityNeed(i: Inputs, ordersPerDay: number, peakFactor: number): CityNeed {
  const c = ceilingsOf(i);
  const peak = (ordersPerDay * peakFactor) / 86_400;
  return {
    ordersPerDay,
    peakFactor,
    peakBookingsPerSecond: peak,
    d1StatementsPerSecond: peak * i.d1StatementsPerBooking,
    databaseLoad: peak / c.perDatabase,
    cores: i.cpuMsPerBooking ? (peak * i.cpuMsPerBooking) / 1000 : null,
    hotCellLoad: (peak * PLATFORM.hotCellShare) / c.perCell,
  };
}

/** Orders a day (all cities on it together) one D1 database carries at peak factor F within the headroom. */
export function splitPoint(i: Inputs, peakFactor: number, statementsPerBooking = i.d1StatementsPerBooking): number {
  const perDatabase = 1000 / (statementsPerBooking * PLATFORM.d1QueryMs);
  return (perDatabase * PLATFORM.headroom * 86_400) / peakFactor;
}

// ---- the targets ----

export interface Target {
  target: string;
  measured: string;
  pass: boolean | null;
  /** The same figure for the runtime floor (bench/floor/worker.ts), where it applies. */
  floor: string;
}

interface PeerRecord {
  levels?: StormLevel[];
  audit?: { overlaps: number; missing: number; incomplete?: number };
  skipped?: string;
}
interface CeilingRecord {
  runtime: string;
  noop: { concurrency: number; opsPerSecond: number }[];
}
interface FloorRecord extends PeerRecord {
  ceilings?: CeilingRecord;
}

const at = (levels: StormLevel[] | undefined, clients: number) => levels?.find((l) => l.concurrency === clients);
const fix = (x: number, d = 2) => (Math.round(x * 10 ** d) / 10 ** d).toLocaleString("en-US");

/** Every target of issue 12 next to what this run measured, with a pass/fail mark (null: not measured). */
export function targetsOf(run: Run): Target[] {
  const find = <T>(name: string, runtime?: string) =>
    run.results.find((r) => r.name === name && (runtime === undefined || r.runtime === runtime)) as T | undefined;
  const mf = at(find<{ levels: StormLevel[] }>("w1.storm.miniflare")?.levels, 10);
  const minimal = at(find<PeerRecord>("peer.postgres")?.levels, 10);
  const equivalent = at(find<PeerRecord>("peer.equivalent")?.levels, 10);
  const floorRun = find<FloorRecord>("peer.floor");
  const floor = at(floorRun?.levels, 10);
  const noopOf = (c: CeilingRecord | undefined) => c?.noop.find((l) => l.concurrency === 10)?.opsPerSecond;
  const noop = noopOf(find<CeilingRecord>("ceilings", "miniflare"));
  const floorNoop = noopOf(floorRun?.ceilings);
  const inputs = inputsOf(run);
  const NOT = "not measured";
  const ratioText = (a: StormLevel | undefined, b: StormLevel | undefined) =>
    a && b ? `${fix(a.bookingsPerSecond, 1)} / ${fix(b.bookingsPerSecond, 1)} = ${fix(a.bookingsPerSecond / b.bookingsPerSecond)}×` : NOT;
  const ratio = (peer: StormLevel | undefined, want: number, name: string): Target => ({
    target: `bookings/s at 10 clients ≥ ${want}× the ${name} peer`,
    measured: ratioText(mf, peer),
    pass: mf && peer ? mf.bookingsPerSecond / peer.bookingsPerSecond >= want : null,
    floor: ratioText(floor, peer),
  });
  const p99Text = (l: StormLevel | undefined) => (l ? `${fix(l.load.latencyMs.p99, 1)} ms (order alone ${fix(l.orderMs.p99, 1)} ms)` : NOT);
  // A booking is two requests (quote, order): compare requests per second with the no-op route's.
  const rps = (l: StormLevel | undefined) => (l ? (l.load.ops * 2 * 1000) / l.load.elapsedMs : undefined);
  const ofNoop = (r: number | undefined, n: number | undefined) =>
    r && n ? `${fix(r, 1)} / ${fix(n, 1)} = ${fix((r / n) * 100, 1)} %` : NOT;
  const bookingRps = rps(mf);
  const correctness = run.failures;
  const has = (name: string) => run.results.some((r) => r.name === name);
  return [
    ratio(equivalent, 1, "equivalent"),
    ratio(minimal, 0.5, "minimal"),
    {
      target: "booking p99 (quote + order) at 10 clients ≤ 60 ms",
      measured: p99Text(mf),
      pass: mf ? mf.load.latencyMs.p99 <= 60 : null,
      floor: p99Text(floor),
    },
    {
      target: "booking requests/s ≥ 50 % of the signed-in no-op at 10 clients",
      measured: ofNoop(bookingRps, noop),
      pass: bookingRps && noop ? bookingRps / noop >= 0.5 : null,
      floor: ofNoop(rps(floor), floorNoop),
    },
    {
      target: "D1 statements per booking, all-in (drain and notifications included) ≤ 8",
      measured: inputs ? `${fix(inputs.d1StatementsPerBooking)} (${fix(inputs.d1RoundTripsPerBooking)} round trips)` : NOT,
      pass: inputs ? inputs.d1StatementsPerBooking <= 8 : null,
      floor: floor ? "4 per booking in 1 round trip, by construction (a refusal: 1)" : NOT,
    },
    {
      target: "0 overlaps, 0 acknowledged-but-missing, one winner per contested slot, 0 lost across kills",
      measured: correctness.length
        ? `${correctness.length} failure(s): ${correctness.slice(0, 2).join("; ")}`
        : `every audit passed${has("w2.contention") && has("w10.restart") ? "" : " (W2 and W10 not in this run: --primary)"}`,
      pass: correctness.length ? false : has("w2.contention") && has("w10.restart") ? true : null,
      floor: floorRun?.audit
        ? `${floorRun.audit.overlaps} overlaps, ${floorRun.audit.missing} missing, ${floorRun.audit.incomplete ?? 0} incomplete`
        : NOT,
    },
  ];
}
