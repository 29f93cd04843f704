// The live map's basemap: MapLibre GL (bundled, loaded only when a basemap exists) drawing the city's
// vector-tile PMTiles archive that the API serves in byte ranges (GET /v1/basemap/<cityId>.pmtiles).
// Nothing is fetched from elsewhere: the style has no glyphs or sprites (place names are HTML
// markers), MapLibre's worker and stylesheet come from the dashboard's own assets.

/** The dashboard's own copies (scripts/build-dashboard.mjs puts them next to the bundle). */
const WORKER_URL = "/dashboard/maplibre-gl-worker.mjs";
const CSS_URL = "/dashboard/maplibre-gl.css";

const COLORS = { sea: "#cddff0", land: "#f5f3ee", coast: "#9fb6cc", water: "#cddff0", river: "#a8c8e6", label: "#41536a" };

let protocolAdded = false;

/** Whether this browser can run MapLibre (WebGL 2). */
function webgl2() {
  try {
    return Boolean(document.createElement("canvas").getContext("webgl2"));
  } catch {
    return false;
  }
}

/** Whether the archive exists: its 127-byte header, asked for as a byte range. */
async function archiveExists(url) {
  try {
    const res = await fetch(url, { headers: { Range: "bytes=0-126" } });
    await res.arrayBuffer();
    return res.status === 206 || res.status === 200;
  } catch {
    return false;
  }
}

function loadStylesheet() {
  if (document.querySelector(`link[href="${CSS_URL}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = CSS_URL;
  document.head.append(link);
}

/** The style: sea as background, land with its coast, lakes and rivers. No symbol layer, so no glyphs. */
function styleOf(source, attribution) {
  return {
    version: 8,
    sources: { base: { type: "vector", url: `pmtiles://${source}`, attribution } },
    layers: [
      { id: "sea", type: "background", paint: { "background-color": COLORS.sea } },
      { id: "land", type: "fill", source: "base", "source-layer": "land", paint: { "fill-color": COLORS.land } },
      { id: "coast", type: "line", source: "base", "source-layer": "land", paint: { "line-color": COLORS.coast, "line-width": 1.2 } },
      { id: "water", type: "fill", source: "base", "source-layer": "water", paint: { "fill-color": COLORS.water } },
      { id: "river", type: "line", source: "base", "source-layer": "river", paint: { "line-color": COLORS.river, "line-width": 2 } },
    ],
  };
}

/**
 * Mounts the basemap in `container` (it fills it), centred on `center` ({lat, lng}) at `zoom`.
 * `url` is the archive (default: the city's), `lang` picks the place names (zh or en), `attribution`
 * the data's credit in that language. Resolves to null, and leaves the container untouched, when the
 * archive is absent (404) or the browser has no WebGL 2: the map then draws without a basemap.
 * @param {HTMLElement} container
 * @param {{ center: { lat: number, lng: number }, zoom?: number, url: string, lang?: string, attribution?: string }} options
 */
export async function mountBasemap(container, { center, zoom = 11, url, lang = "zh", attribution = "" }) {
  if (!webgl2() || !(await archiveExists(url))) return null;
  const [maplibregl, { Protocol }] = await Promise.all([import("maplibre-gl"), import("pmtiles")]);
  if (!protocolAdded) {
    maplibregl.setWorkerUrl(new URL(WORKER_URL, location.href).href);
    maplibregl.addProtocol("pmtiles", new Protocol().tile);
    protocolAdded = true;
  }
  loadStylesheet();
  const map = new maplibregl.Map({
    container,
    style: /** @type {any} */ (styleOf(new URL(url, location.href).href, attribution)),
    center: [center.lng, center.lat],
    zoom,
    attributionControl: { compact: false },
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  map.touchZoomRotate.disableRotation();

  // Place names as HTML markers (no glyphs to fetch), in the dashboard's language.
  const markers = new Map();
  const placeNames = () => {
    for (const f of map.querySourceFeatures("base", { sourceLayer: "place" })) {
      const name = lang === "zh" ? f.properties.name_zh : f.properties.name_en;
      if (!name || markers.has(name) || f.geometry.type !== "Point") continue;
      const el = document.createElement("span");
      el.className = "basemap-label";
      el.textContent = name;
      markers.set(
        name,
        new maplibregl.Marker({ element: el }).setLngLat(/** @type {[number, number]} */ (f.geometry.coordinates)).addTo(map),
      );
    }
  };
  map.on("idle", () => {
    placeNames();
    const drawn = new Set(map.queryRenderedFeatures().map((f) => f.sourceLayer));
    container.dataset.basemap = "ready";
    container.dataset.basemapLayers = ["land", "water", "river"].filter((l) => drawn.has(l)).join(" ");
  });

  return {
    /** Pixel position in the container of a point. */
    project(lat, lng) {
      const p = map.project([lng, lat]);
      return { x: p.x, y: p.y };
    },
    /** The point under a pixel of the container. */
    unproject(x, y) {
      const p = map.unproject([x, y]);
      return { lat: p.lat, lng: p.lng };
    },
    /** Calls `cb` whenever the view moves or zooms (and once the container resizes); returns the unsubscribe. */
    onMove(cb) {
      map.on("move", cb);
      map.on("resize", cb);
      return () => {
        map.off("move", cb);
        map.off("resize", cb);
      };
    },
    /** The visible area. */
    bounds() {
      const b = map.getBounds();
      return { west: b.getWest(), south: b.getSouth(), east: b.getEast(), north: b.getNorth() };
    },
    /** Zooms by `delta` zoom levels around the centre (positive: in). */
    zoomBy(delta) {
      map.zoomTo(map.getZoom() + delta);
    },
    /** Back to the first view. */
    reset() {
      map.jumpTo({ center: [center.lng, center.lat], zoom });
    },
    /** The current zoom level and centre. */
    zoom: () => map.getZoom(),
    center() {
      const c = map.getCenter();
      return { lat: c.lat, lng: c.lng };
    },
    /** Moves at once to `to` ({lat, lng}), at `zoomTo` when given. */
    jumpTo(to, zoomTo = map.getZoom()) {
      map.jumpTo({ center: [to.lng, to.lat], zoom: zoomTo });
    },
    /** Zooms at once by `delta` levels keeping the point under pixel (x, y) where it is. */
    zoomAround(delta, x, y) {
      const p = map.unproject([x, y]);
      map.zoomTo(map.getZoom() + delta, { around: [p.lng, p.lat], duration: 0 });
    },
    /** Shows the box {north, south, east, west} with `padPx` around it, at once. */
    fitBox(box, padPx = 20) {
      map.fitBounds(
        [
          [box.west, box.south],
          [box.east, box.north],
        ],
        { padding: padPx, duration: 0 },
      );
    },
    /** Calls `cb(x, y, event)` on a click that was not a drag; returns the unsubscribe. */
    onClick(cb) {
      const on = (e) => cb(e.point.x, e.point.y, e.originalEvent);
      map.on("click", on);
      return () => map.off("click", on);
    },
    destroy() {
      for (const m of markers.values()) m.remove();
      map.remove();
      delete container.dataset.basemap;
      delete container.dataset.basemapLayers;
    },
  };
}
