// Before the browser tests (npm run test:browser): makes sure Debian's Chromium is there. Missing,
// it is installed with apt-get when this machine allows it (root, apt-get present); otherwise the
// run stops at once naming the one command to run. CHROMIUM_PATH points at another Chromium.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { pathToFileURL } from "node:url";

export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/**
 * What to do, from what the machine has: `found` (a Chromium to use, or null), `isRoot`, `hasApt`.
 * { action: "none", path } | { action: "install", commands } | { action: "stop", command, message }.
 */
export function chromiumPlan({ found, isRoot, hasApt }) {
  if (found) return { action: "none", path: found };
  if (isRoot && hasApt) {
    return {
      action: "install",
      commands: [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "chromium"],
      ],
    };
  }
  const command = hasApt ? "sudo apt-get install -y chromium" : "CHROMIUM_PATH=/path/to/chromium npm test";
  const why = hasApt ? "installing it needs root" : "this machine has no apt-get to install Debian's chromium";
  return {
    action: "stop",
    command,
    message: `The browser tests need Chromium at ${DEBIAN_CHROMIUM} (or CHROMIUM_PATH), and ${why}. Run:\n\n  ${command}\n\nthen npm test again.`,
  };
}

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The Chromium the browser tests will use: CHROMIUM_PATH, Debian's, or `chromium` on PATH; null when none. */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  if (executable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

const hasCommand = (name) => spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const plan = chromiumPlan({ found: findChromium(), isRoot: process.getuid?.() === 0, hasApt: hasCommand("apt-get") });
  if (plan.action === "stop") {
    console.error(plan.message);
    process.exit(1);
  }
  if (plan.action === "install") {
    console.log("Chromium is missing: installing Debian's chromium with apt-get (as root).");
    for (const [cmd, ...args] of plan.commands) {
      console.log(`$ ${cmd} ${args.join(" ")}`);
      // Progress shown as it comes; no prompt.
      const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
      if (r.status !== 0) {
        console.error(`${cmd} ${args.join(" ")} failed (exit ${r.status}); install Chromium by hand: apt-get install -y chromium`);
        process.exit(1);
      }
    }
    const path = findChromium();
    if (!path) {
      console.error("apt-get installed chromium, but no Chromium is found; set CHROMIUM_PATH");
      process.exit(1);
    }
    console.log(`Chromium installed: ${path}`);
  }
}
