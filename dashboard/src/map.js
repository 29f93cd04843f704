// The live city map: H3 cells drawn as hexagons (tinted by load), technicians as dots coloured by
// state, open orders as pins, over the city's basemap when the deployment has one (basemap.js; the
// layer then follows the basemap's view) and on a plain background otherwise. It polls the live feed
// and animates the moves.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { mountBasemap } from "./basemap.js";
import { html, useApp, useAsync, useInterval, useSkillNames, when, Badge, ErrorNote } from "./ui.js";

const POLL_MS = 2000;
const SCALE = 1000; // SVG units per degree of latitude

function projector(center) {
  const k = Math.cos((center.lat * Math.PI) / 180);
  return ([lat, lng]) => [(lng - center.lng) * k * SCALE, -(lat - center.lat) * SCALE];
}

/** Fill of a cell by load (open orders per online technician): calm green to hot red. */
function tint(cell) {
  if (cell.openOrders === 0) return { fill: cell.onlineTechnicians > 0 ? "hsl(140 45% 60%)" : "hsl(210 15% 75%)", opacity: 0.18 };
  const hue = 120 - Math.min(cell.load, 3) * 40;
  return { fill: `hsl(${hue} 75% 50%)`, opacity: 0.22 + Math.min(cell.load, 3) * 0.1 };
}

export function LiveMap() {
  const { t, cityId, lang } = useApp();
  const [live, setLive] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(null);
  const [view, setView] = useState(null);
  const [basemap, setBasemap] = useState(null);
  const drag = useRef(null);
  const wrap = useRef(null);
  const under = useRef(null);

  const load = () =>
    api(`/v1/admin/cities/${cityId}/live?hours=72`).then(
      (d) => {
        setLive(d);
        setError(null);
      },
      (e) => setError(e),
    );
  useAsync(load, [cityId]);
  useInterval(load, POLL_MS);

  const project = useMemo(() => (live ? projector(live.center) : null), [live?.cityId]);
  const base = useMemo(() => {
    if (!live || !project) return null;
    const pts = live.cells.flatMap((c) => c.boundary.map(project));
    const xs = pts.map((p) => p[0]);
    const ys = pts.map((p) => p[1]);
    const pad = 5;
    return {
      x: Math.min(...xs) - pad,
      y: Math.min(...ys) - pad,
      w: Math.max(...xs) - Math.min(...xs) + 2 * pad,
      h: Math.max(...ys) - Math.min(...ys) + 2 * pad,
    };
  }, [live?.cityId, live?.cells.length]);
  const vb = view ?? base;

  // The basemap under the layer: the layer's view box is then the basemap's visible area.
  const liveCenter = live ? `${live.center.lat},${live.center.lng}` : null;
  useEffect(() => {
    if (!liveCenter || !under.current || !base) return;
    let mounted = null;
    let gone = false;
    const [lat, lng] = liveCenter.split(",").map(Number);
    const k = Math.cos((lat * Math.PI) / 180);
    // The first view frames the cells, as the plain map does: the zoom at which they fill the container.
    const fit = (px, degrees) => Math.log2((px * 360) / (512 * degrees));
    const zoom = Math.min(fit(under.current.clientWidth, base.w / (k * SCALE)), fit(under.current.clientHeight, base.h / (k * SCALE)));
    void mountBasemap(under.current, {
      center: { lat: lat - (base.y + base.h / 2) / SCALE, lng: lng + (base.x + base.w / 2) / (k * SCALE) },
      zoom: Number.isFinite(zoom) ? zoom : 11,
      url: `/v1/basemap/${encodeURIComponent(cityId)}.pmtiles`,
      lang,
      attribution: t("basemapAttribution"),
    }).then((m) => {
      if (gone) return m?.destroy();
      mounted = m;
      if (!m) return;
      const toView = projector({ lat, lng });
      const follow = () => {
        const el = wrap.current;
        if (!el) return;
        const tl = m.unproject(0, 0);
        const br = m.unproject(el.clientWidth, el.clientHeight);
        const [x0, y0] = toView([tl.lat, tl.lng]);
        const [x1, y1] = toView([br.lat, br.lng]);
        setView({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
      };
      m.onMove(follow);
      follow();
      setBasemap(m);
    });
    return () => {
      gone = true;
      mounted?.destroy();
      setBasemap(null);
      setView(null);
    };
  }, [cityId, liveCenter, lang]);

  if (error && !live) return html`<${ErrorNote} error=${error} />`;
  if (!live || !vb) return html`<p class="muted">${t("loading")}</p>`;

  const zoom = (factor, cx = vb.x + vb.w / 2, cy = vb.y + vb.h / 2) =>
    basemap
      ? basemap.zoomBy(-Math.log2(factor))
      : setView({ x: cx - (cx - vb.x) * factor, y: cy - (cy - vb.y) * factor, w: vb.w * factor, h: vb.h * factor });
  const onWheel = (e) => {
    e.preventDefault();
    const r = e.currentTarget.getBoundingClientRect();
    zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, vb.x + ((e.clientX - r.left) / r.width) * vb.w, vb.y + ((e.clientY - r.top) / r.height) * vb.h);
  };
  const onDown = (e) => (drag.current = { x: e.clientX, y: e.clientY, vb, w: e.currentTarget.getBoundingClientRect().width });
  const onMove = (e) => {
    const d = drag.current;
    if (!d) return;
    const s = d.vb.w / d.w;
    setView({ ...d.vb, x: d.vb.x - (e.clientX - d.x) * s, y: d.vb.y - (e.clientY - d.y) * s });
  };
  const onUp = () => (drag.current = null);

  const r = vb.w / 140; // marker size follows the zoom
  const counts = { online: 0, busy: 0, offline: 0 };
  for (const tech of live.technicians) counts[tech.state] += 1;
  const pick = (kind, item) => setSelected({ kind, id: item.id });
  const current =
    selected?.kind === "tech"
      ? live.technicians.find((x) => x.id === selected.id)
      : selected?.kind === "order"
        ? live.orders.find((x) => x.id === selected.id)
        : selected?.kind === "cell"
          ? live.cells.find((x) => x.id === selected.id)
          : null;

  return html`<section class="map-screen">
    <div class="map-bar">
      <span class="legend"><i class="dot online"></i>${t("online")} <b data-testid="count-online">${counts.online}</b></span>
      <span class="legend"><i class="dot busy"></i>${t("busy")} <b data-testid="count-busy">${counts.busy}</b></span>
      <span class="legend"><i class="dot offline"></i>${t("offline")} <b>${counts.offline}</b></span>
      <span class="legend"><i class="pin"></i>${t("openOrders")} <b data-testid="count-orders">${live.orders.length}</b></span>
      <span class="muted small">${t("live")} · ${t("updated")} ${when(live.at, live.timeZone)}</span>
      <span class="spacer"></span>
      <button class="ghost" onClick=${() => zoom(1 / 1.4)} aria-label="zoom in">＋</button>
      <button class="ghost" onClick=${() => zoom(1.4)} aria-label="zoom out">－</button>
      <button class="ghost" onClick=${() => (basemap ? basemap.reset() : setView(null))} aria-label="reset">⟲</button>
    </div>
    <div class="map-wrap" ref=${wrap}>
      <div class="basemap" ref=${under}></div>
      <svg
        class=${basemap ? "map over-basemap" : "map"}
        viewBox=${`${vb.x} ${vb.y} ${vb.w} ${vb.h}`}
        preserveAspectRatio=${basemap ? "none" : "xMidYMid meet"}
        onWheel=${basemap ? undefined : onWheel}
        onPointerDown=${basemap ? undefined : onDown}
        onPointerMove=${basemap ? undefined : onMove}
        onPointerUp=${basemap ? undefined : onUp}
        onPointerLeave=${basemap ? undefined : onUp}
        role="img"
        aria-label=${t("map")}
      >
        <g class="cells">
          ${live.cells.map((c) => {
            const { fill, opacity } = tint(c);
            return html`<polygon
              key=${c.id}
              data-cell=${c.id}
              points=${c.boundary.map((p) => project(p).join(",")).join(" ")}
              fill=${fill}
              fill-opacity=${opacity}
              stroke=${c.surge === "surging" ? "#c2410c" : "#5b6b7d"}
              stroke-width=${(vb.w / 900) * (c.surge === "surging" ? 3 : 1)}
              data-surge=${c.surge}
              onClick=${() => pick("cell", c)}
            />`;
          })}
        </g>
        <g class="orders">
          ${live.orders.map((o) => {
            const [x, y] = project([o.position.lat, o.position.lng]);
            return html`<path
              key=${o.id}
              class=${`order-pin ${o.exception ? "exception" : ""}`}
              data-order-id=${o.id}
              d=${`M${x} ${y} l${-r * 0.8} ${-r * 1.6} a${r * 0.8} ${r * 0.8} 0 1 1 ${r * 1.6} 0 z`}
              onClick=${() => pick("order", o)}
              ><title>${o.id}</title></path
            >`;
          })}
        </g>
        <g class="techs">
          ${live.technicians.map((tech) => {
            const [x, y] = project([tech.position.lat, tech.position.lng]);
            return html`<circle
              key=${tech.id}
              class=${`tech ${tech.state}`}
              data-tech-id=${tech.id}
              data-state=${tech.state}
              r=${r * 0.55}
              cx="0"
              cy="0"
              style=${{ transform: `translate(${x}px, ${y}px)` }}
              onClick=${() => pick("tech", tech)}
              ><title>${tech.name}</title></circle
            >`;
          })}
        </g>
      </svg>
      ${current && html`<${MapDetails} kind=${selected.kind} item=${current} live=${live} lang=${lang} onClose=${() => setSelected(null)} />`}
    </div>
  </section>`;
}

function MapDetails({ kind, item, live, onClose }) {
  const { t } = useApp();
  const { label: skillLabel } = useSkillNames();
  const rows =
    kind === "tech"
      ? [
          [t("technician"), `${item.name} (${item.id})`],
          [t("status"), html`<${Badge} value=${item.state} />`],
          [t("rating"), item.rating.toFixed(2)],
          [t("skills"), item.skills.map(skillLabel).join("、")],
          [t("cell"), item.homeCell],
          [t("updated"), item.lastSeenAt ? when(item.lastSeenAt, live.timeZone) : "—"],
        ]
      : kind === "order"
        ? [
            ["ID", html`<a href=${`#/orders/${item.id}`}>${item.id}</a>`],
            [t("status"), html`<${Badge} value=${item.status} />`],
            [t("exception"), item.exception ? html`<${Badge} value=${item.exception} kind="warn" />` : "—"],
            [t("start"), when(item.start, live.timeZone)],
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
