/** Renders BENCHMARKS.md and bench/charts/*.svg from one recorded run (bench/results/<timestamp>.json). */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { barChart } from "./charts.ts";
import type { Audit } from "./booking.ts";
import type { batchAssignment } from "./dispatch-quality.ts";
import type { LoadResult, Outcome, Percentiles } from "./load.ts";
import { ROOT } from "./runtime.ts";
import type { RestartResult, StormLevel } from "./workloads.ts";

type BatchRow = Awaited<ReturnType<typeof batchAssignment>>[number];

export interface Run {
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  machine: Record<string, unknown>;
  failures: string[];
  results: Record<string, unknown>[];
}

type Pc = Percentiles;
type Load = Omit<LoadResult<Outcome>, "outcomes" | "latencyByKindMs">;
type Level = StormLevel;

interface Ceilings {
  runtime: string;
  noop: Load[];
  ping: Load[];
}

const n = (x: unknown, digits = 0) =>
  typeof x === "number" && Number.isFinite(x)
    ? x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 })
    : "–";
const ms = (x: unknown) => (typeof x === "number" ? `${n(x, x < 10 ? 1 : 0)} ms` : "–");
const pct = (part: number | undefined, whole: number | undefined) =>
  part !== undefined && whole ? `${n((part / whole) * 100, 1)} %` : "–";

export function renderReport(run: Run, resultFile: string): void {
  const all = (name: string) => run.results.filter((r) => r.name === name);
  const one = <T>(name: string, runtime?: string) => all(name).find((r) => runtime === undefined || r.runtime === runtime) as T | undefined;
  const m = run.machine as Record<string, string | number | number[] | null>;
  const ceilW = one<Ceilings>("ceilings", "wrangler dev");
  const ceilM = one<Ceilings>("ceilings", "miniflare");
  const w1 = one<{ levels: Level[]; audit: Audit; cell: string; technicians: number }>("w1.storm");
  const w1m = one<{ levels: Level[]; audit: Audit }>("w1.storm.miniflare");
  const w2 = one<{ clients: number; rounds: number; winners: number[]; exactlyOneWinner: boolean; latencyMs: Pc }>("w2.contention");
  const holds = one<Record<string, number>>("cell.holds");
  const inAvail = one<Record<string, number>>("cell.availability");
  const peer = one<{
    runtime: string;
    levels: Level[];
    audit: { bookings: number; overlaps: number; acknowledged: number; missing: number };
    skipped?: string;
  }>("peer.postgres");
  const naive = one<{ levels: Level[]; audit: { orders: number; overlappingPairs: number; technicians: number } }>("naive.d1");
  const w4 = one<Record<string, unknown> & { sequential: Load; concurrent: Load }>("w4.availability");
  const w5 = one<Record<string, unknown> & { load: Load; stalenessMs: Pc }>("w5.presence");
  const cand = one<{ sizes: { candidates: number; runs: number; meanMs: number; p50Ms: number; p99Ms: number }[] }>("dispatch.candidates");
  const rank = one<{ sizes: { candidates: number; rankMs: Pc }[] }>("dispatch.rank");
  const batch = one<{ sizes: BatchRow[] }>("dispatch.batch");
  const w9 = one<{ cells: number; firstCallMs: Pc; secondCallMs: Pc }>("w9.coldStart");
  const w10 = one<RestartResult & { auditOfEverything: Audit }>("w10.restart");
  const setup = one<{
    seedMs: number;
    startMs: number;
    setupMs: number;
    customers: number;
    technicians: Record<"storm" | "calendar" | "presence", number>;
  }>("setup");

  const ceilingAt = (c: Ceilings | undefined, kind: "noop" | "ping", clients: number) =>
    c?.[kind].find((l) => l.concurrency === clients)?.opsPerSecond;
  const peerAt = (clients: number) => peer?.levels?.find((l) => l.concurrency === clients);
  const w1At = (clients: number) => w1?.levels.find((l) => l.concurrency === clients);

  // ---- charts ----
  const charts = path.join(ROOT, "bench", "charts");
  mkdirSync(charts, { recursive: true });
  const levels = [1, 10, 50];
  writeFileSync(
    path.join(charts, "booking-throughput.svg"),
    barChart({
      title: "Bookings per second (quote + order), by concurrent clients",
      groups: levels.map((c) => `${c} client${c > 1 ? "s" : ""}`),
      unit: "bookings/s",
      series: [
        { name: "Doorstep (wrangler dev)", values: levels.map((c) => w1At(c)?.bookingsPerSecond ?? null) },
        {
          name: "Doorstep (Miniflare)",
          values: levels.map((c) => w1m?.levels.find((l) => l.concurrency === c)?.bookingsPerSecond ?? null),
        },
        { name: "PostgreSQL peer", values: levels.map((c) => peerAt(c)?.bookingsPerSecond ?? null) },
      ],
    }),
  );
  writeFileSync(
    path.join(charts, "ceilings.svg"),
    barChart({
      title: "Ceilings: requests per second, by concurrent clients",
      groups: levels.map((c) => `${c} client${c > 1 ? "s" : ""}`),
      unit: "requests/s",
      series: [
        { name: "no-op route, wrangler dev", values: levels.map((c) => ceilingAt(ceilW, "noop", c) ?? null) },
        { name: "cell RPC no-op, wrangler dev", values: levels.map((c) => ceilingAt(ceilW, "ping", c) ?? null) },
        { name: "no-op route, Miniflare", values: levels.map((c) => ceilingAt(ceilM, "noop", c) ?? null) },
        { name: "cell RPC no-op, Miniflare", values: levels.map((c) => ceilingAt(ceilM, "ping", c) ?? null) },
      ],
    }),
  );

  // ---- text ----
  const L: string[] = [];
  // Columns whose every cell is a figure are right-aligned, the others left-aligned.
  const figure = (cell: string | number) => typeof cell === "number" || /^[\d+–-]/.test(cell);
  const table = (head: string[], rows: (string | number)[][]) => {
    const align = head.map((_, i) => (i > 0 && rows.length > 0 && rows.every((r) => figure(r[i] ?? "")) ? "---:" : "---"));
    L.push(`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`);
    for (const r of rows) L.push(`| ${r.join(" | ")} |`);
    L.push("");
  };
  const ok = run.failures.length === 0;
  L.push(
    "# Benchmarks",
    "",
    `Latest run: ${run.startedAt} with \`${run.command}\` (${run.quick ? "quick" : "full"} sizes), recorded in \`${resultFile}\`.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}; workerd ${m.workerd}; wrangler ${m.wrangler}; miniflare ${m.miniflare}; ${m.postgres ?? "PostgreSQL not run"}. Load average when it started: ${(m.loadAverageAtStart as number[] | undefined)?.join(" / ") ?? "–"}.`,
    "",
    `**All figures come from that one run on that one machine** (${m.cores} cores; each workload's load average is shown):`,
    "treat them as orders of magnitude and ratios, not as production numbers. The load generator (Node), the runtime",
    "(workerd) and PostgreSQL all share the same two cores. Nothing here is asserted by `npm test`; the bench exits non-zero",
    "only on correctness (overlapping intervals, an acknowledged booking missing from its calendar or from D1, more than one",
    "winner of one slot, a server error during a storm). Each record in the results file carries the machine, its load",
    "average and the exact command.",
    "",
    ok ? "Correctness in this run: **every check passed**." : `Correctness in this run: **${run.failures.length} check(s) failed**:`,
    ...run.failures.map((f) => `- ${f}`),
    "",
    "Run it with `npm run bench` (full sizes) or `npm run bench -- --quick` (smaller counts, under 3 minutes);",
    "`npm run bench -- --history [--quick]` runs only the history-growth suite and rewrites only its section. It uses",
    "127.0.0.1 ports 8790 (wrangler dev), 8791 (Miniflare), 8797 (inspector), 8798 (the peer's HTTP server) and 55432",
    "(PostgreSQL), refuses to start if one is taken, and stops every process it started, also on failure or Ctrl+C.",
    "",
  );
  const load1 = (name: string, runtime?: string) => {
    const r = run.results.find((x) => x.name === name && (runtime === undefined || x.runtime === runtime)) as
      { machine?: { loadAverage?: number[] } } | undefined;
    return n(r?.machine?.loadAverage?.[0], 2);
  };
  const top = Math.max(0, ...(w1?.levels ?? []).map((l) => l.bookingsPerSecond));
  const topLevel = w1?.levels.find((l) => l.bookingsPerSecond === top);
  const c1000 = cand?.sizes.find((x) => x.candidates === 1000);
  const r1000 = rank?.sizes.find((x) => x.candidates === 1000);
  const b150 = batch?.sizes.find((x) => x.jobs === 150);
  L.push("## At a glance", "");
  table(
    ["workload", "result", "next to", "load average (1 min) when recorded"],
    [
      [
        "ceilings (10 clients)",
        `no-op route ${n(ceilingAt(ceilW, "noop", 10))} req/s, cell RPC ${n(ceilingAt(ceilW, "ping", 10))} req/s on wrangler dev`,
        `Miniflare directly: ${n(ceilingAt(ceilM, "noop", 10))} and ${n(ceilingAt(ceilM, "ping", 10))} req/s`,
        load1("ceilings", "wrangler dev"),
      ],
      [
        "W1 booking storm, best level",
        `${n(top, 1)} bookings/s at ${topLevel?.concurrency ?? "–"} clients, p99 ${ms(topLevel?.load.latencyMs.p99)}`,
        `PostgreSQL peer ${n(peerAt(topLevel?.concurrency ?? 0)?.bookingsPerSecond, 1)} bookings/s at the same clients`,
        load1("w1.storm"),
      ],
      [
        "W1 audit",
        `${n(w1?.audit.overlaps)} overlaps, ${n(w1?.audit.missingInCell)} acknowledged missing`,
        `naive D1 path: ${n(naive?.audit.overlappingPairs)} overlapping pairs`,
        load1("naive.d1"),
      ],
      [
        "W2 one slot, all clients",
        w2 ? `winners per round: ${[...new Set(w2.winners)].join(", ")}` : "–",
        "exactly 1 expected",
        load1("w2.contention"),
      ],
      [
        "holds inside one CellDO",
        `${n(holds?.holdsPerSecond)} /s with every rule`,
        `raw SQLite check-and-insert ${n(holds?.rawPerSecond)} /s`,
        load1("cell.holds"),
      ],
      [
        "W4 availability, 10k bookings",
        `p50 ${ms(w4?.sequential.latencyMs.p50)}, p99 ${ms(w4?.sequential.latencyMs.p99)} (HTTP)`,
        `in the object: p50 ${ms(inAvail?.p50Ms)}, p99 ${ms(inAvail?.p99Ms)}`,
        load1("w4.availability"),
      ],
      [
        "W5 presence",
        `${n(w5?.updatesPerSecond, 1)} heartbeats/s for ${n(w5?.technicians)} technicians, staleness p99 ${ms(w5?.stalenessMs.p99)}`,
        "a few hundred writes/s per object in production",
        load1("w5.presence"),
      ],
      [
        "W6 decision, 1,000 candidates",
        `cell query ${ms(c1000?.meanMs)} + ranking ${ms(r1000?.rankMs.p50)}`,
        "10 candidates: " + ms(cand?.sizes[0]?.meanMs),
        load1("dispatch.candidates"),
      ],
      [
        "W7 batch of 150 jobs",
        `greedy +${n(b150?.gapPercent.greedyVsOptimum, 1)} % travel vs optimum, batch ${n(b150?.gapPercent.batchVsOptimum, 2)} %`,
        `solve ${ms(b150?.solveMs.batch)} (HiGHS ${ms(b150?.solveMs.optimum)})`,
        load1("dispatch.batch"),
      ],
      ["W9 new cell", `first call p50 ${ms(w9?.firstCallMs.p50)}`, `second call ${ms(w9?.secondCallMs.p50)}`, load1("w9.coldStart")],
      [
        "W10 kill + restart",
        `${n(w10?.audit.missingInCell)} lost, ${n(w10?.audit.overlaps)} overlaps of ${n(w10?.ackedBeforeKill)} acknowledged`,
        `restart ${ms(w10?.restartMs)}`,
        load1("w10.restart"),
      ],
    ],
  );
  L.push("![Bookings per second](bench/charts/booking-throughput.svg)", "");

  L.push("## Runtimes and ceilings", "");
  L.push(
    "Two local runtimes serve the Worker: `wrangler dev` (what `npm start` runs: a proxy workerd in front of the Worker's",
    "workerd, local persistence under a temp directory) and Miniflare driven directly (one workerd with the same bundle,",
    "bindings and state). The ceilings are a no-op route behind the full middleware stack (request id and log line, CORS,",
    "security headers, body limit, JSON check, bearer-token verification) and one Worker → CellDO RPC that does nothing in",
    "the object, both signed in, through the same load generator as everything else (closed loop, fixed clients,",
    "keep-alive connections).",
    "",
  );
  const ceilRows: (string | number)[][] = [];
  for (const c of [ceilW, ceilM]) {
    if (!c) continue;
    for (const kind of ["noop", "ping"] as const)
      for (const l of c[kind])
        ceilRows.push([
          c.runtime,
          kind === "noop" ? "no-op route" : "cell RPC no-op",
          l.concurrency,
          n(l.opsPerSecond),
          ms(l.latencyMs.p50),
          ms(l.latencyMs.p95),
          ms(l.latencyMs.p99),
        ]);
  }
  table(["runtime", "path", "clients", "requests/s", "p50", "p95", "p99"], ceilRows);
  const ratio = (ceilingAt(ceilM, "noop", 10) ?? 0) / (ceilingAt(ceilW, "noop", 10) || 1);
  if (ceilW && ceilM)
    L.push(
      `At 10 clients Miniflare answers the no-op route ${n(ratio, 1)}× as fast as \`wrangler dev\`: the proxy hop and wrangler's own`,
      "process cost that much here. They differ a lot, so both are reported; the workloads below run on `wrangler dev` (the",
      "runtime developers use), and one storm is repeated on Miniflare.",
      "",
      "![Ceilings](bench/charts/ceilings.svg)",
      "",
    );

  L.push("## W1 booking storm", "");
  L.push(
    `Clients (each a signed-in customer with an address in cell \`${w1?.cell ?? "–"}\`) book a chosen technician of that cell's`,
    `${w1?.technicians ?? "–"} for a 2-hour cleaning paid after the service: \`POST /v1/quotes\`, then \`POST /v1/orders\` with an Idempotency-Key.`,
    "Every fifth attempt asks for exactly the technician and slot of the attempt before it and is started right after it,",
    "so about 20 % of attempts must get 409 and, with several clients, race the first. A booking holds the interval in the",
    "technician's cell, writes the order to D1, then confirms the hold and arms the accept deadline in one call (the",
    "technician lives in the order's cell): two storage-writing calls to the cell per booking, next to four D1 round trips",
    "before the answer (the idempotency claim; the address and the technician in parallel; one batch with the order, both",
    "timeline entries and their messages and the stored answer) and two after it (the outbox drain). The quote prices from",
    "a per-isolate cache of the service and the cell's city (test/orders/booking-roundtrips.test.ts bounds these",
    "counts). Latency is quote + order; the two halves are shown apart.",
    "",
  );
  table(
    [
      "clients",
      "attempts",
      "booked",
      "409",
      "other errors",
      "bookings/s",
      "p50",
      "p95",
      "p99",
      "quote p50",
      "order p50",
      "of no-op ceiling",
      "of cell RPC ceiling",
    ],
    [...(w1?.levels ?? []).map((l) => ["wrangler dev", l] as const), ...(w1m?.levels ?? []).map((l) => ["Miniflare", l] as const)].map(
      ([rt, l]) => {
        const c = rt === "Miniflare" ? ceilM : ceilW;
        // a booking is two requests: compare requests per second with the ceilings
        const rps = (l.load.ops * 2 * 1000) / l.load.elapsedMs;
        return [
          `${l.concurrency} (${rt})`,
          n(l.attempts),
          n(l.booked),
          n(l.conflicts),
          n(l.errors),
          n(l.bookingsPerSecond, 1),
          ms(l.load.latencyMs.p50),
          ms(l.load.latencyMs.p95),
          ms(l.load.latencyMs.p99),
          ms(l.quoteMs?.p50),
          ms(l.orderMs?.p50),
          pct(rps, ceilingAt(c, "noop", l.concurrency)),
          pct(rps, ceilingAt(c, "ping", l.concurrency)),
        ];
      },
    ),
  );
  const auditLine = (a: Audit | undefined, what: string) =>
    a
      ? `${what}: ${n(a.technicians)} calendars read back from their cell, ${n(a.calendarItems)} intervals; **${n(a.overlaps)} overlaps**, ${n(a.travelViolations)} pairs closer than their travel gap; ${n(a.acknowledged)} acknowledged bookings, **${n(a.missingInCell)} missing from the cell, ${n(a.missingInD1)} missing from D1**; ${n(a.unacknowledgedItems)} ${a.unacknowledgedItems === 1 ? "interval" : "intervals"} that no answer acknowledged (a request cut off before its answer; a hold of one expires by itself).`
      : `${what}: not run.`;
  const at10 = w1At(10)?.bookingsPerSecond ?? 0;
  const at50 = w1At(50)?.bookingsPerSecond ?? 0;
  L.push(
    "The ceiling columns compare the storm's requests per second (two per booking) with the no-op route and the cell RPC",
    "at the same number of clients.",
    ...(at10 && at50 <= at10
      ? [
          `Throughput does not grow past 10 clients on this machine (${n(at10, 1)} → ${n(at50, 1)} bookings/s): locally one Worker isolate serves every`,
          "request on one thread, next to the load generator and other engineers' work on the same two cores, so more clients",
          "only lengthen the queue (the quote, a pure read, slows as much as the order).",
        ]
      : []),
    "",
    auditLine(w1?.audit, "Audit after W1"),
    "",
  );
  if (w1m) L.push(auditLine(w1m.audit, "Audit of everything acknowledged in the run, read back through Miniflare at the end"), "");

  L.push("## W2 maximum contention", "");
  L.push(
    `All ${w2?.clients ?? "–"} clients book the same technician and slot at the same moment, ${w2?.rounds ?? "–"} rounds on fresh slots. Exactly one`,
    "may win each round.",
    "",
  );
  table(
    ["rounds", "winners per round", "exactly one each time", "p50", "p99"],
    [
      [
        n(w2?.rounds),
        w2?.winners.join(", ") ?? "–",
        w2 ? (w2.exactlyOneWinner ? "yes" : "**no**") : "–",
        ms(w2?.latencyMs.p50),
        ms(w2?.latencyMs.p99),
      ],
    ],
  );

  L.push("## Inside one CellDO", "");
  L.push(
    "Check-then-write holds against 200 technicians, a fifth of the attempts asking for a taken interval, in a loop inside",
    "the object (workerd through the vitest plugin). `CellDO.hold` runs the full rule set (expiry sweep, shift windows,",
    "travel-aware clash check, timer) in one synchronous transaction; the raw line is a bare SQLite `SELECT …; INSERT` on an",
    "equivalent table in the same object: the physical limit. Both must hold the same intervals.",
    "",
  );
  table(
    ["path", "attempts", "held", "per second"],
    [
      ["`CellDO.hold`, in the object", n(holds?.attempts), n(holds?.held), n(holds?.holdsPerSecond)],
      ["raw SQLite check-and-insert, same object", n(holds?.rawAttempts), n(holds?.rawHeld), n(holds?.rawPerSecond)],
      ["`stub.hold` over RPC from the test Worker, one at a time", n(holds?.rpcSequentialAttempts), "–", n(holds?.rpcSequentialPerSecond)],
    ],
  );
  if (holds) L.push(`The full rule set costs ${n(holds.rawPerSecond! / holds.holdsPerSecond!, 1)}× the bare check-and-insert.`, "");

  L.push(...historySection(run, resultFile));

  L.push("## PostgreSQL peer, and the naive D1 path", "");
  if (peer?.skipped) L.push(`The peer was skipped: ${peer.skipped}.`, "");
  else {
    L.push(
      `The same W1 workload (same clients, same 20 % repeats, same load generator) against ${peer?.runtime ?? "PostgreSQL"}:`,
      "PostgreSQL 15 from Debian, started by the bench in a temp directory on 127.0.0.1:55432 as the `postgres` user and",
      "stopped afterwards, behind a minimal Node HTTP server (bench/node/pg-peer.ts) whose quote is an HMAC-signed price and",
      "whose order is one `INSERT` guarded by `EXCLUDE USING gist (technician_id WITH =, during WITH &&)` (btree_gist,",
      "tstzrange). It has no accounts, tokens, encryption, idempotency, timeline, outbox or dispatch, so it is the floor of",
      "what a booking costs in a classic stack, not an equal.",
      "",
    );
    table(
      ["clients", "peer bookings/s", "peer p50", "peer p99", "Doorstep bookings/s", "Doorstep / peer"],
      levels.map((c) => [
        c,
        n(peerAt(c)?.bookingsPerSecond, 1),
        ms(peerAt(c)?.load.latencyMs.p50),
        ms(peerAt(c)?.load.latencyMs.p99),
        n(w1At(c)?.bookingsPerSecond, 1),
        peerAt(c) && w1At(c) ? `${n(w1At(c)!.bookingsPerSecond / peerAt(c)!.bookingsPerSecond, 2)}×` : "–",
      ]),
    );
    if (peer?.audit)
      L.push(
        `Peer audit: ${n(peer.audit.bookings)} bookings stored, **${n(peer.audit.overlaps)} overlapping pairs**, ${n(peer.audit.missing)} of ${n(peer.audit.acknowledged)} acknowledged missing.`,
        "",
      );
  }
  L.push(
    "The naive path (`POST /v1/bench/naive-orders`, a route of the benchmark Worker only) books exactly like `POST /v1/orders` with a",
    "chosen technician, but without the cell: it reads the technician's orders in D1, then inserts the new one. Nothing",
    "serialises the read and the write, which is the race a cell exists to prevent. Its overlaps are counted in D1.",
    "",
  );
  table(
    ["clients", "attempts", "acknowledged", "409", "pairs acknowledged twice or more", "bookings/s", "p50"],
    (naive?.levels ?? []).map((l) => [
      l.concurrency,
      n(l.attempts),
      n(l.booked),
      n(l.conflicts),
      n(l.pairsDoubleBooked),
      n(l.bookingsPerSecond, 1),
      ms(l.load.latencyMs.p50),
    ]),
  );
  if (naive)
    L.push(
      `Naive audit: ${n(naive.audit.orders)} orders, **${n(naive.audit.overlappingPairs)} overlapping pairs** on ${n(naive.audit.technicians)} technicians. Through the cell the same workload gave 0.`,
      "",
    );

  L.push("## W4 availability", "");
  if (w4) {
    L.push(
      `${n(w4.technicians)} technicians in one cell with ${n(w4.bookings)} bookings (three a day each, loaded through \`POST /v1/bench/cells/{cell}/bookings\` at`,
      `${n(w4.fillPerSecond)} a second); \`GET /v1/availability\` for one local day (${w4.date}) of a 2-hour job at the cell's centre, which asks`,
      "that cell and its staffed neighbours in parallel.",
      "",
    );
    table(
      ["clients", "queries", "queries/s", "p50", "p95", "p99", "slots offered", "technician-slots"],
      [w4.sequential, w4.concurrent].map((l) => [
        l.concurrency,
        n(l.ops),
        n(l.opsPerSecond, 1),
        ms(l.latencyMs.p50),
        ms(l.latencyMs.p95),
        ms(l.latencyMs.p99),
        n(w4.slotsOffered),
        n(w4.technicianSlots),
      ]),
    );
  }
  if (inAvail)
    L.push(
      `Inside the object alone (RPC from the test Worker, ${n(inAvail.bookings)} bookings, ${n(inAvail.runs)} asks): p50 ${ms(inAvail.p50Ms)}, p99 ${ms(inAvail.p99Ms)}.`,
      "",
    );

  L.push("## W5 presence", "");
  if (w5)
    L.push(
      `${n(w5.technicians)} technicians of one cell go on duty, then ${n(w5.concurrency)} clients send \`POST /v1/technician/presence\` heartbeats for them in turn as`,
      "fast as they are answered; once a second the bench reads the cell's presence table (bench route) and takes, for every",
      "technician on duty, how old its last heartbeat is there: the staleness a customer watching the map would see.",
      "",
    );
  if (w5)
    table(
      ["heartbeats", "updates/s", "p50", "p99", "each technician refreshed every", "staleness p50", "staleness p99", "staleness max"],
      [
        [
          n(w5.updates),
          n(w5.updatesPerSecond, 1),
          ms(w5.load.latencyMs.p50),
          ms(w5.load.latencyMs.p99),
          ms(w5.perTechnicianIntervalMs),
          ms(w5.stalenessMs.p50),
          ms(w5.stalenessMs.p99),
          ms(w5.stalenessMs.max),
        ],
      ],
    );

  L.push("## W6 / W7 dispatch", "");
  L.push(
    "A dispatch decision is two halves: the cell answers which of its technicians could take the job (skills, shifts,",
    "travel-aware clash check, distance; RPC into a cell holding that many technicians, a third with an earlier job that",
    "day), then the Worker scores and ranks them (timed in Node, where the clock runs during computation).",
    "",
  );
  table(
    ["candidates", "cell query mean", "cell query p99", "ranking p50", "ranking p99"],
    (cand?.sizes ?? []).map((s) => {
      const r = rank?.sizes.find((x) => x.candidates === s.candidates);
      return [n(s.candidates), ms(s.meanMs), ms(s.p99Ms), ms(r?.rankMs.p50), ms(r?.rankMs.p99)];
    }),
  );
  L.push(
    "Batched assignment: pending jobs and twice as many free technicians spread over a 20 km square; cost is travel minutes",
    "(straight line × 1.4 at 25 km/h); a technician more than 8 km away or without the skill (one in ten) cannot take a job.",
    "The batch strategy is `hungarian` (src/domain/assignment.ts, minimum-cost assignment), one-by-one dispatch is",
    "`greedyAssignment` (each job in arrival order takes the cheapest free technician), and the exact optimum comes from an",
    "independent solver, HiGHS (npm `highs`), on the assignment LP (integral: the constraint matrix is totally unimodular).",
    "**The batch strategy is the Hungarian method, so its gap to the optimum is 0 by construction**; the bench measures it",
    "anyway against HiGHS, and fails if it is not 0.",
    "",
  );
  table(
    [
      "jobs",
      "technicians",
      "instances",
      "batch solve",
      "greedy solve",
      "HiGHS solve",
      "travel min: batch / greedy / optimum",
      "greedy vs optimum (mean, max)",
      "batch vs optimum",
    ],
    (batch?.sizes ?? []).map((s) => [
      n(s.jobs),
      n(s.technicians),
      n(s.instances),
      ms(s.solveMs.batch),
      ms(s.solveMs.greedy),
      ms(s.solveMs.optimum),
      `${n(s.travelMinutes.batch)} / ${n(s.travelMinutes.greedy)} / ${n(s.travelMinutes.optimum)}`,
      `+${n(s.gapPercent.greedyVsOptimum, 2)} %, +${n(s.gapPercent.greedyVsOptimumMax, 2)} %`,
      `${n(s.gapPercent.batchVsOptimum, 4)} %`,
    ]),
  );

  L.push("## W9 cold start of a new cell", "");
  if (w9)
    L.push(
      `The first call to a cell that never ran (the object is created, opens its SQLite storage and applies its schema) against`,
      `the second call, over ${n(w9.cells)} fresh cells through the cell RPC no-op: first call p50 ${ms(w9.firstCallMs.p50)} (max ${ms(w9.firstCallMs.max)}),`,
      `second call p50 ${ms(w9.secondCallMs.p50)}. A whole runtime restart (W10) took ${ms(w10?.restartMs)} to the first healthy answer, and the`,
      `first call to the storm cell after it ${ms(w10?.firstCallAfterRestartMs)}.`,
      "",
    );

  L.push("## W10 restart durability", "");
  if (w10)
    L.push(
      `A storm of 10 clients runs until ${n(w10.ackedBeforeKill)} bookings are acknowledged; then the bench SIGKILLs the runtime's workerd processes`,
      `by their process ids (${w10.killedPids.length} processes, ${ms(w10.killAfterMs)} into the storm), stops wrangler, starts it again on the same`,
      `local state and audits. ${n(w10.failedInFlight)} requests in flight failed with the kill (never acknowledged).`,
      "",
      auditLine(w10.audit, "Audit of the storm"),
      "",
      auditLine(w10.auditOfEverything, "Audit of everything acknowledged since the start of the run, after the restart"),
      "",
    );

  // ---- meaning ----
  const best = Math.max(0, ...(w1?.levels ?? []).map((l) => l.bookingsPerSecond));
  const inObject = holds?.holdsPerSecond;
  L.push(
    "## What it means for one production cell, and for a city",
    "",
    `- **Here**, one cell took up to ${n(best, 1)} bookings a second through the whole HTTP stack on \`wrangler dev\`, with 0 overlaps and`,
    `  nothing acknowledged lost, against a ceiling of ${n(ceilingAt(ceilW, "noop", 50))} no-op requests a second on the same runtime. The`,
    "  booking path (two requests, six D1 round trips, field encryption, idempotency, two cell writes) is what costs,",
    `  not the cell: inside the object a hold with every rule takes about ${inObject ? n(1000 / inObject, 2) : "–"} ms (${n(inObject)} a second).`,
    "- **In production**, Cloudflare's guidance is a few hundred storage-writing requests a second per Durable Object. A",
    "  booking makes two writing calls to its cell (the hold, then the booking with its accept deadline; a technician from",
    "  a neighbouring cell gets both there and the deadline goes to the order's cell), so one cell would saturate at",
    "  roughly 100–225 bookings a second (200–450 writes), whatever the Worker in front of it costs, since Workers scale out",
    "  and one object does not.",
    "- **For a city**: bookings bunch into peak hours; with 15 % of a day's orders in the busiest hour, a city of N orders a",
    "  day peaks at N × 0.15 / 3600 bookings a second across all its cells. 1,000,000 orders a day is about 42 a second for",
    "  the whole city; even if one district cell took a quarter of them (10 a second, 20 writes) it stays an order of",
    "  magnitude under one object's budget. Presence is the heavier writer: one heartbeat is one cell write, so 500",
    "  technicians at one heartbeat every 10 s are 50 writes a second in their home cell, and W5 shows how far this machine",
    `  got (${n(w5?.updatesPerSecond, 1)} a second). A cell that outgrows its budget is split by a finer H3 resolution for that city`,
    '  (DESIGN.md, "Hot cells").',
    "",
    `Setup of this run: the demo seed (\`npm run seed\`) plus ${n(setup?.technicians?.storm)} + ${n(setup?.technicians?.calendar)} + ${n(setup?.technicians?.presence)} bench technicians written to D1 (bench/seed-bench.ts) in`,
    `${ms(setup?.seedMs)}, \`wrangler dev\` up in ${ms(setup?.startMs)}, ${n(setup?.customers)} customers signed up through the API and the cells warmed in ${ms(setup?.setupMs)}.`,
    "The technicians are written to D1 directly rather than created one by one through `POST /v1/admin/technicians`, to",
    "keep the set-up short. (An earlier run found that endpoint answering 500 when several operators called it at once:",
    "concurrent audit-log appends collided. Audit entries are now sealed into the hash chain after a collision-free insert,",
    "and test/audit/audit.test.ts proves 20 concurrent sensitive actions.)",
    "",
  );
  const file = path.join(ROOT, "BENCHMARKS.md");
  writeFileSync(file, L.join("\n"));
  // `npm test` runs prettier --check over the tree: the generated page is written in its format.
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--write", file], {
    stdio: "ignore",
  });
}

interface Growth {
  h: { ms: number; rowsRead: number };
  h10: { ms: number; rowsRead: number };
  msRatio: number;
  rowsRatio: number;
}
interface HistoryGrowth {
  history: {
    cell: { techniciansWithHistory: number; visits: number[]; positions: number[] };
    d1: { orders: number[]; timelineEvents: number[]; auditEntries: number[] };
  };
  reps: { cell: number; alarm: number; d1: number };
  cell: Record<string, Growth>;
  d1: Record<string, Growth>;
  control: { cell: Record<string, Growth>; d1: Record<string, Growth> };
  machine?: { loadAverage?: number[] };
  command?: string;
}

const HISTORY_START = "<!-- history-growth:start -->";
const HISTORY_END = "<!-- history-growth:end -->";
const OPERATIONS: Record<string, string> = {
  availability: "availability of a day (24 starts, 20 technicians)",
  candidates: "dispatch candidates of a job",
  booking: "booking: hold, confirm, release",
  heartbeat: "heartbeat",
  alarm: "alarm: expire a hold, send, prune",
  holdKeyLookup: "order by hold key",
  auditAppend: "audit append (insert and seal)",
  historyRead: "dispatch history of 20 technicians",
};

/** The "History growth" section (its own run may be newer than the rest of the page: `npm run bench -- --history`). */
function historySection(run: Run, resultFile: string): string[] {
  const g = run.results.find((r) => r.name === "history.growth") as HistoryGrowth | undefined;
  const L: string[] = [HISTORY_START, "## History growth", ""];
  if (!g) {
    L.push("Not part of this run.", "", HISTORY_END, "");
    return L;
  }
  const num = (x: number, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d });
  L.push(
    `Recorded ${run.startedAt} with \`${g.command ?? run.command}\` in \`${resultFile}\` (load average ${g.machine?.loadAverage?.[0] ?? "–"}).`,
    "",
    "The hot operations with a history of H and of 10×H (bench/history.bench.test.ts, workerd through the vitest plugin):",
    `in the cell ${num(g.history.cell.visits[0]!)} and ${num(g.history.cell.visits[1]!)} past visits of ${g.history.cell.techniciansWithHistory} technicians with as many events and sent`,
    `outbox rows, and ${num(g.history.cell.positions[0]!)} and ${num(g.history.cell.positions[1]!)} trail points; in D1 ${num(g.history.d1.orders[0]!)} and ${num(g.history.d1.orders[1]!)} past orders with one`,
    "timeline entry each and as many sealed audit entries. A cell operation is timed as a loop inside the object",
    `(${g.reps.cell} runs, the alarm ${g.reps.alarm}), a D1 operation as ${g.reps.d1} awaited calls. Rows read are SQLite's own count:`,
    "`SqlStorageCursor.rowsRead` for one cell operation, `meta.rows_read` of the D1 operation's reads run again right after",
    "it. Flat means a ratio 10×H / H close to 1; the rows read must not grow at all (the suite fails otherwise). The",
    "times are one run on a shared machine: a D1 call is mostly the local round trip, and the alarm mostly its queue send,",
    "so their time ratios move with the load; the rows read are the deterministic measure.",
    "",
  );
  const rows = (set: Record<string, Growth>, layer: string) =>
    Object.entries(set).map(([op, r]) => [
      layer,
      OPERATIONS[op] ?? op,
      `${num(r.h.ms, 3)} ms`,
      num(r.h.rowsRead),
      `${num(r.h10.ms, 3)} ms`,
      num(r.h10.rowsRead),
      `${num(r.msRatio, 2)}×`,
      `${num(r.rowsRatio, 2)}×`,
    ]);
  const head = ["where", "operation", "H: per op", "H: rows read", "10×H: per op", "10×H: rows read", "time ratio", "rows ratio"];
  const table = (body: string[][]) => {
    L.push(`| ${head.join(" | ")} |`, `| ${head.map((_, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`);
    for (const r of body) L.push(`| ${r.join(" | ")} |`);
    L.push("");
  };
  table([...rows(g.cell, "cell"), ...rows(g.d1, "D1")]);
  L.push(
    "The control: the same code and the same histories with the indexes of the cell's last migration (intervals by start,",
    "positions by time, sent outbox rows) and of `bounded_history_indexes` (orders by hold key, a technician's completed",
    "orders, timeline events by actor, unsealed audit entries) dropped. It shows the growth the indexes remove; the bounds",
    "on the interval windows and the single candidates read are not undone by it, so booking stays flat there too.",
    "",
  );
  table([...rows(g.control.cell, "cell"), ...rows(g.control.d1, "D1")]);
  L.push(HISTORY_END, "");
  return L;
}

/** Rewrites only the "History growth" section of BENCHMARKS.md from a `--history` run, leaving the rest as recorded. */
export function renderHistorySection(run: Run, resultFile: string): void {
  const file = path.join(ROOT, "BENCHMARKS.md");
  const page = readFileSync(file, "utf8");
  const section = historySection(run, resultFile).join("\n");
  const start = page.indexOf(HISTORY_START);
  const end = page.indexOf(HISTORY_END);
  let next: string;
  if (start >= 0 && end > start) next = page.slice(0, start) + section + page.slice(end + HISTORY_END.length).replace(/^\n*/, "\n");
  else {
    const at = page.indexOf("## PostgreSQL peer");
    next = at >= 0 ? `${page.slice(0, at)}${section}\n${page.slice(at)}` : `${page.trimEnd()}\n\n${section}`;
  }
  writeFileSync(file, next);
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs"), "--write", file], {
    stdio: "ignore",
  });
}
