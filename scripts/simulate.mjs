// npm run simulate: synthetic customers and technicians against a local Doorstep, so that the
// dashboard shows a living city. Technicians go on duty and move (toward their jobs, else around
// home); customers book services, paying up front or after the visit through the sandbox payment
// provider; technicians accept (sometimes decline), grab open jobs, travel, arrive, start with the
// customer's code and complete; some customers complain (a refund for staff to decide), and
// technicians withdraw what their earnings make available. Bounded by time and by the number of
// bookings; Ctrl+C stops it early and takes the technicians off duty.
//
//   npm run simulate -- --url http://127.0.0.1:8787 --duration 120 --technicians 20 --customers 10 --orders 30 --tick 2
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "./demo-client.mjs";

/** Demo services the customers book, with how they pay: in full up front, or after the visit (both through the sandbox). */
const SERVICES = [
  ["svc_demoCleaning2h", "after_service"],
  ["svc_demoElectrical", "full"],
  ["svc_demoDrainUnblock", "after_service"],
  ["svc_demoFacial", "full"],
  ["svc_demoAcRepair", "full"],
  ["svc_demoWasherRepair", "after_service"],
  ["svc_demoAcCleaning", "full"],
  ["svc_demoRangeHood", "full"],
];
/** The smallest withdrawal the demo configuration allows (WITHDRAWAL_MIN_AMOUNT), 分. */
const WITHDRAWAL_MIN = 1000;
const STEP_DEG = 0.008; // about 800 m a tick: a demo, not a traffic model
const ARRIVED_DEG = 0.0015;

const pad2 = (n) => String(n).padStart(2, "0");

// Refresh tokens of the demo accounts from earlier runs: a rerun needs no new sign-in codes (which
// are rate limited per phone and per address).
const CACHE = join(dirname(fileURLToPath(import.meta.url)), "..", ".cache", "simulate-sessions.json");

function sessionCache(url) {
  let all = {};
  try {
    all = JSON.parse(readFileSync(CACHE, "utf8"));
  } catch {
    // first run
  }
  const mine = all[url] ?? {};
  return {
    get: (phone) => mine[phone],
    set: (phone, refreshToken) => {
      if (mine[phone] === refreshToken) return;
      mine[phone] = refreshToken;
      all[url] = mine;
      mkdirSync(dirname(CACHE), { recursive: true });
      writeFileSync(CACHE, JSON.stringify(all));
    },
  };
}

/** Signs in with a cached refresh token when it still works, else by OTP. */
async function signInCached(api, cache, phone) {
  const refreshToken = cache.get(phone);
  if (refreshToken) {
    const t = await api.call("POST", "/v1/auth/token", { body: { grantType: "refresh_token", refreshToken } });
    if (t.status === 200) {
      cache.set(phone, t.body.refreshToken);
      const me = await api.ok("GET", "/v1/me", { token: t.body.accessToken });
      return { phone, token: t.body.accessToken, refreshToken: t.body.refreshToken, me, expiresAt: Date.now() + t.body.expiresIn * 1000 };
    }
  }
  const session = await api.signIn(phone);
  cache.set(phone, session.refreshToken);
  return session;
}
const near = (a, b, d) => Math.abs(a.lat - b.lat) < d && Math.abs(a.lng - b.lng) < d;

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string", default: process.env.DOORSTEP_URL ?? "http://127.0.0.1:8787" },
      duration: { type: "string", default: "90" },
      technicians: { type: "string", default: "20" },
      customers: { type: "string", default: "10" },
      orders: { type: "string", default: "25" },
      tick: { type: "string", default: "2" },
      "decline-rate": { type: "string", default: "0.15" },
      "complaint-rate": { type: "string", default: "0.2" },
      seed: { type: "string", default: String(Date.now()) },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const int = (k, min, max) => {
    const n = Number(values[k]);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${k} must be a number from ${min} to ${max}`);
    return n;
  };
  return {
    url: values.url.replace(/\/$/, ""),
    durationS: int("duration", 1, 3600),
    technicians: int("technicians", 1, 60),
    customers: int("customers", 1, 20),
    orders: int("orders", 0, 1000),
    tickS: int("tick", 0.2, 60),
    declineRate: int("decline-rate", 0, 1),
    complaintRate: int("complaint-rate", 0, 1),
    seed: int("seed", 0, Number.MAX_SAFE_INTEGER),
    quiet: values.quiet,
    help: values.help,
  };
}

/** A small deterministic random source (mulberry32), so a run can be repeated with --seed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the simulation; resolves with counts when the time or the bookings run out (or `signal` aborts). */
export async function simulate(opts, { signal, log = console.log } = {}) {
  const api = new Client(opts.url);
  const rnd = random(opts.seed);
  const say = opts.quiet ? () => {} : log;
  const stats = {
    booked: 0,
    paid: 0,
    accepted: 0,
    declined: 0,
    grabbed: 0,
    arrived: 0,
    completed: 0,
    complaints: 0,
    withdrawals: 0,
    errors: 0,
  };
  const cache = sessionCache(opts.url);
  const signIn = (phone) => signInCached(api, cache, phone);
  const admin = await signIn("+8613800000000");

  const techs = [];
  for (let n = 1; n <= opts.technicians; n++) {
    const session = await signIn(`+86139000000${pad2(n)}`);
    const profile = await api.ok("GET", `/v1/admin/technicians/${session.me.technician.id}`, { token: admin.token });
    const pos = { lat: profile.home.lat + (rnd() - 0.5) * 0.02, lng: profile.home.lng + (rnd() - 0.5) * 0.02 };
    await api.online(session);
    await api.position(session, pos);
    techs.push({ session, home: profile.home, pos, id: profile.id, busyTicks: 0 });
  }
  const customers = [];
  for (let n = 1; n <= opts.customers; n++) customers.push(await signIn(`+86137000000${pad2(n)}`));
  const startCodes = new Map();
  /** orderId → { customer, plan } of the bookings made here. */
  const bookings = new Map();
  say(`simulate: ${techs.length} technicians on duty, ${customers.length} customers, up to ${opts.orders} bookings in ${opts.durationS} s`);

  const until = Date.now() + opts.durationS * 1000;
  const guarded = async (what, fn) => {
    try {
      return await fn();
    } catch (err) {
      stats.errors += 1;
      say(`  ${what}: ${err instanceof Error ? err.message.slice(0, 160) : err}`);
      return undefined;
    }
  };

  const move = (t, target) => {
    const dLat = target.lat - t.pos.lat;
    const dLng = target.lng - t.pos.lng;
    const dist = Math.hypot(dLat, dLng);
    const step = Math.min(1, STEP_DEG / Math.max(dist, 1e-9));
    t.pos = { lat: t.pos.lat + dLat * step, lng: t.pos.lng + dLng * step };
    t.heading = Math.round(((Math.atan2(dLng, dLat) * 180) / Math.PI + 360) % 360);
  };

  const work = async (t) => {
    await api.fresh(t.session);
    cache.set(t.session.phone, t.session.refreshToken);
    const { items } = await api.tasks(t.session);
    const active = items
      .filter((x) => ["assigned", "accepted", "en_route", "arrived", "in_service"].includes(x.status))
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    for (const task of active.filter((x) => x.status === "assigned")) {
      const decline = rnd() < opts.declineRate;
      const r = await api.act(t.session, task.id, decline ? "decline" : "accept");
      if (r.status === 200) stats[decline ? "declined" : "accepted"] += 1;
    }
    const job = active.find((x) => x.status !== "assigned");
    if (!job) {
      if (rnd() < 0.3) {
        const pool = await api.ok("GET", "/v1/technician/pool", { token: t.session.token });
        const open = pool.items[0];
        if (open && (await api.act(t.session, open.id, "grab")).status === 200) {
          stats.grabbed += 1;
          say(`  ${t.id} grabbed ${open.id}`);
        }
      }
      move(t, { lat: t.home.lat + (rnd() - 0.5) * 0.03, lng: t.home.lng + (rnd() - 0.5) * 0.03 });
      return;
    }
    if (job.status === "accepted") {
      await api.act(t.session, job.id, "depart");
    } else if (job.status === "en_route") {
      move(t, job.location);
      if (near(t.pos, job.location, ARRIVED_DEG)) {
        t.pos = { ...job.location };
        await api.position(t.session, t.pos);
        await api.photo(t.session, job.id, "arrive");
        if ((await api.act(t.session, job.id, "arrive", t.pos)).status === 200) stats.arrived += 1;
      }
    } else if (job.status === "arrived") {
      const code = startCodes.get(job.id);
      if (code) await api.act(t.session, job.id, "start", { code });
      t.busyTicks = 2 + Math.floor(rnd() * 4);
    } else if (job.status === "in_service") {
      t.busyTicks -= 1;
      if (t.busyTicks <= 0) {
        await api.photo(t.session, job.id, "complete");
        if ((await api.act(t.session, job.id, "complete")).status === 200) {
          stats.completed += 1;
          say(`  ${t.id} completed ${job.id}`);
          await guarded("after the visit", () => afterVisit(t, job.id));
        }
      }
    }
  };

  // The customer pays what is still due (pay-after-service), sometimes complains; the technician
  // withdraws what has become available (after SETTLEMENT_DELAY_HOURS).
  const afterVisit = async (t, orderId) => {
    const booking = bookings.get(orderId);
    if (booking) {
      await api.fresh(booking.customer);
      if (booking.plan === "after_service") {
        await api.payWithSandbox(booking.customer, orderId);
        stats.paid += 1;
      }
      if (rnd() < opts.complaintRate) {
        const r = await api.call("POST", `/v1/orders/${orderId}/complaints`, {
          token: booking.customer.token,
          body: { reason: "服务不满意 / not satisfied with the service" },
        });
        if (r.status === 201) stats.complaints += 1;
      }
    }
    const earnings = await api.ok("GET", "/v1/technician/earnings?limit=1", { token: t.session.token });
    if (earnings.totals.available.amount >= WITHDRAWAL_MIN) {
      const r = await api.call("POST", "/v1/technician/withdrawals", {
        token: t.session.token,
        key: `withdraw-${t.id}-${Date.now()}`,
        body: { amount: Math.min(earnings.totals.available.amount, 500_000) },
      });
      if (r.status === 201) stats.withdrawals += 1;
    }
  };

  const book = async () => {
    const customer = customers[Math.floor(rnd() * customers.length)];
    await api.fresh(customer);
    cache.set(customer.phone, customer.refreshToken);
    const [serviceId, plan] = SERVICES[Math.floor(rnd() * SERVICES.length)];
    let order = await api.bookFirstFree(customer, serviceId, {
      fromDay: 0,
      days: 3,
      paymentPlan: plan,
      pick: (slots) => slots[Math.floor(rnd() * Math.min(slots.length, 6))],
    });
    if (!order) return;
    stats.booked += 1;
    startCodes.set(order.id, order.startCode);
    bookings.set(order.id, { customer, plan });
    if (plan === "full") {
      order = await api.payWithSandbox(customer, order.id);
      stats.paid += 1;
    }
    say(`  booked ${order.id} (${serviceId}, ${plan}) → ${order.status}${order.technician ? ` ${order.technician.id}` : ""}`);
  };

  while (Date.now() < until && !signal?.aborted) {
    const started = Date.now();
    if (stats.booked < opts.orders && rnd() < 0.7) await guarded("booking", book);
    await Promise.all(
      techs.map((t) =>
        guarded(`technician ${t.id}`, async () => {
          await work(t);
          await api.position(t.session, { ...t.pos, heading: t.heading });
        }),
      ),
    );
    const wait = opts.tickS * 1000 - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await Promise.all(techs.map((t) => guarded("going off duty", () => api.online(t.session, false))));
  say(`simulate: done: ${JSON.stringify(stats)}`);
  return stats;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  if (opts.help) {
    console.log(
      "npm run simulate -- [--url http://127.0.0.1:8787] [--duration 90] [--technicians 20] [--customers 10] [--orders 25] [--tick 2] [--decline-rate 0.15] [--complaint-rate 0.2] [--seed N] [--quiet]",
    );
    process.exit(0);
  }
  const stop = new AbortController();
  process.on("SIGINT", () => stop.abort());
  process.on("SIGTERM", () => stop.abort());
  try {
    await simulate(opts, { signal: stop.signal });
  } catch (err) {
    console.error(`simulate: ${err instanceof Error ? err.message : err}`);
    console.error("Is the local server running (npm start) with OTP_DEV_ECHO=1?");
    process.exit(1);
  }
}
