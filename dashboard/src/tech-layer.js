/* global requestAnimationFrame, devicePixelRatio, performance, Path2D -- the browser's */
// Technicians on a <canvas> over the map: thousands of dots drawn in one requestAnimationFrame,
// only when something changed (a move, a zoom, a new position), and only those inside the view.
// A technician that reports a new position glides there. Works against any view with
// `project(lat, lng)`, `onMove(cb)` and `bounds()` (the map's own pan/zoom view, or a basemap).

const GLIDE_MS = 400;
const RADIUS = 5;
const HIT_PX = 10;
const COLORS = { online: "#16a34a", busy: "#f59e0b", offline: "#94a3b8" };

/**
 * Draws onto `canvas` (sized to its parent) through `view`. `set(list)` replaces the technicians,
 * `upsert(list)` changes some; each is `{ id, state, position: { lat, lng } }`. `hit(x, y)` is the
 * technician under a point, `markerOf(id)` where one is drawn (CSS pixels; also on the element, for
 * tooling and tests).
 */
export function createTechLayer(canvas, view) {
  const markers = new Map();
  let selected = null;
  let dirty = true;
  let frame = 0;
  let destroyed = false;

  const now = () => performance.now();
  const schedule = () => {
    dirty = true;
    if (!frame && !destroyed) frame = requestAnimationFrame(draw);
  };

  function place(m, t) {
    const age = Math.min(1, (t - m.t0) / GLIDE_MS);
    return { lat: m.from.lat + (m.to.lat - m.from.lat) * age, lng: m.from.lng + (m.to.lng - m.from.lng) * age, moving: age < 1 };
  }

  function draw() {
    frame = 0;
    if (!dirty || destroyed) return;
    dirty = false;
    const ratio = typeof devicePixelRatio === "number" ? devicePixelRatio : 1;
    const w = canvas.parentElement?.clientWidth ?? canvas.clientWidth;
    const h = canvas.parentElement?.clientHeight ?? canvas.clientHeight;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const b = view.bounds();
    // a margin of a marker's size, so dots at the edge are not cut off as they enter
    const padLat = (b.north - b.south) * 0.02;
    const padLng = (b.east - b.west) * 0.02;
    const t = now();
    const paths = { offline: new Path2D(), online: new Path2D(), busy: new Path2D() };
    let animating = false;
    let drawn = 0;
    for (const m of markers.values()) {
      const at = place(m, t);
      if (at.moving) animating = true;
      if (at.lat > b.north + padLat || at.lat < b.south - padLat || at.lng < b.west - padLng || at.lng > b.east + padLng) {
        m.screen = null;
        continue;
      }
      const p = view.project(at.lat, at.lng);
      m.screen = p;
      const path = paths[m.state] ?? paths.offline;
      path.moveTo(p.x + RADIUS, p.y);
      path.arc(p.x, p.y, RADIUS, 0, Math.PI * 2);
      drawn += 1;
    }
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#ffffff";
    for (const state of ["offline", "online", "busy"]) {
      ctx.fillStyle = COLORS[state];
      ctx.fill(paths[state]);
      ctx.stroke(paths[state]);
    }
    const sel = selected && markers.get(selected);
    if (sel?.screen) {
      ctx.beginPath();
      ctx.arc(sel.screen.x, sel.screen.y, RADIUS + 4, 0, Math.PI * 2);
      ctx.strokeStyle = "#0b6bcb";
      ctx.lineWidth = 2.5;
      ctx.stroke();
    }
    canvas.dataset.drawn = String(drawn);
    if (animating) schedule();
  }

  function put(tech, t) {
    const old = markers.get(tech.id);
    const to = { lat: tech.position.lat, lng: tech.position.lng };
    if (!old) {
      markers.set(tech.id, { id: tech.id, state: tech.state, from: to, to, t0: t, screen: null });
      return;
    }
    old.state = tech.state;
    if (old.to.lat !== to.lat || old.to.lng !== to.lng) {
      old.from = place(old, t);
      old.to = to;
      old.t0 = t;
    }
  }

  const unsubscribe = view.onMove(schedule);
  const layer = {
    set(list) {
      const t = now();
      const keep = new Set(list.map((x) => x.id));
      for (const id of markers.keys()) if (!keep.has(id)) markers.delete(id);
      for (const tech of list) put(tech, t);
      schedule();
    },
    upsert(list) {
      const t = now();
      for (const tech of list) put(tech, t);
      schedule();
    },
    remove(ids) {
      for (const id of ids) markers.delete(id);
      schedule();
    },
    select(id) {
      selected = id;
      schedule();
    },
    /** The technician drawn nearest to (x, y), within a finger's reach; null when none. */
    hit(x, y) {
      let best = null;
      let bestD = HIT_PX;
      for (const m of markers.values()) {
        if (!m.screen) continue;
        const d = Math.hypot(m.screen.x - x, m.screen.y - y);
        if (d <= bestD) {
          best = m.id;
          bestD = d;
        }
      }
      return best;
    },
    markerOf(id) {
      const m = markers.get(id);
      if (!m) return null;
      const at = place(m, now());
      const p = view.project(at.lat, at.lng);
      return { x: p.x, y: p.y, lat: at.lat, lng: at.lng, state: m.state };
    },
    redraw: schedule,
    destroy() {
      destroyed = true;
      unsubscribe();
      delete canvas.markerOf;
    },
  };
  canvas.markerOf = layer.markerOf;
  return layer;
}
