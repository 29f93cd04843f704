// The decision of scripts/ensure-chromium.mjs (run before the browser tests): install Debian's
// chromium when it is missing and the machine allows it, otherwise stop naming the one command.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { chromiumPlan, findChromium } from "../../scripts/ensure-chromium.mjs";

describe("ensure-chromium", () => {
  it("missing, as root with apt-get: installs chromium with apt-get", () => {
    assert.deepEqual(chromiumPlan({ found: null, isRoot: true, hasApt: true }), {
      action: "install",
      commands: [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "chromium"],
      ],
    });
  });

  it("missing, not root: stops, naming the command (with sudo)", () => {
    const plan = chromiumPlan({ found: null, isRoot: false, hasApt: true });
    assert.equal(plan.action, "stop");
    assert.equal(plan.command, "sudo apt-get install -y chromium");
    assert.match(plan.message, /needs root[^]*\n {2}sudo apt-get install -y chromium\n/);
  });

  it("missing, no apt-get (even as root): stops, naming CHROMIUM_PATH", () => {
    for (const isRoot of [true, false]) {
      const plan = chromiumPlan({ found: null, isRoot, hasApt: false });
      assert.equal(plan.action, "stop");
      assert.equal(plan.command, "CHROMIUM_PATH=/path/to/chromium npm test");
    }
  });

  it("present: does nothing", () => {
    for (const isRoot of [true, false]) {
      assert.deepEqual(chromiumPlan({ found: "/usr/bin/chromium", isRoot, hasApt: true }), { action: "none", path: "/usr/bin/chromium" });
    }
  });

  it("finds CHROMIUM_PATH when it is an executable, and nothing when it is not", () => {
    const dir = mkdtempSync(join(tmpdir(), "doorstep-chromium-test-"));
    try {
      const exe = join(dir, "chromium");
      writeFileSync(exe, "#!/bin/sh\n");
      chmodSync(exe, 0o755);
      assert.equal(findChromium({ CHROMIUM_PATH: exe }), exe);
      assert.equal(findChromium({ CHROMIUM_PATH: join(dir, "absent") }), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
