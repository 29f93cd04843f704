// A stand-in for the `wrangler` command line, for tests of scripts/deploy.mjs: installed first on PATH
// by `installFakeWrangler`, it records each call's arguments (one JSON line per call) and answers as
// the real one documents: `secret list --format json` prints an array of {name, type:"secret_text"};
// `d1 migrations apply` and `deploy` print progress, `deploy` ending with the Worker's URL.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const PROGRAM = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_WRANGLER_LOG, JSON.stringify(args) + "\\n");
const fail = (process.env.FAKE_WRANGLER_FAIL || "").split(",").filter(Boolean);
const cmd = args[0] === "d1" ? "migrations" : args[0];
if (fail.includes(cmd)) { console.error("✘ [ERROR] " + cmd + " failed (fake)"); process.exit(1); }
const env = args[args.indexOf("--env") + 1];
if (args[0] === "secret" && args[1] === "list") {
  const names = (process.env.FAKE_WRANGLER_SECRETS || "").split(",").filter(Boolean);
  console.log(JSON.stringify(names.map((name) => ({ name, type: "secret_text" })), null, "  "));
} else if (args[0] === "d1" && args[1] === "migrations" && args[2] === "apply") {
  console.log("Migrations to be applied: 0001_init.sql\\n✅ Applied 1 migration to " + args[3]);
} else if (args[0] === "deploy") {
  console.log("Uploaded doorstep-" + env + " (1.00 sec)\\nDeployed doorstep-" + env + " triggers (0.50 sec)\\n  " + process.env.FAKE_WRANGLER_URL + "\\n  schedule: * * * * *\\nCurrent Version ID: 00000000-0000-4000-8000-000000000000");
} else {
  console.error("fake wrangler: unexpected call " + args.join(" "));
  process.exit(9);
}
`;

/** A directory holding the fake `wrangler`; each `run()` of it gets a record of its own. */
export function installFakeWrangler() {
  const dir = mkdtempSync(join(tmpdir(), "doorstep-fake-wrangler-"));
  const bin = join(dir, "wrangler");
  writeFileSync(bin, PROGRAM);
  chmodSync(bin, 0o755);
  let n = 0;
  return {
    dir,
    /** A fresh record: the environment for a child process (the fake first on PATH) and the calls it made. */
    session(extra = {}) {
      const log = join(dir, `calls-${++n}.jsonl`);
      return {
        env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}`, FAKE_WRANGLER_LOG: log, ...extra },
        /** Each call's arguments, in order. */
        calls: () =>
          existsSync(log)
            ? readFileSync(log, "utf8")
                .trim()
                .split("\n")
                .filter(Boolean)
                .map((l) => JSON.parse(l))
            : [],
      };
    },
  };
}
