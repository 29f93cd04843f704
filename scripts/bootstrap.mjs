// npm run bootstrap -- --url <worker url> [--env staging|production] [--config bootstrap.json] [flags]
//
// Sets up a new deployment through its public API: the first administrator (POST /v1/bootstrap with
// the one-time BOOTSTRAP_TOKEN secret), the first city (time zone and cells), the first merchant and
// its administrator. Safe to run again: what exists is kept and reported, only what is missing is made.
// On a re-run the administrator exists already, so the script signs in with the code sent to their
// phone (typed in, or --code; a development Worker echoes it).
//
// The secret comes from the BOOTSTRAP_TOKEN environment variable (never a flag: it would stay in the
// shell's history). Everything else from --config (JSON, see README "Operator guide") and/or flags.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";

const USAGE = `usage: npm run bootstrap -- --url <worker url> [--env <name>] [--config <file.json>]
  [--admin-phone +86…] [--admin-name …]
  [--city-name …] [--time-zone Asia/Shanghai] [--lat 31.2304] [--lng 121.4737] [--radius-km 40]
  [--merchant-name …] [--merchant-admin-phone +86…] [--code 123456]
environment: BOOTSTRAP_TOKEN (the Worker's secret of the same name; needed only for the first run)`;

/** A problem the operator can act on: printed without a stack trace. */
class Stop extends Error {}

const mask = (phone) => String(phone).replace(/^(\+\d{2})?(\d{3})\d+(\d{4})$/, (_, cc = "", a, b) => `${cc}${a}****${b}`);

/** The plan from --config and flags (flags win), checked before anything is sent. */
export function planOf(values) {
  const file = values.config ? JSON.parse(readFileSync(values.config, "utf8")) : {};
  const num = (v) => (v === undefined ? undefined : Number(v));
  const plan = {
    admin: { phone: values["admin-phone"] ?? file.admin?.phone, name: values["admin-name"] ?? file.admin?.name },
    city: {
      name: values["city-name"] ?? file.city?.name,
      timeZone: values["time-zone"] ?? file.city?.timeZone,
      center: { lat: num(values.lat) ?? file.city?.center?.lat, lng: num(values.lng) ?? file.city?.center?.lng },
      radiusKm: num(values["radius-km"]) ?? file.city?.radiusKm,
    },
    merchant: {
      name: values["merchant-name"] ?? file.merchant?.name,
      adminPhone: values["merchant-admin-phone"] ?? file.merchant?.adminPhone,
    },
  };
  const missing = [];
  if (!plan.admin.phone) missing.push("--admin-phone (admin.phone)");
  if (!plan.city.name) missing.push("--city-name (city.name)");
  if (!plan.city.timeZone) missing.push("--time-zone (city.timeZone)");
  if (!Number.isFinite(plan.city.center.lat) || !Number.isFinite(plan.city.center.lng)) missing.push("--lat/--lng (city.center)");
  if (!Number.isFinite(plan.city.radiusKm)) missing.push("--radius-km (city.radiusKm)");
  if (!plan.merchant.name) missing.push("--merchant-name (merchant.name)");
  if (!plan.merchant.adminPhone) missing.push("--merchant-admin-phone (merchant.adminPhone)");
  if (missing.length) throw new Stop(`missing: ${missing.join(", ")}\n${USAGE}`);
  if (!plan.admin.name) delete plan.admin.name;
  return plan;
}

/** A small client of the Worker's API: JSON in and out, problems turned into readable errors. */
function client(base, log) {
  let token = null;
  const call = async (method, path, body, headers = {}) => {
    const h = { Accept: "application/json", "Accept-Language": "en", ...headers };
    if (token) h.Authorization = `Bearer ${token}`;
    if (body !== undefined) h["Content-Type"] = "application/json";
    let res;
    try {
      res = await fetch(new URL(path, base), { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Stop(`cannot reach ${base}: ${err.cause?.code ?? err.message}`);
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, body: json ?? text };
  };
  const problem = (what, res) => {
    const b = res.body ?? {};
    const fields = Array.isArray(b.errors) ? ` (${b.errors.map((e) => `${e.path}: ${e.message}`).join("; ")})` : "";
    return new Stop(
      `${what}: HTTP ${res.status} ${b.code ?? ""} ${b.detail ?? (typeof b === "string" ? b.slice(0, 200) : "")}${fields}`.trim(),
    );
  };
  return { call, problem, setToken: (t) => (token = t), log };
}

/** Every item of a cursor-paged admin list. */
async function all(api, path) {
  const items = [];
  let cursor = null;
  do {
    const res = await api.call(
      "GET",
      `${path}${path.includes("?") ? "&" : "?"}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    if (res.status !== 200) throw api.problem(`GET ${path}`, res);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

/** Signs the existing administrator in with an SMS code (echoed by a development Worker, else typed or --code). */
async function signInAdmin(api, phone, givenCode, ask) {
  const sent = await api.call("POST", "/v1/auth/otp", { phone });
  if (sent.status !== 202) throw api.problem("sending the sign-in code", sent);
  const code = givenCode ?? sent.body.devCode ?? (await ask(`code sent to ${mask(phone)}: `));
  const res = await api.call("POST", "/v1/auth/token", { phone, code: String(code).trim() });
  if (res.status !== 200) throw api.problem("signing in", res);
  if (!res.body.account.roles.includes("admin") && !res.body.account.roles.includes("operator")) {
    throw new Stop(`${mask(phone)} signed in but is not an operator or admin of this deployment`);
  }
  return res.body;
}

/**
 * Runs the bootstrap against `url`. `ask` reads a line (the SMS code); `log` prints progress.
 * Returns the ids of what exists afterwards.
 */
export async function bootstrap({ url, env, plan, token, code, ask, log = console.log }) {
  const api = client(url, log);
  const where = env ? `${url} (${env})` : url;
  log(`Bootstrapping ${where}`);
  const health = await api.call("GET", "/healthz");
  if (health.status !== 200) throw api.problem("the Worker is not healthy (/healthz)", health);
  log("  ✓ Worker answers /healthz");

  // 1. The first administrator.
  let admin;
  if (token) {
    const res = await api.call("POST", "/v1/bootstrap", plan.admin, { "Bootstrap-Token": token });
    if (res.status === 201) {
      admin = res.body;
      log(`  ✓ first admin created: ${admin.account.id} (${mask(plan.admin.phone)})`);
    } else if (res.status === 409) {
      log("  • an admin exists already: signing in as them");
    } else if (res.status === 404 && res.body?.code === "BOOTSTRAP_DISABLED") {
      throw new Stop(`BOOTSTRAP_TOKEN is not set on the Worker: wrangler secret put BOOTSTRAP_TOKEN${env ? ` --env ${env}` : ""}`);
    } else if (res.status === 401) {
      throw new Stop("the Worker refused BOOTSTRAP_TOKEN: it differs from the Worker's secret of that name");
    } else {
      throw api.problem("creating the first admin", res);
    }
  } else {
    log("  • no BOOTSTRAP_TOKEN given: signing in as the existing admin");
  }
  admin ??= await signInAdmin(api, plan.admin.phone, code, ask);
  api.setToken(admin.accessToken);
  if (!admin.account.roles.includes("operator") && !admin.account.roles.includes("admin")) {
    throw new Stop("the signed-in account is not an operator");
  }

  // 2. The first city (found by name).
  const cities = await api.call("GET", "/v1/cities");
  if (cities.status !== 200) throw api.problem("listing cities", cities);
  let city = cities.body.items.find((c) => c.name === plan.city.name);
  if (city) {
    log(`  • city exists: ${city.id} ${city.name} (${city.timeZone}, ${city.cells.length} cells)`);
  } else {
    const res = await api.call("POST", "/v1/admin/cities", plan.city);
    if (res.status !== 201) throw api.problem(`creating the city ${plan.city.name}`, res);
    city = res.body;
    log(`  ✓ city created: ${city.id} ${city.name} (${city.timeZone}, ${city.cells.length} cells)`);
  }

  // 3. The first merchant (found by name) and its administrator.
  let merchant = (await all(api, "/v1/admin/merchants")).find((m) => m.name === plan.merchant.name);
  if (merchant) {
    log(`  • merchant exists: ${merchant.id} ${merchant.name}`);
  } else {
    const res = await api.call("POST", "/v1/admin/merchants", { name: plan.merchant.name });
    if (res.status !== 201) throw api.problem(`creating the merchant ${plan.merchant.name}`, res);
    merchant = res.body;
    log(`  ✓ merchant created: ${merchant.id} ${merchant.name}`);
  }
  const granted = await api.call("POST", `/v1/admin/merchants/${merchant.id}/admins`, { phone: plan.merchant.adminPhone });
  if (granted.status === 201) log(`  ✓ merchant admin added: ${granted.body.accountId} (${mask(plan.merchant.adminPhone)})`);
  else if (granted.status === 200) log(`  • merchant admin exists: ${granted.body.accountId} (${mask(plan.merchant.adminPhone)})`);
  else throw api.problem("adding the merchant's admin", granted);

  log(`Done. Sign in to ${new URL("/dashboard/", url)} as ${mask(plan.admin.phone)}; delete the secret now:`);
  log(`  wrangler secret delete BOOTSTRAP_TOKEN${env ? ` --env ${env}` : ""}`);
  return { adminId: admin.account.id, cityId: city.id, merchantId: merchant.id, merchantAdminId: granted.body.accountId };
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      env: { type: "string" },
      config: { type: "string" },
      "admin-phone": { type: "string" },
      "admin-name": { type: "string" },
      "city-name": { type: "string" },
      "time-zone": { type: "string" },
      lat: { type: "string" },
      lng: { type: "string" },
      "radius-km": { type: "string" },
      "merchant-name": { type: "string" },
      "merchant-admin-phone": { type: "string" },
      code: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.url) throw new Stop(`--url is required\n${USAGE}`);
  const plan = planOf(values);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    await bootstrap({
      url: values.url,
      env: values.env,
      plan,
      token: process.env.BOOTSTRAP_TOKEN || undefined,
      code: values.code,
      ask: (q) => rl.question(q),
    });
  } finally {
    rl.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err instanceof Stop ? `✗ ${err.message}` : err);
    process.exitCode = 1;
  });
}
