// npm run basemap:build: turns the vendored GeoJSON of the demo city (data/basemap/, see SOURCE.md)
// into a vector-tile PMTiles archive, data/basemap/<name>.pmtiles. One vector-tile layer per
// feature `layer` property (land, water, river, place). Deterministic: the same GeoJSON gives the
// same bytes, so the committed archive can be checked against a fresh build.
//   npm run basemap:build [-- --in data/basemap/x.geojson --out data/basemap/x.pmtiles --name x]
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import GeoJSONVT from "geojson-vt";
import vtpbf from "vt-pbf";
import { writePmtiles } from "./lib/pmtiles-writer.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DEMO = {
  input: join(ROOT, "data", "basemap", "shanghai-natural-earth.geojson"),
  output: join(ROOT, "data", "basemap", "cty_demoShanghai.pmtiles"),
  name: "cty_demoShanghai",
};
export const LAYERS = ["land", "water", "river", "place"];
const ATTRIBUTION = "Made with Natural Earth";
const MIN_ZOOM = 0;
const MAX_ZOOM = 12;

const tileRange = (z, [w, s, e, n]) => {
  const count = 2 ** z;
  const x = (lng) => Math.min(count - 1, Math.max(0, Math.floor(((lng + 180) / 360) * count)));
  const y = (lat) => {
    const r = (lat * Math.PI) / 180;
    return Math.min(count - 1, Math.max(0, Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * count)));
  };
  return { x0: x(w), x1: x(e), y0: y(n), y1: y(s) };
};

/** The archive's bytes for a GeoJSON FeatureCollection whose features carry a `layer` property. */
export function buildBasemap(geojson, { minZoom = MIN_ZOOM, maxZoom = MAX_ZOOM } = {}) {
  const bounds = geojson.bbox;
  if (!Array.isArray(bounds) || bounds.length !== 4) throw new Error("the FeatureCollection needs a bbox [west, south, east, north]");
  const indexes = {};
  for (const layer of LAYERS) {
    const features = geojson.features.filter((f) => f.properties?.layer === layer);
    if (features.length === 0) continue;
    indexes[layer] = new GeoJSONVT(
      { type: "FeatureCollection", features },
      { maxZoom, indexMaxZoom: maxZoom, indexMaxPoints: 0, tolerance: 3, extent: 4096, buffer: 64 },
    );
  }
  const tiles = [];
  for (let z = minZoom; z <= maxZoom; z += 1) {
    const { x0, x1, y0, y1 } = tileRange(z, bounds);
    for (let x = x0; x <= x1; x += 1) {
      for (let y = y0; y <= y1; y += 1) {
        const layers = {};
        for (const [name, index] of Object.entries(indexes)) {
          const tile = index.getTile(z, x, y);
          if (tile && tile.features.length > 0) layers[name] = tile;
        }
        if (Object.keys(layers).length === 0) continue;
        tiles.push({ z, x, y, data: vtpbf.fromGeojsonVt(layers, { version: 2 }) });
      }
    }
  }
  const fields = { land: {}, water: { name_en: "String" }, river: {}, place: { name_en: "String", name_zh: "String" } };
  const [w, s, e, n] = bounds;
  return writePmtiles(tiles, {
    bounds,
    center: [(w + e) / 2, (s + n) / 2, 10],
    minZoom,
    maxZoom,
    metadata: {
      name: "Doorstep demo basemap",
      format: "pbf",
      attribution: ATTRIBUTION,
      vector_layers: Object.keys(indexes).map((id) => ({ id, fields: fields[id], minzoom: minZoom, maxzoom: maxZoom })),
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (flag, fallback) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const input = arg("--in", DEMO.input);
  const output = arg("--out", DEMO.output);
  const bytes = buildBasemap(JSON.parse(readFileSync(input, "utf8")));
  writeFileSync(output, bytes);
  console.log(`basemap: ${output.slice(ROOT.length + 1)} (${(bytes.length / 1024).toFixed(1)} KiB)`);
}
