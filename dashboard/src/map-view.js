/* global requestAnimationFrame, cancelAnimationFrame, ResizeObserver -- the browser's */
// The map's own pan-and-zoom view when no basemap drives it: the same small interface as the
// basemap's (`project`, `unproject`, `onMove`, `bounds`, `destroy`), so the layers drawn on it do not
// care which one moves the map. Mouse: drag to pan, wheel to zoom. Touch: one finger pans, two pinch.
// A tap (pointer down and up without moving) goes to `onTap(x, y, event)`.

const TILE = 256;
const MIN_ZOOM = 3;
const MAX_ZOOM = 19;
const TAP_SLOP_PX = 6;

/** Pixels per degree of longitude at `zoom` (web-map zoom levels: 256 px tiles, doubling per level). */
const pxPerDegree = (zoom) => (TILE * 2 ** zoom) / 360;

/**
 * A view over `container` centred at `center` ({lat, lng}) at `zoom`. Near one city the map is drawn
 * equirectangular, latitude stretched by 1/cos(latitude of the first centre), as web maps are there.
 */
export function createPanZoomView(container, { center, zoom }) {
  let c = { ...center };
  let z = zoom;
  const k = Math.cos((center.lat * Math.PI) / 180);
  const listeners = new Set();
  let frame = 0;
  const size = () => ({ w: container.clientWidth || 1, h: container.clientHeight || 1 });

  const emit = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      for (const cb of listeners) cb();
    });
  };

  const view = {
    project(lat, lng) {
      const { w, h } = size();
      const s = pxPerDegree(z);
      return { x: w / 2 + (lng - c.lng) * s, y: h / 2 - ((lat - c.lat) * s) / k };
    },
    unproject(x, y) {
      const { w, h } = size();
      const s = pxPerDegree(z);
      return { lat: c.lat - ((y - h / 2) * k) / s, lng: c.lng + (x - w / 2) / s };
    },
    /** Calls `cb` (at most once a frame) whenever the view moves or is resized; returns the unsubscribe. */
    onMove(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    bounds() {
      const { w, h } = size();
      const nw = view.unproject(0, 0);
      const se = view.unproject(w, h);
      return { north: nw.lat, south: se.lat, west: nw.lng, east: se.lng };
    },
    zoom: () => z,
    center: () => ({ ...c }),
    /** Moves the view so `to` is in the middle (at `zoom` when given). */
    setCenter(to, zoomTo = z) {
      c = { lat: to.lat, lng: to.lng };
      z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoomTo));
      emit();
    },
    /** Shows the whole box {north, south, east, west} with `padPx` around it. */
    fit(box, padPx = 20) {
      const { w, h } = size();
      const s = Math.min(
        (w - 2 * padPx) / Math.max(1e-9, box.east - box.west),
        ((h - 2 * padPx) * k) / Math.max(1e-9, box.north - box.south),
      );
      view.setCenter({ lat: (box.north + box.south) / 2, lng: (box.east + box.west) / 2 }, Math.log2((s * 360) / TILE));
    },
    /** Zooms by `factor` (>1: in) keeping the point under (x, y) where it is. */
    zoomAt(factor, x, y) {
      const before = view.unproject(x, y);
      z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z + Math.log2(factor)));
      const after = view.unproject(x, y);
      c = { lat: c.lat + before.lat - after.lat, lng: c.lng + before.lng - after.lng };
      emit();
    },
    panBy(dx, dy) {
      const s = pxPerDegree(z);
      c = { lat: c.lat + (dy * k) / s, lng: c.lng - dx / s };
      emit();
    },
    onTap: null,
    destroy() {
      listeners.clear();
      if (frame) cancelAnimationFrame(frame);
      container.removeEventListener("pointerdown", down);
      container.removeEventListener("pointermove", move);
      container.removeEventListener("pointerup", up);
      container.removeEventListener("pointercancel", up);
      container.removeEventListener("wheel", wheel);
      container.removeEventListener("click", swallow, true);
      resize.disconnect();
    },
  };

  // ---- pointer input: pan with one pointer, pinch with two ----
  const pointers = new Map();
  let gesture = null;
  let moved = false;
  let swallowNextClick = false;
  const local = (e) => {
    const r = container.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const pinch = () => {
    const [a, b] = [...pointers.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  };
  function down(e) {
    if (e.button !== undefined && e.button > 0) return;
    swallowNextClick = false;
    pointers.set(e.pointerId, local(e));
    if (pointers.size === 1) {
      moved = false;
      gesture = { start: local(e) };
    } else if (pointers.size === 2) {
      moved = true;
      gesture = { pinch: pinch() };
    }
  }
  function move(e) {
    if (!pointers.has(e.pointerId)) return;
    const prev = pointers.get(e.pointerId);
    const p = local(e);
    pointers.set(e.pointerId, p);
    if (pointers.size >= 2 && gesture?.pinch) {
      const now = pinch();
      view.zoomAt(now.d / gesture.pinch.d, now.x, now.y);
      view.panBy(now.x - gesture.pinch.x, now.y - gesture.pinch.y);
      gesture.pinch = now;
      return;
    }
    if (!moved && gesture?.start && Math.hypot(p.x - gesture.start.x, p.y - gesture.start.y) > TAP_SLOP_PX) {
      moved = true;
      container.setPointerCapture?.(e.pointerId);
    }
    if (moved) view.panBy(p.x - prev.x, p.y - prev.y);
  }
  function up(e) {
    if (!pointers.has(e.pointerId)) return;
    const p = local(e);
    pointers.delete(e.pointerId);
    if (pointers.size === 0) {
      if (moved) swallowNextClick = true;
      else if (e.type === "pointerup" && view.onTap?.(p.x, p.y, e)) swallowNextClick = true;
      gesture = null;
    } else if (pointers.size === 1) {
      const [only] = pointers.values();
      gesture = { start: only };
    }
  }
  // A drag or a tap the map took ends in a click on whatever lies under the pointer: not for it.
  function swallow(e) {
    if (!swallowNextClick) return;
    swallowNextClick = false;
    e.stopPropagation();
    e.preventDefault();
  }
  function wheel(e) {
    e.preventDefault();
    const p = local(e);
    view.zoomAt(e.deltaY > 0 ? 1 / 1.2 : 1.2, p.x, p.y);
  }
  container.addEventListener("pointerdown", down);
  container.addEventListener("pointermove", move);
  container.addEventListener("pointerup", up);
  container.addEventListener("pointercancel", up);
  container.addEventListener("wheel", wheel, { passive: false });
  container.addEventListener("click", swallow, true);
  const resize = new ResizeObserver(emit);
  resize.observe(container);
  return view;
}
