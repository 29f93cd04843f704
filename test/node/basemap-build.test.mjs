// The basemap build (scripts/build-basemap.mjs and its PMTiles writer) read back with the `pmtiles`
// reader: header (bounds, zooms, counts), metadata, tiles decoded as vector tiles with their layers,
// byte-for-byte determinism and the committed demo archive matching a fresh build.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { VectorTile } from "@mapbox/vector-tile";
import Pbf from "pbf";
import { PMTiles, tileIdToZxy, zxyToTileId } from "pmtiles";
import { DEMO, buildBasemap } from "../../scripts/build-basemap.mjs";
import { writePmtiles } from "../../scripts/lib/pmtiles-writer.mjs";

const demo = JSON.parse(readFileSync(DEMO.input, "utf8"));

/** A `pmtiles` reader over bytes in memory. */
function reader(bytes) {
  return new PMTiles({
    getKey: () => "memory",
    getBytes: async (offset, length) => ({ data: bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + length) }),
  });
}

const lon2x = (lng, z) => Math.floor(((lng + 180) / 360) * 2 ** z);
const lat2y = (lat, z) => {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
};

describe("basemap build", () => {
  const bytes = buildBasemap(demo);

  it("writes a PMTiles v3 header with the data's bounds and the zoom range", async () => {
    const header = await reader(bytes).getHeader();
    assert.equal(header.specVersion, 3);
    assert.equal(header.tileType, 1); // MVT
    assert.equal(header.minZoom, 0);
    assert.equal(header.maxZoom, 12);
    const [w, s, e, n] = demo.bbox;
    assert.deepEqual([header.minLon, header.minLat, header.maxLon, header.maxLat], [w, s, e, n]);
    assert.ok(header.clustered);
    assert.ok(header.numTileContents <= header.numTileEntries && header.numTileEntries <= header.numAddressedTiles);
    assert.equal(header.tileDataOffset + header.tileDataLength, bytes.length);
    assert.ok(header.rootDirectoryOffset + header.rootDirectoryLength <= 16384, "header and root directory within the first 16 KiB");
  });

  it("names the layers and the attribution in the metadata", async () => {
    const meta = await reader(bytes).getMetadata();
    assert.deepEqual(
      meta.vector_layers.map((l) => l.id),
      ["land", "water", "river", "place"],
    );
    assert.match(meta.attribution, /Natural Earth/);
  });

  it("serves the city centre's tile at every zoom with land and the place label", async () => {
    const archive = reader(bytes);
    const centre = demo.features.find((f) => f.properties.layer === "place").geometry.coordinates;
    for (let z = 0; z <= 12; z += 1) {
      const tile = await archive.getZxy(z, lon2x(centre[0], z), lat2y(centre[1], z));
      assert.ok(tile, `tile at zoom ${z}`);
      const vt = new VectorTile(new Pbf(new Uint8Array(tile.data)));
      assert.ok(vt.layers.land, `land at zoom ${z}`);
      assert.equal(vt.layers.place.length, 1);
      const place = vt.layers.place.feature(0);
      assert.deepEqual({ ...place.properties }, { layer: "place", name_en: "Shanghai", name_zh: "上海" });
      // the point decodes back to where it was (within a pixel of the tile's 4096 grid)
      const [lng, lat] = place.toGeoJSON(lon2x(centre[0], z), lat2y(centre[1], z), z).geometry.coordinates;
      assert.ok(Math.abs(lng - centre[0]) < 360 / 2 ** z / 4096 + 1e-9 && Math.abs(lat - centre[1]) < 360 / 2 ** z / 4096 + 1e-9);
    }
  });

  it("has no tile outside the bounds and none beyond the maximum zoom", async () => {
    const archive = reader(bytes);
    assert.equal(await archive.getZxy(12, lon2x(125, 12), lat2y(35, 12)), undefined);
    assert.equal(await archive.getZxy(13, lon2x(121.47, 13), lat2y(31.23, 13)), undefined);
  });

  it("is deterministic, and the committed demo archive is a fresh build of the committed GeoJSON", () => {
    assert.deepEqual(buildBasemap(demo), bytes);
    assert.deepEqual(readFileSync(DEMO.output), bytes, "run npm run basemap:build after changing data/basemap/");
    assert.ok(bytes.length < 3 * 1024 * 1024);
  });
});

describe("PMTiles writer", () => {
  const tile = (n) => new Uint8Array([n, n + 1, n + 2]);
  const info = { bounds: [-180, -85, 180, 85], center: [0, 0, 0], minZoom: 0, maxZoom: 2, metadata: { name: "t" } };

  it("stores identical tiles once and reads every tile back at its z/x/y", async () => {
    const tiles = [
      { z: 0, x: 0, y: 0, data: tile(1) },
      { z: 1, x: 0, y: 0, data: tile(2) },
      { z: 1, x: 0, y: 1, data: tile(2) },
      { z: 1, x: 1, y: 1, data: tile(2) },
      { z: 2, x: 3, y: 2, data: tile(9) },
    ];
    const archive = reader(writePmtiles(tiles, info));
    const header = await archive.getHeader();
    assert.equal(header.numAddressedTiles, 5);
    assert.equal(header.numTileContents, 3);
    for (const t of tiles) assert.deepEqual(new Uint8Array((await archive.getZxy(t.z, t.x, t.y)).data), t.data);
    assert.equal(await archive.getZxy(1, 1, 0), undefined);
  });

  it("uses run lengths for consecutive tile ids with the same bytes", async () => {
    const ids = [5, 6, 7, 8, 9, 10, 11, 12].map((id) => tileIdToZxy(id));
    const tiles = ids.map(([z, x, y]) => ({ z, x, y, data: tile(4) }));
    const archive = reader(writePmtiles(tiles, info));
    const header = await archive.getHeader();
    assert.equal(header.numTileEntries, 1);
    assert.equal(header.numAddressedTiles, 8);
    for (const [z, x, y] of ids) assert.deepEqual(new Uint8Array((await archive.getZxy(z, x, y)).data), tile(4));
    assert.equal(zxyToTileId(...ids[0]), 5);
  });

  it("refuses a root directory that would not fit in the first 16 KiB", () => {
    // 20 000 tile ids with pseudo-random gaps: their deltas do not compress below 16 KiB
    const tiles = [];
    let id = zxyToTileId(12, 0, 0);
    let seed = 7;
    for (let i = 0; i < 20_000; i += 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      id += 2 + (seed % 100_000);
      const [z, x, y] = tileIdToZxy(id);
      tiles.push({ z, x, y, data: tile(1) });
    }
    assert.throws(() => writePmtiles(tiles, info), /root directory/);
  });
});
