import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  bd09ToGcj02,
  bd09ToWgs84,
  gcj02ToBd09,
  gcj02ToWgs84,
  insideChina,
  mapLinks,
  wgs84ToBd09,
  wgs84ToGcj02,
} from "../../src/domain/map-datums";

// Published reference pairs: googollee/eviltransform's test table (WGS-84 ↔ GCJ-02), wandergis/coordtransform's
// documented results (GCJ-02 ↔ BD-09 at Tiananmen) and eviltransform's MATLAB port (GCJ-02 → BD-09, Beijing).
const WGS_GCJ = [
  { wgs: { lat: 31.1774276, lng: 121.5272106 }, gcj: { lat: 31.17530398364597, lng: 121.531541859215 } }, // Shanghai
  { wgs: { lat: 22.543847, lng: 113.912316 }, gcj: { lat: 22.540796131694766, lng: 113.9171764808363 } }, // Shenzhen
  { wgs: { lat: 39.911954, lng: 116.377817 }, gcj: { lat: 39.91334545536069, lng: 116.38404722455657 } }, // Beijing
];

/** Metres between two nearby points (equirectangular; exact enough below a kilometre). */
function metres(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const k = 111_320;
  return Math.hypot((a.lat - b.lat) * k, (a.lng - b.lng) * k * Math.cos((a.lat * Math.PI) / 180));
}

describe("WGS-84 ↔ GCJ-02", () => {
  it.each(WGS_GCJ)("matches the published GCJ-02 point of $wgs.lat,$wgs.lng", ({ wgs, gcj }) => {
    const got = wgs84ToGcj02(wgs);
    expect(got.lat).toBeCloseTo(gcj.lat, 9);
    expect(got.lng).toBeCloseTo(gcj.lng, 9);
  });

  it.each(WGS_GCJ)("inverts the published GCJ-02 point of $wgs.lat,$wgs.lng within a centimetre", ({ wgs, gcj }) => {
    expect(metres(gcj02ToWgs84(gcj), wgs)).toBeLessThan(0.01);
  });

  it("round-trips every point of mainland China within a centimetre, and moves it 20 m to 1 km", () => {
    fc.assert(
      fc.property(fc.double({ min: 18.2, max: 53.5, noNaN: true }), fc.double({ min: 73.6, max: 134.7, noNaN: true }), (lat, lng) => {
        const p = { lat, lng };
        const g = wgs84ToGcj02(p);
        expect(metres(gcj02ToWgs84(g), p)).toBeLessThan(0.01);
        expect(metres(g, p)).toBeGreaterThan(20);
        expect(metres(g, p)).toBeLessThan(1000);
      }),
    );
  });

  it("leaves points outside mainland China unchanged", () => {
    const paris = { lat: 48.8584, lng: 2.2945 };
    expect(insideChina(paris)).toBe(false);
    expect(wgs84ToGcj02(paris)).toEqual(paris);
    expect(gcj02ToWgs84(paris)).toEqual(paris);
  });
});

describe("GCJ-02 ↔ BD-09", () => {
  it("matches the published Baidu points at Tiananmen", () => {
    const bd = gcj02ToBd09({ lat: 39.915, lng: 116.404 });
    expect(bd.lng).toBeCloseTo(116.41036949371029, 9);
    expect(bd.lat).toBeCloseTo(39.92133699351021, 9);
    const gcj = bd09ToGcj02({ lat: 39.915, lng: 116.404 });
    expect(gcj.lng).toBeCloseTo(116.39762729119315, 9);
    expect(gcj.lat).toBeCloseTo(39.90865673957631, 9);
  });

  it("matches the published Baidu point in Beijing to 5e-5°", () => {
    const bd = gcj02ToBd09({ lat: 39.90245, lng: 116.42703 });
    expect(Math.abs(bd.lat - 39.90851)).toBeLessThan(5e-5);
    expect(Math.abs(bd.lng - 116.43351)).toBeLessThan(5e-5);
  });

  // Baidu's published inverse is itself approximate (up to a few decimetres), not an iteration.
  it("round-trips WGS-84 → BD-09 → WGS-84 within half a metre across mainland China", () => {
    fc.assert(
      fc.property(fc.double({ min: 18.2, max: 53.5, noNaN: true }), fc.double({ min: 73.6, max: 134.7, noNaN: true }), (lat, lng) => {
        const p = { lat, lng };
        expect(metres(bd09ToWgs84(wgs84ToBd09(p)), p)).toBeLessThan(0.5);
      }),
    );
  });
});

describe("mapLinks", () => {
  it("hands each app the datum it expects inside mainland China", () => {
    const wgs = WGS_GCJ[0]!.wgs;
    const links = mapLinks(wgs, "ord_1");
    expect(links.amap).toContain("to=121.531542,31.175304,ord_1");
    expect(links.amap).toContain("coordinate=gaode");
    const bd = wgs84ToBd09(wgs);
    expect(links.baidu).toContain(`latlng:${bd.lat.toFixed(6)},${bd.lng.toFixed(6)}`);
    expect(links.baidu).toContain("coord_type=bd09ll");
    expect(links.apple).toContain("daddr=31.175304,121.531542");
    expect(links.google).toContain("destination=31.175304,121.531542");
  });

  it("hands Apple and Google the WGS-84 point outside mainland China", () => {
    const links = mapLinks({ lat: 48.8584, lng: 2.2945 }, "a b");
    expect(links.apple).toContain("daddr=48.858400,2.294500");
    expect(links.google).toContain("destination=48.858400,2.294500");
    expect(links.amap).toContain("a%20b");
  });
});
