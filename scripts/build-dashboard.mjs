// Builds the dashboard (dashboard/) into public/dashboard/, the Worker's static assets: one minified
// ES module and one stylesheet with content hashes, index.html pointing at them, and _headers with
// the security and caching headers. Prints the sizes (raw and gzip). Nothing is fetched from a CDN.
import { build, stop } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "dashboard");
const PUBLIC = join(ROOT, "public");
const OUT = join(PUBLIC, "dashboard");

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 10);

/** Builds the assets and returns their sizes in bytes. */
export async function buildDashboard({ quiet = false } = {}) {
  const result = await build({
    entryPoints: [join(SRC, "src", "main.js")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    legalComments: "none",
    logLevel: "warning",
  });
  await stop();
  const js = result.outputFiles[0].contents;
  const css = readFileSync(join(SRC, "app.css"));
  const jsName = `app-${hash(js)}.js`;
  const cssName = `app-${hash(css)}.css`;
  const index = readFileSync(join(SRC, "index.html"), "utf8").replace("./__JS__", `./${jsName}`).replace("./__CSS__", `./${cssName}`);

  rmSync(PUBLIC, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, jsName), js);
  writeFileSync(join(OUT, cssName), css);
  writeFileSync(join(OUT, "index.html"), index);
  writeFileSync(
    join(PUBLIC, "_headers"),
    [
      "/dashboard/*",
      `  Content-Security-Policy: ${CSP}`,
      "  X-Content-Type-Options: nosniff",
      "  Referrer-Policy: no-referrer",
      "  Cache-Control: no-cache",
      "/dashboard/app-*",
      "  Cache-Control: public, max-age=31536000, immutable",
      "",
    ].join("\n"),
  );
  const sizes = {
    js: js.byteLength,
    jsGzip: gzipSync(js).length,
    css: css.byteLength,
    cssGzip: gzipSync(css).length,
    html: Buffer.byteLength(index),
    htmlGzip: gzipSync(index).length,
  };
  const kib = (n) => (n / 1024).toFixed(1);
  if (!quiet) {
    console.log(
      `dashboard: ${kib(sizes.js + sizes.css + sizes.html)} KiB raw, ${kib(sizes.jsGzip + sizes.cssGzip + sizes.htmlGzip)} KiB gzip ` +
        `(js ${kib(sizes.js)}/${kib(sizes.jsGzip)}, css ${kib(sizes.css)}/${kib(sizes.cssGzip)}, html ${kib(sizes.html)}/${kib(sizes.htmlGzip)} KiB) → public/dashboard/`,
    );
  }
  return sizes;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await buildDashboard();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
