// The live city map: H3 cells drawn as hexagons (tinted by load) and open orders as pins (SVG), the
// technicians as dots on a canvas above them. The cells in view stream their changes over sockets
// (src/operations/live-socket.*, durable/ops.feed.ts); the whole city is polled only while none is
// open. The view is the city's basemap when the deployment has one (basemap.js, through
// basemap-view.js) and the map's own pan/zoom (map-view.js) otherwise; both have the same interface.
// Cells in a demand surge are outlined.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { mountBasemap } from "./basemap.js";
import { createBasemapView } from "./basemap-view.js";
import { createCellFeed } from "./cell-feed.js";
import { createPanZoomView } from "./map-view.js";
import { MapSearch } from "./map-search.js";
import { createTechLayer } from "./tech-layer.js";
import { html, useApp, useAsync, useInterval, useSkillNames, when, Badge, ErrorNote } from "./ui.js";

const POLL_MS = 2000;
/** Zoomed out past this many cells in view, the map polls instead of opening a socket per cell. */
const MAX_CELL_SOCKETS = 64;
const PIN = 9;
/** The outline of a cell in a demand surge (docs/surge-forecasts.md), and of the others. */
const SURGE_STROKE = { color: "#c2410c", width: 3 };
const CELL_STROKE = { color: "#5b6b7d", width: 1 };

/** Whether pixel (x, y) lies inside the polygon `pts` ([{x, y}]). */
function inside(pts, x, y) {
  let hit = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const a = pts[i];
    const b = pts[j];
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) hit = !hit;
  }
  return hit;
}

/** Fill of a cell by load (open orders per online technician): calm green to hot red. */
function tint(cell) {
  if (cell.openOrders === 0) return { fill: cell.onlineTechnicians > 0 ? "hsl(140 45% 60%)" : "hsl(210 15% 75%)", opacity: 0.18 };
  const hue = 120 - Math.min(cell.load, 3) * 40;
  return { fill: `hsl(${hue} 75% 50%)`, opacity: 0.22 + Math.min(cell.load, 3) * 0.1 };
}

/** The city as the poll answers it, in the map's own store (mutable maps, re-rendered on demand). */
function storeOf(live) {
  return {
    at: Date.parse(live.at),
    cells: new Map(live.cells.map((c) => [c.id, { ...c }])),
    techs: new Map(live.technicians.map((x) => [x.id, x])),
    orders: new Map(live.orders.map((o) => [o.id, o])),
  };
}

/** A technician of a socket frame, merged into what the poll told (rating, skills stay). */
const techOf = (cell, x, old) => ({
  ...old,
  id: x.id,
  name: x.name,
  merchantId: x.merchantId,
  homeCell: cell,
  state: x.state,
  position: { lat: x.lat, lng: x.lng },
  located: x.located,
  heading: x.heading,
  lastSeenAt: x.lastSeenAt === null ? null : new Date(x.lastSeenAt).toISOString(),
  skills: old?.skills ?? [],
});

const orderOf = (cell, o, old) => ({
  ...old,
  id: o.id,
  status: o.status,
  merchantId: o.merchantId,
  technicianId: o.technicianId,
  cell,
  position: { lat: o.lat, lng: o.lng },
  start: new Date(o.startAt).toISOString(),
  exception: o.exception,
});

/** Applies one socket frame of `cell` to the store; the technicians whose dots must move. */
function apply(store, cell, frame) {
  const techs = [];
  if (frame.type === "snapshot") {
    const seen = new Set(frame.technicians.map((x) => x.id));
    const gone = [];
    for (const x of store.techs.values()) if (x.homeCell === cell && !seen.has(x.id)) gone.push(x.id);
    for (const id of gone) store.techs.delete(id);
    const open = new Set(frame.orders.map((o) => o.id));
    for (const o of [...store.orders.values()]) if (o.cell === cell && !open.has(o.id)) store.orders.delete(o.id);
  }
  for (const x of frame.technicians) {
    const t = techOf(cell, x, store.techs.get(x.id));
    store.techs.set(x.id, t);
    techs.push(t);
  }
  for (const o of frame.orders) store.orders.set(o.id, orderOf(cell, o, store.orders.get(o.id)));
  for (const id of frame.closedOrders ?? []) store.orders.delete(id);
  if (frame.cell) {
    const c = store.cells.get(cell);
    if (c) store.cells.set(cell, { ...c, ...frame.cell, id: cell, boundary: c.boundary });
  }
  store.at = Math.max(store.at, frame.at);
  return techs;
}

const centroid = (boundary) => ({
  lat: boundary.reduce((s, p) => s + p[0], 0) / boundary.length,
  lng: boundary.reduce((s, p) => s + p[1], 0) / boundary.length,
});

export function LiveMap() {
  const { t, cityId, lang } = useApp();
  const [live, setLive] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  const [sockets, setSockets] = useState(0);
  const [wanted, setWanted] = useState(0);
  const [basemap, setBasemap] = useState(null);
  const [, setTick] = useState(0);
  const store = useRef(null);
  const wrap = useRef(null);
  const canvas = useRef(null);
  const under = useRef(null);
  const parts = useRef({ view: null, layer: null, feed: null });
  const redraw = () => setTick((n) => n + 1);

  const load = () =>
    api(`/v1/admin/cities/${cityId}/live?hours=72`).then(
      (d) => {
        store.current = storeOf(d);
        parts.current.layer?.set(d.technicians);
        setLive(d);
        setError(null);
        redraw();
      },
      (e) => setError(e),
    );
  useAsync(load, [cityId]);
  // Only while no cell's socket is open: then every change arrives by itself.
  useInterval(() => (parts.current.feed?.openCount() ?? 0) === 0 && load(), POLL_MS);

  const cityKey = live ? live.cityId : null;
  const centres = useMemo(
    () => (live ? live.cells.map((c) => ({ id: c.id, ...centroid(c.boundary) })) : []),
    [cityKey, live?.cells.length],
  );

  // The basemap under the layers, when the deployment has one for the city (null otherwise).
  useEffect(() => {
    if (!live || !under.current) return undefined;
    let mounted = null;
    let gone = false;
    void mountBasemap(under.current, {
      center: live.center,
      zoom: 11,
      url: `/v1/basemap/${encodeURIComponent(live.cityId)}.pmtiles`,
      lang,
      attribution: t("basemapAttribution"),
    }).then((m) => {
      if (gone) return m?.destroy();
      mounted = m;
      if (m) setBasemap(m);
    });
    return () => {
      gone = true;
      mounted?.destroy();
      setBasemap(null);
    };
  }, [cityKey, lang]);

  useEffect(() => {
    if (!live || !wrap.current || !canvas.current) return undefined;
    const view = basemap ? createBasemapView(basemap) : createPanZoomView(wrap.current, { center: live.center, zoom: 11 });
    const pts = live.cells.flatMap((c) => c.boundary);
    if (pts.length > 0) {
      view.fit({
        north: Math.max(...pts.map((p) => p[0])),
        south: Math.min(...pts.map((p) => p[0])),
        east: Math.max(...pts.map((p) => p[1])),
        west: Math.min(...pts.map((p) => p[1])),
      });
    }
    const layer = createTechLayer(canvas.current, view);
    layer.set([...store.current.techs.values()]);
    const feed = createCellFeed({
      onFrame: (cell, frame) => {
        if (!store.current) return;
        const moved = apply(store.current, cell, frame);
        layer.upsert(moved);
        if (frame.type === "snapshot") layer.set([...store.current.techs.values()]);
        redraw();
      },
      onChange: setSockets,
    });
    view.onTap = (x, y) => {
      const id = layer.hit(x, y);
      if (id) {
        setSelected({ kind: "tech", id });
        return true;
      }
      // Over the basemap the cells let the pointer through to it: a tap inside one opens it.
      if (!basemap) return false;
      const cell = [...store.current.cells.values()].find((c) =>
        inside(
          c.boundary.map(([lat, lng]) => view.project(lat, lng)),
          x,
          y,
        ),
      );
      if (cell) setSelected({ kind: "cell", id: cell.id });
      return Boolean(cell);
    };
    // The cells in view (with a margin of about one cell) are followed live.
    const follow = () => {
      const b = view.bounds();
      const m = 0.08;
      const mid = { lat: (b.north + b.south) / 2, lng: (b.east + b.west) / 2 };
      // nearest the middle first: those open first
      const inView = centres
        .filter((c) => c.lat <= b.north + m && c.lat >= b.south - m && c.lng >= b.west - m && c.lng <= b.east + m)
        .sort((p, q) => Math.hypot(p.lat - mid.lat, p.lng - mid.lng) - Math.hypot(q.lat - mid.lat, q.lng - mid.lng))
        .map((c) => c.id);
      feed.watch(inView.length <= MAX_CELL_SOCKETS ? inView : []);
      setWanted(feed.cells().length);
    };
    const offMove = view.onMove(() => {
      follow();
      redraw();
    });
    parts.current = { view, layer, feed };
    follow();
    redraw();
    return () => {
      offMove();
      feed.close();
      layer.destroy();
      view.destroy();
      parts.current = { view: null, layer: null, feed: null };
      setSockets(0);
    };
  }, [cityKey, basemap, wrap.current, canvas.current]);

  useEffect(() => parts.current.layer?.select(selected?.kind === "tech" ? selected.id : null), [selected]);

  if (error && !live) return html`<${ErrorNote} error=${error} />`;
  const s = store.current;
  const view = parts.current.view;
  const counts = { online: 0, busy: 0, offline: 0 };
  if (s) for (const tech of s.techs.values()) counts[tech.state] += 1;
  const surging = s ? [...s.cells.values()].filter((c) => c.surge === "surging").length : 0;
  const current =
    !s || !selected
      ? null
      : selected.kind === "tech"
        ? s.techs.get(selected.id)
        : selected.kind === "order"
          ? s.orders.get(selected.id)
          : s.cells.get(selected.id);
  const project = (lat, lng) => view.project(lat, lng);
  const pick = (kind, id) => setSelected({ kind, id });
  const zoomBy = (f) => {
    const el = wrap.current;
    if (view && el) view.zoomAt(f, el.clientWidth / 2, el.clientHeight / 2);
  };
  /** A search result: centre the map on it and open it. */
  const show = (r) => {
    const at = r.position ?? (r.kind === "technician" ? s?.techs.get(r.id)?.position : null);
    if (at && view) view.setCenter(at, Math.max(view.zoom(), 14));
    setSelected({ kind: r.kind === "technician" ? "tech" : "order", id: r.id, found: r });
  };

  return html`<section
    class="map-screen"
    data-live=${sockets > 0 ? "socket" : "poll"}
    data-sockets-open=${sockets}
    data-sockets-wanted=${wanted}
  >
    <div class="map-bar">
      <span class="legend"><i class="dot online"></i>${t("online")} <b data-testid="count-online">${counts.online}</b></span>
      <span class="legend"><i class="dot busy"></i>${t("busy")} <b data-testid="count-busy">${counts.busy}</b></span>
      <span class="legend"><i class="dot offline"></i>${t("offline")} <b>${counts.offline}</b></span>
      <span class="legend"><i class="pin"></i>${t("openOrders")} <b data-testid="count-orders">${s ? s.orders.size : 0}</b></span>
      <span class="legend"><i class="surge-outline"></i>${t("surge_surging")} <b data-testid="count-surging">${surging}</b></span>
      <span class="muted small" data-testid="live-mode"
        >${sockets > 0 ? t("lm_streaming").replace("{n}", String(sockets)) : t("lm_polling")} · ${t("updated")}
        ${s && live ? when(new Date(s.at).toISOString(), live.timeZone) : "—"}</span
      >
      <span class="spacer"></span>
      <${MapSearch} onPick=${show} />
      <button class="ghost" onClick=${() => zoomBy(1.4)} aria-label=${t("lm_zoomIn")}>＋</button>
      <button class="ghost" onClick=${() => zoomBy(1 / 1.4)} aria-label=${t("lm_zoomOut")}>－</button>
    </div>
    <div class="map-wrap" ref=${wrap} role="img" aria-label=${t("map")}>
      <div class="basemap" ref=${under}></div>
      ${!live && html`<p class="muted">${t("loading")}</p>`}
      ${
        live &&
        view &&
        html`<svg class=${basemap ? "map over-basemap" : "map"}>
          <g class="cells">
            ${[...s.cells.values()].map((c) => {
              const { fill, opacity } = tint(c);
              const points = c.boundary
                .map(([lat, lng]) => {
                  const p = project(lat, lng);
                  return `${p.x.toFixed(1)},${p.y.toFixed(1)}`;
                })
                .join(" ");
              return html`<polygon
                key=${c.id}
                data-cell=${c.id}
                points=${points}
                fill=${fill}
                fill-opacity=${opacity}
                stroke=${c.surge === "surging" ? SURGE_STROKE.color : CELL_STROKE.color}
                stroke-width=${c.surge === "surging" ? SURGE_STROKE.width : CELL_STROKE.width}
                data-surge=${c.surge}
                onClick=${() => pick("cell", c.id)}
              />`;
            })}
          </g>
          <g class="orders">
            ${[...s.orders.values()].map((o) => {
              const { x, y } = project(o.position.lat, o.position.lng);
              return html`<path
                key=${o.id}
                class=${`order-pin ${o.exception ? "exception" : ""}`}
                data-order-id=${o.id}
                d=${`M${x.toFixed(1)} ${y.toFixed(1)} l${-PIN * 0.8} ${-PIN * 1.6} a${PIN * 0.8} ${PIN * 0.8} 0 1 1 ${PIN * 1.6} 0 z`}
                onClick=${() => pick("order", o.id)}
                ><title>${o.id}</title></path
              >`;
            })}
          </g>
        </svg>`
      }
      <canvas class="tech-layer" ref=${canvas} data-testid="tech-layer"></canvas>
      ${current && html`<${MapDetails} kind=${selected.kind} item=${current} timeZone=${live.timeZone} lang=${lang} onClose=${() => setSelected(null)} />`}
      ${selected?.found && !current && html`<${FoundDetails} found=${selected.found} onClose=${() => setSelected(null)} />`}
    </div>
  </section>`;
}

function MapDetails({ kind, item, timeZone, onClose }) {
  const { t } = useApp();
  const { label: skillLabel } = useSkillNames();
  const rows =
    kind === "tech"
      ? [
          [t("technician"), `${item.name} (${item.id})`],
          [t("status"), html`<${Badge} value=${item.state} />`],
          [t("rating"), typeof item.rating === "number" ? item.rating.toFixed(2) : "—"],
          [t("skills"), (item.skills ?? []).map(skillLabel).join("、") || "—"],
          [t("cell"), item.homeCell],
          [t("updated"), item.lastSeenAt ? when(item.lastSeenAt, timeZone) : "—"],
        ]
      : kind === "order"
        ? [
            ["ID", html`<a href=${`#/orders/${item.id}`}>${item.id}</a>`],
            [t("status"), html`<${Badge} value=${item.status} />`],
            [t("exception"), item.exception ? html`<${Badge} value=${item.exception} kind="warn" />` : "—"],
            [t("start"), when(item.start, timeZone)],
            [t("technician"), item.technicianId ?? "—"],
            [t("cell"), item.cell],
          ]
        : [
            [t("cell"), item.id],
            [t("openOrders"), item.openOrders],
            [t("online"), item.onlineTechnicians],
            [t("load"), item.load],
            [t("surgeState"), t(`surge_${item.surge ?? "normal"}`)],
          ];
  return html`<div class="map-details" data-testid="map-details">
    <button class="ghost close" onClick=${onClose} aria-label=${t("close")}>✕</button>
    <dl>
      ${rows.map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
    </dl>
  </div>`;
}

/** A search result that is not on the map now (a closed order, a technician of another city). */
function FoundDetails({ found, onClose }) {
  const { t } = useApp();
  const href = found.kind === "technician" ? "#/technicians" : `#/orders/${found.id}`;
  return html`<div class="map-details" data-testid="map-details">
    <button class="ghost close" onClick=${onClose} aria-label=${t("close")}>✕</button>
    <dl>
      <dt>${found.kind === "technician" ? t("technician") : t("lm_order")}</dt>
      <dd><a href=${href}>${found.label}</a></dd>
      <dt>${t("status")}</dt>
      <dd><${Badge} value=${found.status} /></dd>
    </dl>
  </div>`;
}
