// `npm run bench [-- --quick]`: runs the benchmark suites, writes bench/results/<timestamp>.json
// and regenerates BENCHMARKS.md from it. Loops are bounded by count; everything stays on loopback.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderMarkdown } from "./report.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
const command = `npm run bench${quick ? " -- --quick" : ""}`;

function machine() {
  const pkg = (name) => {
    try {
      return JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      return null;
    }
  };
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    workerd: pkg("workerd"),
    wrangler: pkg("wrangler"),
    runtime: "workerd (through @cloudflare/vitest-plugin / miniflare)",
  };
}

/** Runs one in-workerd suite and returns its BENCH records. */
function runWorkerdSuite() {
  return new Promise((resolve, reject) => {
    const child = spawn("npx", ["vitest", "run", "--config", "bench/vitest.config.ts"], {
      cwd: root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", BENCH_QUICK: quick ? "1" : "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const records = [];
    let buffer = "";
    child.stdout.on("data", (chunk) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const at = line.indexOf("BENCH {");
        if (at >= 0) {
          const record = JSON.parse(line.slice(at + 6));
          records.push(record);
          console.log(`  ${record.name}: ${JSON.stringify(record)}`);
        }
      }
    });
    child.on("exit", (code) => (code === 0 ? resolve(records) : reject(new Error(`benchmark suite failed (exit ${code})`))));
  });
}

const started = new Date();
console.log(`${command}: in-DO suites (${quick ? "quick" : "full"})…`);
const results = await runWorkerdSuite();
const run = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), command, quick, machine: machine(), results };
mkdirSync(path.join(root, "bench", "results"), { recursive: true });
const file = path.join(
  root,
  "bench",
  "results",
  `${started
    .toISOString()
    .replaceAll(":", "-")
    .replace(/\.\d+Z$/, "Z")}.json`,
);
writeFileSync(file, JSON.stringify(run, null, 2) + "\n");
writeFileSync(path.join(root, "BENCHMARKS.md"), renderMarkdown(run, path.relative(root, file)));
console.log(`wrote ${path.relative(root, file)} and BENCHMARKS.md`);
