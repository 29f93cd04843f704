// npm start: local configuration, migrations and demo data, then `wrangler dev` on 127.0.0.1:$PORT.
// Everything runs offline: local D1 and Durable Objects persist under .wrangler/state.
import { constants } from "node:os";
import { buildDashboard } from "./build-dashboard.mjs";
import { seed } from "./seed-local.mjs";
import { devVars, requireNode, spawnWrangler } from "./dev-env.mjs";

requireNode();
const port = Number(process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a TCP port number, not ${process.env.PORT}`);
  process.exit(1);
}

const vars = devVars();
if (vars.ENVIRONMENT !== "development") {
  console.warn(
    `ENVIRONMENT is "${vars.ENVIRONMENT ?? ""}" in .dev.vars: outside "development" the Worker refuses the local stand-ins ` +
      "(local payments, the sandbox, console SMS and push, OTP_DEV_ECHO) and answers 500 until they are replaced.",
  );
}
let plan;
try {
  await buildDashboard();
  plan = await seed();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}

const dev = spawnWrangler(["dev", "--ip", "127.0.0.1", "--port", String(port)]);
let exiting = false;
const stop = (signal) => {
  exiting = true;
  dev.kill(signal);
};
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stop(signal));
// `kill <npm pid>` ends npm and its shell but not this process: when orphaned, stop wrangler too.
const parent = process.ppid;
setInterval(() => {
  if (!exiting && process.ppid !== parent) stop("SIGTERM");
}, 1000).unref();
dev.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 1));
});

const base = `http://127.0.0.1:${port}`;
if (await answers(`${base}/healthz`, 120_000)) printWelcome(base);

/** Polls `url` until it answers 200, the deadline passes, or wrangler exits. */
async function answers(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exiting && dev.exitCode === null) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!exiting && dev.exitCode === null) console.error(`${url} did not answer within ${timeoutMs / 1000} s; wrangler keeps running.`);
  return false;
}

function printWelcome(base) {
  const staff = plan.accounts.filter((a) => !a.roles.includes("customer"));
  const technicians = plan.accounts.filter((a) => a.roles.includes("technician"));
  const customers = plan.accounts.filter((a) => a.roles.includes("customer") && !a.roles.includes("technician"));
  const row = (a) => `  ${a.phone}  ${a.roles.join(", ").padEnd(22)} ${a.name}  ${a.note}`;
  const echo = vars.OTP_DEV_ECHO === "1";
  console.log(
    [
      "",
      `Doorstep is running at ${base}`,
      `  Dashboard       ${base}/dashboard/  (sign in as the operator below; npm run simulate brings the city to life)`,
      `  API reference   ${base}/docs`,
      `  OpenAPI         ${base}/openapi.json`,
      `  Health          ${base}/healthz`,
      "",
      "Demo accounts (sign in with POST /v1/auth/otp, then POST /v1/auth/token):",
      ...staff.map(row),
      `  technicians     ${technicians[0].phone} … ${technicians.at(-1).phone} (${technicians.length}, +86139000000NN)`,
      `  customers       ${customers[0].phone} … ${customers.at(-1).phone} (${customers.length}, +86137000000NN, one address each)`,
      echo
        ? "  OTP_DEV_ECHO=1: the code comes back as devCode, e.g."
        : "  OTP_DEV_ECHO is not 1 in .dev.vars: codes go only to the SMS provider (the console provider logs no code).",
      ...(echo
        ? [
            `    curl -s -X POST ${base}/v1/auth/otp -H 'Content-Type: application/json' -d '{"phone":"${staff[0].phone}"}'`,
            `    curl -s -X POST ${base}/v1/auth/token -H 'Content-Type: application/json' -d '{"phone":"${staff[0].phone}","code":"<devCode>"}'`,
          ]
        : []),
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
}
