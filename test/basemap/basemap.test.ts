import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { basemapKey, BASEMAP_CONTENT_TYPE } from "../../src/basemap";
import { call, expectProblem } from "../support/http";

/** A basemap of `size` bytes (byte i is i mod 251) stored under a name of its own. */
async function storedBasemap(size: number) {
  const name = `t_${crypto.randomUUID().slice(0, 8)}`;
  const bytes = Uint8Array.from({ length: size }, (_, i) => i % 251);
  await env.PHOTOS.put(basemapKey(name), bytes);
  return { name, bytes, path: `/v1/basemap/${name}.pmtiles` };
}

async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
  const res = await exports.default.fetch(new Request(`http://doorstep.test${path}`, { method, headers }));
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("GET /v1/basemap/{name}.pmtiles", () => {
  it("serves the whole archive to anyone, with its type, length, ETag and caching", async () => {
    const map = await storedBasemap(5000);
    const whole = await get(map.path);
    expect(whole.status).toBe(200);
    expect(whole.bytes).toEqual(map.bytes);
    expect(whole.headers.get("Content-Type")).toBe(BASEMAP_CONTENT_TYPE);
    expect(whole.headers.get("Content-Length")).toBe("5000");
    expect(whole.headers.get("Accept-Ranges")).toBe("bytes");
    expect(whole.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(whole.headers.get("ETag")).toMatch(/^"[^"]+"$/);
  });

  it("answers byte ranges with 206 and Content-Range: a-b, a- and suffix ranges", async () => {
    const map = await storedBasemap(5000);
    const cases: [string, number, number][] = [
      ["bytes=0-126", 0, 127], // a PMTiles header
      ["bytes=0-16383", 0, 5000], // the first read of a reader runs past the end: clipped
      ["bytes=4990-", 4990, 10],
      ["bytes=-100", 4900, 100],
      ["bytes=-9000", 0, 5000], // a suffix longer than the file is the whole file
      ["bytes=4999-4999", 4999, 1],
    ];
    for (const [range, offset, length] of cases) {
      const part = await get(map.path, { Range: range });
      expect(part.status, range).toBe(206);
      expect(part.headers.get("Content-Range"), range).toBe(`bytes ${offset}-${offset + length - 1}/5000`);
      expect(part.headers.get("Content-Length"), range).toBe(String(length));
      expect(part.bytes, range).toEqual(map.bytes.slice(offset, offset + length));
      expect(part.headers.get("ETag")).toBeTruthy();
    }
  });

  it("returns exactly the bytes of any satisfiable range (property)", async () => {
    const map = await storedBasemap(3000);
    await fc.assert(
      fc.asyncProperty(fc.nat(2999), fc.nat(4000), async (start, span) => {
        const part = await get(map.path, { Range: `bytes=${start}-${start + span}` });
        const end = Math.min(start + span, 2999);
        expect(part.status).toBe(206);
        expect(part.headers.get("Content-Range")).toBe(`bytes ${start}-${end}/3000`);
        expect(part.bytes).toEqual(map.bytes.slice(start, end + 1));
      }),
      { numRuns: 25 },
    );
  });

  it("is 416 problem+json with Content-Range bytes */size for a range it cannot satisfy", async () => {
    const map = await storedBasemap(5000);
    for (const range of ["bytes=5000-", "bytes=6000-7000", "bytes=-0", "bytes=10-5", "bytes=0-1,5-6", "items=0-5", "bytes=x-"]) {
      const res = await call("GET", map.path, { headers: { Range: range } });
      expectProblem(res, 416, "RANGE_NOT_SATISFIABLE");
      expect(res.headers.get("Content-Range"), range).toBe("bytes */5000");
    }
  });

  it("is 304 without a body when If-None-Match names the current ETag, and 200 again once the archive changes", async () => {
    const map = await storedBasemap(2000);
    const first = await get(map.path);
    const etag = first.headers.get("ETag")!;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const again = await get(map.path, { "If-None-Match": ifNoneMatch });
      expect(again.status, ifNoneMatch).toBe(304);
      expect(again.bytes.length).toBe(0);
      expect(again.headers.get("ETag")).toBe(etag);
    }
    // a range request with the current ETag is not modified either
    expect((await get(map.path, { "If-None-Match": etag, Range: "bytes=0-9" })).status).toBe(304);
    await env.PHOTOS.put(basemapKey(map.name), new Uint8Array(10).fill(7));
    const changed = await get(map.path, { "If-None-Match": etag });
    expect(changed.status).toBe(200);
    expect(changed.bytes).toEqual(new Uint8Array(10).fill(7));
    expect(changed.headers.get("ETag")).not.toBe(etag);
  });

  it("answers HEAD with the headers and no body", async () => {
    const map = await storedBasemap(1234);
    const head = await get(map.path, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("1234");
    expect(head.bytes.length).toBe(0);
  });

  it("is 404 problem+json when there is no archive of that name, whatever the Range", async () => {
    expectProblem(await call("GET", "/v1/basemap/cty_nowhere.pmtiles"), 404, "NOT_FOUND");
    const ranged = await call("GET", "/v1/basemap/cty_nowhere.pmtiles", { headers: { Range: "bytes=0-16383" } });
    expectProblem(ranged, 404, "NOT_FOUND");
    expect(ranged.headers.get("Content-Range")).toBeNull();
    expect((await get("/v1/basemap/cty_nowhere.pmtiles", {}, "HEAD")).status).toBe(404);
  });

  it("refuses names that are not a plain name plus .pmtiles with 400, reading nothing", async () => {
    await env.PHOTOS.put("basemap/../secret.pmtiles", new Uint8Array([1]));
    for (const path of [
      "/v1/basemap/x.json",
      "/v1/basemap/a%2F..%2Fsecret.pmtiles",
      `/v1/basemap/${"a".repeat(65)}.pmtiles`,
      "/v1/basemap/.pmtiles",
    ]) {
      const res = await call("GET", path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(String(res.headers.get("Content-Type")), path).toMatch(/^application\/problem\+json/);
    }
    expectProblem(await call("GET", "/v1/basemap/x.json"), 400, "VALIDATION_FAILED");
  });
});
