import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("the dashboard's static assets", () => {
  it("serve a page whose script, its on-demand chunks and stylesheet come from the same origin (no CDN, nothing from elsewhere)", async () => {
    const page = await env.ASSETS.fetch("http://doorstep.test/dashboard/");
    expect(page.status).toBe(200);
    const html = await page.text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !r.startsWith("data:"))).toEqual([
      expect.stringMatching(/^\.\/app-[0-9a-f]{10}\.css$/),
      expect.stringMatching(/^\.\/app-[0-9a-f]{10}\.js$/),
    ]);
    // the page's script and stylesheet, and every chunk a script imports (screens load on demand)
    const queue = refs.filter((r) => r.startsWith("./"));
    const seen = new Set<string>();
    for (let ref = queue.shift(); ref !== undefined; ref = queue.shift()) {
      if (seen.has(ref)) continue;
      seen.add(ref);
      const asset = await env.ASSETS.fetch(new URL(ref, "http://doorstep.test/dashboard/"));
      expect(asset.status, ref).toBe(200);
      const text = await asset.text();
      // no absolute URL to another host in the bundle (an SVG namespace is not a fetch)
      // MapLibre's and PMTiles' chunks name their projects' pages in error texts and a placeholder host; it fetches
      // only what the style names (test/browser/basemap.test.mjs asserts no request leaves the origin).
      const inert = /maplibre|pmtiles/i.test(text) ? ["maplibre.invalid", "github.com", "wiki.openstreetmap.org", "maplibre.org"] : [];
      const hosts = [...text.matchAll(/https?:\/\/([a-z0-9.-]+)/gi)]
        .map((m) => m[1])
        .filter((h) => h !== "www.w3.org" && !inert.includes(h!));
      expect(hosts, ref).toEqual([]);
      if (ref.endsWith(".js")) queue.push(...[...text.matchAll(/["'](\.\/app-[\w-]+\.js)["']/g)].map((m) => m[1]!));
    }
    // the money screen is one of the chunks
    expect([...seen].some((r) => /^\.\/app-money-[\w]+\.js$/.test(r))).toBe(true);
  });
});
