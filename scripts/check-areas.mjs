/**
 * The area boundary check (`npm run lint`): code in one area of src/ may use another area only
 * through that area's public surface, its index.ts and the files index.ts re-exports. The shared
 * folders (domain, lib, db, adapters, http and the top-level files) are open to every area.
 * Prints each breach as `file -> target` and exits 1 when there is any.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const SRC = path.join(ROOT, "src");
const SHARED = new Set(["domain", "lib", "db", "adapters", "http"]);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|tsx)$/.test(name) ? [p] : [];
  });
}

function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** The area a file of src/ belongs to, or null for the shared folders and top-level files. */
function areaOf(file) {
  const rel = path.relative(SRC, file);
  if (rel.startsWith("..")) return null;
  const parts = rel.split(path.sep);
  if (parts.length < 2 || SHARED.has(parts[0])) return null;
  return parts[0];
}

const surfaces = new Map();
/** index.ts of an area and every file it re-exports. */
function surfaceOf(area) {
  if (surfaces.has(area)) return surfaces.get(area);
  const index = path.join(SRC, area, "index.ts");
  const surface = new Set([index]);
  if (existsSync(index)) {
    for (const m of readFileSync(index, "utf8").matchAll(IMPORT)) {
      const target = resolve(index, m[1] ?? m[2]);
      if (target) surface.add(target);
    }
  }
  surfaces.set(area, surface);
  return surface;
}

const breaches = [];
for (const file of files(SRC)) {
  const from = areaOf(file);
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(IMPORT)) {
    const target = resolve(file, m[1] ?? m[2]);
    if (!target) continue;
    const to = areaOf(target);
    if (to === null || to === from) continue;
    if (!surfaceOf(to).has(target)) breaches.push(`${path.relative(ROOT, file)} -> ${path.relative(ROOT, target)}`);
  }
}
if (breaches.length > 0) {
  console.error(
    `Imports past another area's public surface (add the file to that area's index.ts, or use what it exports):\n  ${breaches.join("\n  ")}`,
  );
  process.exit(1);
}
console.log(`areas: every cross-area import goes through a public surface (${surfaces.size} areas used)`);
