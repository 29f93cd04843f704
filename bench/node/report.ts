/** Renders BENCHMARKS.md and bench/charts/*.svg from one recorded run (bench/results/<timestamp>.json). */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { barChart } from "./charts.ts";
import { CITIES, PEAK_FACTORS, PLATFORM, ceilingsOf, cityNeed, inputsOf, splitPoint, targetsOf } from "./capacity.ts";
import type { Pinning } from "./pinning.ts";
import type { Audit } from "./booking.ts";
import type { batchAssignment } from "./dispatch-quality.ts";
import type { LoadResult, Outcome, Percentiles } from "./load.ts";
import { routeSection } from "./routes.ts";
import { ROOT } from "./runtime.ts";
import type { RestartResult, StormLevel } from "./workloads.ts";

type BatchRow = Awaited<ReturnType<typeof batchAssignment>>[number];

export interface Run {
  startedAt: string;
  finishedAt: string;
  command: string;
  quick: boolean;
  /** `--primary`: only the peers and Miniflare ran. */
  primaryOnly?: boolean;
  machine: Record<string, unknown>;
  /** How the load generator and the systems under test were pinned to cores (bench/node/pinning.ts). */
  pinning?: Pinning;
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

/** How the run was pinned, in one paragraph. */
function pinningLine(p: Pinning | undefined): string {
  if (!p) return "Pinning: not recorded (a run from before the bench pinned its processes): everything shared every core.";
  if (!p.pinned) return `Pinning: **not pinned** (${p.reason}); the load generator and the systems under test shared every core.`;
  return [
    `Pinning (taskset): the load generator (the bench's Node process) on core ${p.generator}, each system under test alone on core ${p.system}`,
    "(workerd with its host process; PostgreSQL with the peer's HTTP server), so both sides get one core each; the kernel's",
    `affinity of every process is recorded with its workload. Commands: ${p.commands.map((c) => `\`${c}\``).join(", ")}.`,
  ].join(" ");
}

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
    audit: { bookings: number; overlaps: number; acknowledged: number; missing: number; deadlockRetries?: number };
    skipped?: string;
  }>("peer.postgres");
  const eq = one<{
    runtime: string;
    levels: Level[];
    audit: { bookings: number; overlaps: number; acknowledged: number; missing: number; incomplete: number; deadlockRetries?: number };
    skipped?: string;
  }>("peer.equivalent");
  const floor = one<{
    runtime: string;
    levels: Level[];
    audit: { bookings: number; overlaps: number; acknowledged: number; missing: number; incomplete: number };
    skipped?: string;
  }>("peer.floor");
  const counted = one<{ level: Level }>("bookings.counted");
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
  const eqAt = (clients: number) => eq?.levels?.find((l) => l.concurrency === clients);
  const floorAt = (clients: number) => floor?.levels?.find((l) => l.concurrency === clients);
  const w1mAt = (clients: number) => w1m?.levels.find((l) => l.concurrency === clients);
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
        { name: "PostgreSQL minimal peer", values: levels.map((c) => peerAt(c)?.bookingsPerSecond ?? null) },
        { name: "PostgreSQL equivalent peer", values: levels.map((c) => eqAt(c)?.bookingsPerSecond ?? null) },
        { name: "runtime floor (Miniflare)", values: levels.map((c) => floorAt(c)?.bookingsPerSecond ?? null) },
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
    "treat them as orders of magnitude and ratios, not as production numbers. Nothing here is asserted by `npm test`; the",
    "bench exits non-zero only on correctness (overlapping intervals, an acknowledged booking missing from its calendar or",
    "from D1, more than one winner of one slot, a server error during a storm, counters that missed requests). Each record",
    "in the results file carries the machine, its load average and the exact command.",
    ...(run.quick || run.primaryOnly
      ? [
          "",
          `**This run used ${[run.quick && "the quick sizes", run.primaryOnly && "`--primary` (the peers and Miniflare only)"].filter(Boolean).join(" and ")}**: the machinery and the audits are`,
          "proven, the figures are not the ones to quote. Rerun `npm run bench` on a quiet machine for those.",
        ]
      : []),
    "",
    pinningLine(run.pinning),
    "",
    ok ? "Correctness in this run: **every check passed**." : `Correctness in this run: **${run.failures.length} check(s) failed**:`,
    ...run.failures.map((f) => `- ${f}`),
    "",
    "Run it with `npm run bench` (full sizes) or `npm run bench -- --quick` (smaller counts, about 4 minutes); add",
    "`--primary` for the peers and Miniflare only, `--no-pin` to leave the processes unpinned, `--history [--quick]` for only the",
    "history-growth suite (it rewrites only its section); `npm run bench -- --render",
    "<results file>` regenerates this page from a recorded run. It uses 127.0.0.1 ports 8790 (wrangler dev), 8791",
    "(Miniflare), 8797 (inspector), 8798 (the peers' HTTP server, one after the other) and 55432 (PostgreSQL), refuses to",
    "start if one is taken, and stops every process it started, also on failure or Ctrl+C.",
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
        "W1 booking storm, Miniflare, 10 clients",
        `${n(w1mAt(10)?.bookingsPerSecond, 1)} bookings/s, p99 ${ms(w1mAt(10)?.load.latencyMs.p99)}; ${n(counted?.level.measured?.counts?.perBooking?.d1Statements, 1)} D1 statements and ${n(counted?.level.measured?.counts?.perBooking?.cellCalls, 1)} cell calls per booking`,
        `PostgreSQL equivalent peer ${n(eqAt(10)?.bookingsPerSecond, 1)}, minimal peer ${n(peerAt(10)?.bookingsPerSecond, 1)} bookings/s`,
        load1("w1.storm.miniflare"),
      ],
      [
        "W1 booking storm, wrangler dev, best level",
        `${n(top, 1)} bookings/s at ${topLevel?.concurrency ?? "–"} clients, p99 ${ms(topLevel?.load.latencyMs.p99)}`,
        `PostgreSQL minimal peer ${n(peerAt(topLevel?.concurrency ?? 0)?.bookingsPerSecond, 1)} bookings/s at the same clients`,
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

  // ---- the primary comparison, the targets, the counts ----
  L.push("## Targets of issue 12", "");
  L.push(
    "Each target next to this run's figure (Doorstep on Miniflare at 10 clients, the peers at 10 clients, the counted",
    "single bookings), marked honestly: ✅ met, ❌ not met, – not measured in this run. The last column is the same figure",
    'for the runtime floor (below, "The runtime floor"): a target the floor misses is out of reach on this runtime.',
    "",
  );
  table(
    ["target", "measured", "met", "the runtime floor"],
    targetsOf(run).map((t) => [t.target, t.measured, t.pass === null ? "–" : t.pass ? "✅" : "❌", t.floor]),
  );

  L.push("## Primary comparison: Doorstep on Miniflare and the PostgreSQL peers", "");
  L.push(
    "The same W1 workload (quote, then order; every fifth attempt repeats the one before it and must get 409; same load",
    "generator, same clients) against Doorstep on Miniflare directly and against two PostgreSQL peers behind a Node HTTP",
    "server with a pool of 20 (bench/node/pg-peer.ts). The **minimal** peer is one `INSERT` guarded by an exclusion",
    "constraint (`EXCLUDE USING gist (technician_id WITH =, during WITH &&)`): the floor of a booking there. The",
    "**equivalent** peer does what a booking does here: the account looked up by the SHA-256 of its bearer token on every",
    "request, then in one transaction the Idempotency-Key claimed (a retry gets the stored answer), the customer's address",
    "and the technician read, the exclusion-constrained insert, both timeline rows, both outbox rows and the answer stored",
    "with the key (a refused slot stores its 409). Neither peer encrypts personal data, dispatches or delivers",
    "notifications. CPU is the system under test's (user + system, every process of its tree, read from /proc around each",
    "level, until the queue consumers have settled) divided by the bookings acknowledged.",
    "",
  );
  const cpuOf = (l: Level | undefined) => ms(l?.measured?.cpu?.systemMsPerBooking);
  table(
    [
      "clients",
      "Doorstep bookings/s",
      "p99",
      "CPU per booking",
      "minimal peer bookings/s",
      "p99",
      "CPU per booking",
      "equivalent peer bookings/s",
      "p99",
      "CPU per booking",
      "Doorstep / minimal",
      "Doorstep / equivalent",
    ],
    levels.map((c) => {
      const d = w1mAt(c);
      const mp = peerAt(c);
      const ep = eqAt(c);
      const r = (a?: Level, b?: Level) => (a && b && b.bookingsPerSecond ? `${n(a.bookingsPerSecond / b.bookingsPerSecond, 2)}×` : "–");
      return [
        c,
        n(d?.bookingsPerSecond, 1),
        ms(d?.load.latencyMs.p99),
        cpuOf(d),
        n(mp?.bookingsPerSecond, 1),
        ms(mp?.load.latencyMs.p99),
        cpuOf(mp),
        n(ep?.bookingsPerSecond, 1),
        ms(ep?.load.latencyMs.p99),
        cpuOf(ep),
        r(d, mp),
        r(d, ep),
      ];
    }),
  );
  for (const [name, p] of [
    ["Minimal peer", peer],
    ["Equivalent peer", eq],
  ] as const)
    if (p?.skipped) L.push(`${name} skipped: ${p.skipped}.`, "");
    else if (p?.audit)
      L.push(
        `${name} audit: ${n(p.audit.bookings)} bookings stored, **${n(p.audit.overlaps)} overlapping pairs**, ${n(p.audit.missing)} of ${n(p.audit.acknowledged)} acknowledged missing` +
          `${"incomplete" in p.audit && name === "Equivalent peer" ? `, ${n(p.audit.incomplete)} orders without their two timeline rows, two outbox rows and stored answer` : ""}` +
          `; ${n(p.audit.deadlockRetries ?? 0)} transactions retried after PostgreSQL aborted them as deadlock victims (clashing inserts on an exclusion constraint can wait on each other).`,
        "",
      );

  L.push("### The runtime floor", "");
  L.push(
    "The least a booking can do on this runtime with this design (bench/floor/worker.ts on Miniflare, pinned as Doorstep",
    "is, the equivalent peer's HTTP contract and audit): an HMAC-signed session checked in memory, a signed quote, and per",
    "order one Durable Object call that checks the calendar and holds the interval in one SQLite transaction, then one D1",
    "batch (the key's record with its answer, the order, both timeline rows, both outbox rows). No framework, validation,",
    "rate limit, log line, travel or shift rule, encryption, queue or notification delivery. A target the floor misses",
    "cannot be met by any Doorstep code on this runtime.",
    "",
  );
  if (floor?.skipped) L.push(`Runtime floor skipped: ${floor.skipped}.`, "");
  else if (floor?.levels) {
    table(
      ["clients", "floor bookings/s", "p99", "CPU per booking", "floor / equivalent peer", "floor / minimal peer", "Doorstep / floor"],
      levels.map((c) => {
        const f = floorAt(c);
        const r = (a?: Level, b?: Level) => (a && b && b.bookingsPerSecond ? `${n(a.bookingsPerSecond / b.bookingsPerSecond, 2)}×` : "–");
        return [c, n(f?.bookingsPerSecond, 1), ms(f?.load.latencyMs.p99), cpuOf(f), r(f, eqAt(c)), r(f, peerAt(c)), r(w1mAt(c), f)];
      }),
    );
    L.push(
      `Runtime floor audit: ${n(floor.audit.bookings)} bookings stored, **${n(floor.audit.overlaps)} overlapping pairs**, ${n(floor.audit.missing)} of ${n(floor.audit.acknowledged)} acknowledged missing, ${n(floor.audit.incomplete)} orders without their rows, stored answer or held interval.`,
      "",
    );
  }

  L.push("## D1 statements and cell calls per booking (counted)", "");
  L.push(
    "The benchmark Worker (bench/worker.ts) runs every request, queue batch and cron run with bindings that count each D1",
    "statement (a batch counts each of its statements, and once as a round trip), each call to a cell and each queue send",
    "(bench/worker/counters.ts, the same wrappers as test/support/counting.ts); the bench resets the counters before a",
    "storm and reads them once they stop moving, so the outbox hand-off after the answer and the notification consumer are",
    "included. Per booking = everything counted ÷ bookings acknowledged. The headline is the counted run: one client,",
    `${n(counted?.level.attempts)} bookings of fresh slots, no 409s; the W1 levels on Miniflare add the quotes and refusals of their 20 % repeats.`,
    "",
  );
  const perRows = [
    ...(counted ? [["counted, 1 client", counted.level] as const] : []),
    ...(w1m?.levels ?? []).map((l) => [`W1 Miniflare, ${l.concurrency} client${l.concurrency > 1 ? "s" : ""}`, l] as const),
    ...(w1?.levels ?? []).map((l) => [`W1 wrangler dev, ${l.concurrency} client${l.concurrency > 1 ? "s" : ""}`, l] as const),
  ];
  table(
    [
      "workload",
      "bookings",
      "D1 statements",
      "of them the outbox drain's",
      "D1 round trips",
      "cell calls",
      "queue sends",
      "counted every order request",
    ],
    perRows.map(([what, l]) => {
      const pb = l.measured?.counts?.perBooking;
      return [
        what,
        n(l.booked),
        n(pb?.d1Statements, 2),
        n(pb?.drainStatements, 2),
        n(pb?.d1RoundTrips, 2),
        n(pb?.cellCalls, 2),
        n(pb?.queueSends, 2),
        l.measured?.counts ? (l.measured.counts.complete ? "yes" : "**no**") : "–",
      ];
    }),
  );
  const sources = counted?.level.measured?.counts?.sources;
  if (sources && counted.level.booked) {
    L.push("Where the counted run's statements come from, per booking:", "");
    const b = counted.level.booked;
    table(
      ["source", "invocations", "D1 statements", "D1 round trips", "cell calls"],
      Object.entries(sources).map(([src, x]) => [
        `\`${src}\``,
        n(x.invocations),
        n(x.d1Statements / b, 2),
        n(x.d1RoundTrips / b, 2),
        Object.entries(x.cellCalls)
          .map(([k, v]) => `${k} ${n(v / b, 2)}`)
          .join(", ") || "0",
      ]),
    );
    L.push("<details><summary>Every statement shape of the counted run, per booking</summary>", "");
    table(
      ["source", "statement (first 72 characters)", "per booking"],
      Object.entries(sources).flatMap(([src, x]) =>
        Object.entries(x.statements).map(([shape, k]) => [
          `\`${src}\``,
          `\`${shape.replaceAll("|", "\\|").replaceAll("`", "'")}\``,
          n(k / b, 2),
        ]),
      ),
    );
    L.push("</details>", "");
  }

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
      "process cost that much here. Production runs the Worker on workerd without that proxy, so the primary comparison (W1",
      "against the PostgreSQL peers) runs on Miniflare; `wrangler dev` (the runtime developers use) is the second line and",
      "serves the other workloads.",
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
    "timeline entries and their messages and the stored answer) and none after it (the messages go to the queue as the",
    "batch collected them; the notification consumer reads once and writes once per queue batch). The quote prices from",
    "a per-isolate cache of the service and the cell's city (test/orders/booking-roundtrips.test.ts bounds these",
    "counts; the section above counts them per booking in the storms). Latency is quote + order; the two halves are shown apart.",
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
    [...(w1m?.levels ?? []).map((l) => ["Miniflare", l] as const), ...(w1?.levels ?? []).map((l) => ["wrangler dev", l] as const)].map(
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
    auditLine(w1m?.audit, "Audit after the storms on Miniflare"),
    "",
  );
  if (w1) L.push(auditLine(w1.audit, "Audit after the storms on wrangler dev, of everything acknowledged so far"), "");

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

  L.push("## The second line: wrangler dev against the peers, and the naive D1 path", "");
  L.push(
    `The W1 storms on \`wrangler dev\` next to the same peers (PostgreSQL: ${peer?.runtime ?? eq?.runtime ?? "not run"}; see the primary comparison).`,
    "",
  );
  table(
    ["clients", "wrangler dev bookings/s", "p99", "CPU per booking", "minimal peer", "equivalent peer", "÷ minimal", "÷ equivalent"],
    levels.map((c) => {
      const d = w1At(c);
      const r = (b?: Level) => (d && b?.bookingsPerSecond ? `${n(d.bookingsPerSecond / b.bookingsPerSecond, 2)}×` : "–");
      return [
        c,
        n(d?.bookingsPerSecond, 1),
        ms(d?.load.latencyMs.p99),
        cpuOf(d),
        n(peerAt(c)?.bookingsPerSecond, 1),
        n(eqAt(c)?.bookingsPerSecond, 1),
        r(peerAt(c)),
        r(eqAt(c)),
      ];
    }),
  );
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

  L.push(...routeSection(run, resultFile));

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

  // ---- the capacity model (bench/node/capacity.ts) ----
  const inputs = inputsOf(run);
  L.push("## Capacity model", "");
  if (!inputs) L.push("Not computed: this run has no counted bookings (`bookings.counted`).", "");
  else {
    const c = ceilingsOf(inputs);
    const pct0 = (x: number) => `${n(x * 100, x < 0.1 ? 1 : 0)} %`;
    L.push(
      "Computed from this run's results file by bench/node/capacity.ts (`npm run bench -- --render <results file>`",
      "regenerates this page from a recorded run, so a run on a quiet machine updates every figure below). The inputs",
      `are counted in the run (${inputs.source}); the platform figures are Cloudflare's documented ones, not measured here.`,
      "",
      "**Inputs per booking**",
      "",
      `- D1 statements **S = ${n(inputs.d1StatementsPerBooking, 2)}** all-in (the request, its hand-off to the queue, the notification consumer), in`,
      `  ${n(inputs.d1RoundTripsPerBooking, 2)} round trips; cell calls **K = ${n(inputs.cellCallsPerBooking, 2)}**.`,
      `- CPU **C = ${ms(inputs.cpuMsPerBooking)}** per booking: the whole local workerd (the Worker, the cell and the local D1's SQLite in one`,
      "  process, on its own core) for a quote and an order, notifications included. In production the cell and",
      "  D1 run elsewhere, so the Worker's own share is lower: C is an upper bound for it.",
      "",
      "**Ceilings** (formulas, then this run's figures)",
      "",
      `- One D1 database runs one statement at a time: at q = ${PLATFORM.d1QueryMs} ms a statement it takes 1000 / (S × q) = **${n(c.perDatabase, 1)} bookings/s**,`,
      "  for all the cities it holds together. A batch saves round trips, not database time: every statement counts.",
      `- One cell (Durable Object, soft limit ${n(PLATFORM.doRequestsPerSecond)} requests/s): ${n(PLATFORM.doRequestsPerSecond)} / K = **${n(c.perCell, 0)} bookings/s** (before presence`,
      "  heartbeats, which are cell writes too: 500 technicians every 10 s are 50 requests/s).",
      `- Worker CPU: 1000 / C = **${c.perCore ? n(c.perCore, 1) : "–"} bookings/s per core**; Workers scale out, so this sets cost, not a ceiling.`,
      "",
      `**What a city needs.** A city of N orders a day at peak factor F (the peak hour's rate ÷ the day's average rate) peaks`,
      `at N × F / 86,400 bookings/s. It needs that × S D1 statements/s, that × C / 1000 cores of CPU, and its busiest cell`,
      `(taking ${pct0(PLATFORM.hotCellShare)} of the city's bookings) that × ${PLATFORM.hotCellShare} × K cell requests/s. Load is the share of one ceiling used at the peak.`,
      "",
    );
    table(
      ["orders/day (N)", "F", "peak bookings/s", "D1 statements/s", "load on one D1", "cores (C)", "load on the busiest cell"],
      CITIES.flatMap((N) =>
        PEAK_FACTORS.map((F) => {
          const need = cityNeed(inputs, N, F);
          const flag = (x: number) => (x > PLATFORM.headroom ? `**${pct0(x)}**` : pct0(x));
          return [
            n(N),
            F,
            n(need.peakBookingsPerSecond, 1),
            n(need.d1StatementsPerSecond, 0),
            flag(need.databaseLoad),
            need.cores === null ? "–" : n(need.cores, need.cores < 1 ? 2 : 1),
            flag(need.hotCellLoad),
          ];
        }),
      ),
    );
    const splitAt = (F: number, S?: number) => n(Math.floor(splitPoint(inputs, F, S) / 1000) * 1000);
    L.push(
      `Bold: above the ${pct0(PLATFORM.headroom)} headroom the model plans with. **Where D1 must be split**: one database carries the cities on it`,
      `while Σ N × F ≤ 1000 / (S × q) × ${PLATFORM.headroom} × 86,400, i.e. at this run's S about **${splitAt(3)} orders a day at F = 3** (${splitAt(6)} at F = 6)`,
      `for all its cities together. At the issue's budget of S = 8 the same database carries ${splitAt(3, 8)} (F = 3) and ${splitAt(6, 8)} (F = 6).`,
      'A cell that passes its headroom is split by a finer H3 resolution for its city (DESIGN.md, "Hot cells"); the Worker',
      "needs nothing: it scales out.",
      "",
      "**The split: one D1 database per city group.** Cities are grouped so that each group's Σ N × F stays under the",
      "split point with room to grow; every group gets its own D1 database, and the global one keeps what is not a city's:",
      "",
      "- **Global database (`DB`)**: accounts, sessions and devices, merchants, the catalogue, cities and a `city_groups`",
      "  table (city → group), audit log, and a small `account_groups` index (which groups an account has orders in).",
      "- **One database per group (`DB_<GROUP>` bindings)**: everything a booking and a visit write: orders, their timeline,",
      "  the outbox, idempotency keys, dispatch decisions, payments, refunds, notifications and their deliveries,",
      "  reviews, complaints, settlements. A booking's one batch then touches only its group's database, and the",
      "  issue's all-in budget (S ≤ 8) applies per group.",
      "- **Routing**: the request resolves the group from the address's cell → city (already read from the per-isolate",
      "  reference cache) → group (the same cache), so routing adds no round trip. Order ids carry their group",
      '  (`ord_<group>_…`), so a lookup by id goes straight to its database; "my orders" reads the groups in',
      "  `account_groups` (usually one) in parallel, each through its own D1 session and bookmark.",
      "- **Fan-out reads**: operator lists and reports query every group in parallel and merge (they are paginated by",
      "  time already); the cron drains each group's outbox; migrations are applied to every group database.",
      "- **Moving a city to another group** (rebalancing): stop its writes for a minute (the city's cells refuse holds),",
      "  copy its rows by city id, switch `city_groups`, resume; order ids keep their old prefix and resolve through a",
      "  `moved_orders` map in the global database.",
      "- **Also bounded per database**: 10 GB of storage (D1 limit), so a group is split by size too once its orders,",
      "  timelines and notifications approach it; archiving closed orders older than the complaint window slows that.",
      "",
    );
  }
  L.push(
    `Setup of this run: the demo seed (\`npm run seed\`) plus ${n(setup?.technicians?.storm)} + ${n(setup?.technicians?.calendar)} + ${n(setup?.technicians?.presence)} bench technicians written to D1 (bench/seed-bench.ts) in`,
    `${ms(setup?.seedMs)}, Miniflare up in ${ms(setup?.startMs)}, ${n(setup?.customers)} customers signed up through the API and the cells warmed in ${ms(setup?.setupMs)}.`,
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
