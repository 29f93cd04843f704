/**
 * `npm run bench:profile [-- --bookings N] [--clients C]`: where a booking's CPU time goes inside
 * workerd. Seeds a bench world, serves the bundled Worker with Miniflare (with workerd's inspector),
 * books a warm-up round, then samples the Worker's CPU while C clients book N slots (quote + order,
 * as W1 does), and prints the self time by source file and by function, mapped back to the sources
 * through the bundle's source map. The raw profile is written to .cache/profiles/ (open it in
 * Chrome's DevTools). Nothing here is judged: it is a tool for finding the next thing to cut.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload } from "node:module";
import os from "node:os";
import path from "node:path";

const INSPECTOR_PORT = 8796;
process.env.DOORSTEP_INSPECTOR_PORT = String(INSPECTOR_PORT);
process.env.WRANGLER_SEND_METRICS = "false";

const { Client } = await import("./api.ts");
const { TargetPool } = await import("./booking.ts");
const { planPinning } = await import("./pinning.ts");
const { installCleanup, stop, portInUse } = await import("./processes.ts");
const { bundle, ensureAssets, ROOT, seedBenchTechnicians, seedDemo, startMiniflare, workerdPids } = await import("./runtime.ts");
const { bookingStorms, doorstepProbe } = await import("./workloads.ts");
const { buildWorld } = await import("./world.ts");

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const BOOKINGS = arg("--bookings", 400);
const CLIENTS = arg("--clients", 10);
const PORT = 8791;
const log = (line: string) => console.log(`[profile ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One Chrome DevTools Protocol session over the inspector's WebSocket. */
async function devtools(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  if (!target) throw new Error("the inspector lists no Worker");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error("inspector socket failed")), { once: true });
  });
  let next = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    waiting.get(msg.id)?.(msg.error ? Promise.reject(new Error(msg.error.message)) : msg.result);
    waiting.delete(msg.id);
  });
  return {
    send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve) => waiting.set(id, resolve as (r: unknown) => void));
    },
    close: () => ws.close(),
  };
}

/** Self time (ms) per key, from the profile's samples and their time deltas. */
function selfTimes(profile: Profile, keyOf: (n: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const key = keyOf(node);
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return out;
}

function top(m: Map<string, number>, n: number, perBooking: number): string[] {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `${(ms / perBooking).toFixed(3).padStart(8)} ms/booking ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
}

for (const port of [PORT, INSPECTOR_PORT]) if (await portInUse(port)) throw new Error(`port ${port} is taken`);
const work = mkdtempSync(path.join(os.tmpdir(), "doorstep-profile-"));
installCleanup(() => rmSync(work, { recursive: true, force: true }));
const persist = path.join(work, "state");
const logs = path.join(ROOT, ".cache", "profiles");
mkdirSync(logs, { recursive: true });

await seedDemo(persist, path.join(logs, "seed.log"));
const people = await seedBenchTechnicians(persist, { storm: 200, calendar: 10, presence: 10 });
await ensureAssets();
const outdir = path.join(ROOT, ".cache", "profile-bundle");
const script = await bundle(outdir);
const mf = await startMiniflare(persist, PORT, script, path.join(logs, "miniflare.log"), planPinning(true));
try {
  const api = new Client(mf.base);
  const world = await buildWorld(api, people, 50);
  const pool = new TargetPool(world.storm.technicians);
  log("warm-up");
  await bookingStorms(api, world, pool, [[CLIENTS, 60]], 60_000, "/v1/orders", undefined, 0);

  const dt = await devtools(INSPECTOR_PORT);
  await dt.send("Profiler.enable");
  await dt.send("Profiler.setSamplingInterval", { interval: 100 });
  await dt.send("Profiler.start");
  const t0 = performance.now();
  // The CPU workerd spent (/proc, user + system), not the sampled wall time: other load on the machine hardly
  // moves it. Read once the counters settle (the queue consumers after the answers), with the round trips counted.
  const probe = doorstepProbe(api, world.admin.token, () => workerdPids(mf));
  const { levels } = await bookingStorms(api, world, pool, [[CLIENTS, BOOKINGS]], 120_000, "/v1/orders", probe, 0);
  const elapsed = performance.now() - t0;
  const { profile } = await dt.send<{ profile: Profile }>("Profiler.stop");
  dt.close();
  const booked = levels[0]!.booked;
  const file = path.join(logs, `${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}Z.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));

  const map = new SourceMap(JSON.parse(readFileSync(`${script}.map`, "utf8")) as SourceMapPayload);
  const origin = (n: ProfileNode) => {
    const f = n.callFrame;
    if (!f.url) return { file: `(${f.functionName || "native"})`, name: f.functionName || "(native)" };
    if (!f.url.endsWith(path.basename(script))) return { file: f.url, name: f.functionName };
    const e = map.findEntry(f.lineNumber, f.columnNumber);
    const source =
      "originalSource" in e && e.originalSource ? e.originalSource.replace(/^.*?(node_modules|src|durable|bench)\//, "$1/") : "?";
    const where = source.startsWith("node_modules/")
      ? source
          .split("/")
          .slice(0, source.includes("/@") ? 3 : 2)
          .join("/")
      : source;
    return { file: where, name: `${f.functionName || "(anonymous)"} ${source}:${"originalLine" in e ? e.originalLine + 1 : "?"}` };
  };
  const sampled = profile.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const idle = selfTimes(profile, (n) => n.callFrame.functionName).get("(idle)") ?? 0;
  console.log(
    `\n${booked} bookings in ${Math.round(elapsed)} ms at ${CLIENTS} clients (${((booked / elapsed) * 1000).toFixed(1)}/s); ` +
      `sampled ${Math.round(sampled)} ms, busy ${Math.round(sampled - idle)} ms = ${((sampled - idle) / booked).toFixed(2)} ms per booking`,
  );
  const { cpu, counts } = levels[0]!.measured ?? {};
  if (cpu) console.log(`workerd CPU (/proc, user + system, while profiled): ${cpu.systemMs} ms = ${cpu.systemMsPerBooking} ms per booking`);
  if (counts?.perBooking) console.log(`per booking, counted: ${JSON.stringify(counts.perBooking)}`);
  for (const [source, c] of Object.entries(counts?.sources ?? {}))
    console.log(
      `  ${source}: ${c.invocations} invocations, ${c.d1RoundTrips} D1 round trips (${c.d1Statements} statements), cell ${JSON.stringify(c.cellCalls)}, ${c.queueSends} queue sends`,
    );
  console.log("\nBy source (self time):");
  for (const line of top(
    selfTimes(profile, (n) => origin(n).file),
    30,
    booked,
  ))
    console.log(line);
  console.log("\nBy function (self time):");
  for (const line of top(
    selfTimes(profile, (n) => origin(n).name),
    50,
    booked,
  ))
    console.log(line);
  console.log(`\nprofile: ${path.relative(ROOT, file)}`);
} finally {
  await stop(mf.process);
}
