// Debian's Chromium driven by playwright-core, with a fresh profile that is deleted on close.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { findChromium } from "./ensure-chromium.mjs";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function chromiumPath() {
  const path = findChromium();
  if (!path)
    throw new Error(
      "Chromium is missing: npm run test:browser installs it (scripts/ensure-chromium.mjs), or run apt-get install -y chromium",
    );
  return path;
}

/** Software WebGL (SwiftShader) instead of no GPU at all, for pages that draw with WebGL (the live map's basemap). */
const WEBGL_FLAGS = ["--headless", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"];

/** Opens a browser context (`webgl`: with software WebGL); close() also removes its profile folder. */
export async function openBrowser({ viewport = { width: 1366, height: 860 }, locale = "zh-CN", webgl = false } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "doorstep-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: webgl ? [...FLAGS.filter((f) => f !== "--disable-gpu" && f !== "--headless"), ...WEBGL_FLAGS] : FLAGS,
    viewport,
    locale,
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
