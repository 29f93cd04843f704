// Builds the dashboard (dashboard/) into public/dashboard/, the Worker's static assets: the minified
// ES module of the first page, one chunk per screen loaded when first shown (and the chunks they
// share), one stylesheet, all with content hashes; index.html pointing at them, and _headers with
// the security and caching headers. Prints the sizes (raw and gzip) of the first page and of all
// screens. Nothing is fetched from a CDN.
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

const MAPLIBRE_WORKER = "maplibre-gl-worker.mjs";
const MAPLIBRE_CSS = "maplibre-gl.css";

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 10);

const kib = (n) => (n / 1024).toFixed(1);
const sizeOf = (files) => ({
  raw: files.reduce((s, f) => s + f.byteLength, 0),
  gzip: files.reduce((s, f) => s + gzipSync(f).length, 0),
});

/** Builds the assets and returns their sizes in bytes: `first` is what the first page loads, `all` every screen. */
export async function buildDashboard({ quiet = false } = {}) {
  const result = await build({
    entryPoints: [join(SRC, "src", "main.js")],
    bundle: true,
    splitting: true,
    outdir: OUT,
    entryNames: "app-[name]-[hash]",
    chunkNames: "app-[name]-[hash]",
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  });
  // The API reference's try-it script (GET /docs loads it from /docs-assets/try-it.js): one file, unhashed, revalidated.
  const tryIt = await build({
    entryPoints: [join(SRC, "try-it.js")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    write: false,
    outfile: join(PUBLIC, "docs-assets", "try-it.js"),
    legalComments: "none",
    logLevel: "warning",
  });
  await stop();
  const outputs = result.metafile.outputs;
  const rel = (file) => file.slice(ROOT.length + 1).replaceAll("\\", "/");
  const entry = result.outputFiles.find((f) => outputs[rel(f.path)]?.entryPoint?.endsWith("src/main.js"));
  // What the first page loads: the entry and the chunks it imports statically (not the screens it imports on demand).
  const first = new Set();
  const visit = (path) => {
    if (first.has(path)) return;
    first.add(path);
    for (const i of outputs[path].imports) if (i.kind === "import-statement") visit(i.path);
  };
  visit(rel(entry.path));
  const js = entry.contents;
  const css = readFileSync(join(SRC, "app.css"));
  const jsName = `app-${hash(js)}.js`;
  const cssName = `app-${hash(css)}.css`;
  const index = readFileSync(join(SRC, "index.html"), "utf8").replace("./__JS__", `./${jsName}`).replace("./__CSS__", `./${cssName}`);

  rmSync(PUBLIC, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // Chunks never import the entry (esbuild puts shared code in chunks of its own), so it can take a name of its own.
  for (const f of result.outputFiles) writeFileSync(f === entry ? join(OUT, jsName) : f.path, f.contents);
  writeFileSync(join(OUT, cssName), css);
  // MapLibre's worker and stylesheet for the live map's basemap (dashboard/src/basemap.js loads them, and the
  // MapLibre chunk, only when the city has a basemap): unhashed names, revalidated like index.html.
  const maplibre = [MAPLIBRE_WORKER, MAPLIBRE_CSS].map((name) => readFileSync(join(ROOT, "node_modules", "maplibre-gl", "dist", name)));
  writeFileSync(join(OUT, MAPLIBRE_WORKER), maplibre[0]);
  writeFileSync(join(OUT, MAPLIBRE_CSS), maplibre[1]);
  writeFileSync(join(OUT, "index.html"), index);
  mkdirSync(join(PUBLIC, "docs-assets"), { recursive: true });
  writeFileSync(join(PUBLIC, "docs-assets", "try-it.js"), tryIt.outputFiles[0].contents);
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
      "/docs-assets/*",
      "  X-Content-Type-Options: nosniff",
      "  Cache-Control: no-cache",
      "",
    ].join("\n"),
  );
  const page = [css, Buffer.from(index)];
  const firstJs = result.outputFiles.filter((f) => first.has(rel(f.path))).map((f) => f.contents);
  // The basemap's chunks (MapLibre, the PMTiles reader) are counted apart: no screen loads them without a basemap.
  const ofBasemap = (f) => Object.keys(outputs[rel(f.path)].inputs).some((i) => /node_modules\/(maplibre-gl|pmtiles)\//.test(i));
  const screens = result.outputFiles.filter((f) => !ofBasemap(f)).map((f) => f.contents);
  const sizes = {
    first: sizeOf([...firstJs, ...page]),
    all: sizeOf([...screens, ...page]),
    basemap: sizeOf([...result.outputFiles.filter(ofBasemap).map((f) => f.contents), ...maplibre]),
    js: sizeOf(firstJs),
    css: sizeOf([css]),
    chunks: result.outputFiles.length,
  };
  if (!quiet) {
    console.log(
      `dashboard: first page ${kib(sizes.first.raw)} KiB raw, ${kib(sizes.first.gzip)} KiB gzip ` +
        `(js ${kib(sizes.js.raw)}/${kib(sizes.js.gzip)}, css ${kib(sizes.css.raw)}/${kib(sizes.css.gzip)} KiB); ` +
        `every screen ${kib(sizes.all.raw)} KiB raw, ${kib(sizes.all.gzip)} KiB gzip in ${sizes.chunks} scripts; ` +
        `the basemap (loaded only with one) ${kib(sizes.basemap.raw)} KiB raw, ${kib(sizes.basemap.gzip)} KiB gzip → public/dashboard/`,
    );
  }
  return sizes;
}

/**
 * `--watch` (npm run dev:dashboard): builds, then builds again whenever a file under dashboard/
 * changes (changes within 100 ms are taken together); a failed build is reported and the watch goes
 * on. `npm start` serves public/ as it is, so a reload of the page shows the new build.
 */
async function watchDashboard() {
  const { watch } = await import("node:fs");
  let timer;
  let running = Promise.resolve();
  const rebuild = () => {
    running = running.then(async () => {
      const started = Date.now();
      try {
        await buildDashboard();
        console.log(`  rebuilt in ${Date.now() - started} ms; watching dashboard/ (Ctrl+C stops)`);
      } catch (err) {
        console.error(err instanceof Error ? err.message : err);
      }
    });
  };
  rebuild();
  watch(SRC, { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(rebuild, 100);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes("--watch")) {
    await watchDashboard();
  } else {
    try {
      await buildDashboard();
    } catch (err) {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    }
  }
}
