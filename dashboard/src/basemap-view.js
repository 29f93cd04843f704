// The live map's view when a basemap draws under it: the interface of createPanZoomView (map-view.js)
// over the basemap's camera, so the technicians' canvas, the SVG cells and pins, search centring and
// the zoom buttons follow the basemap. Dragging, the wheel and pinching are the basemap's own.

/**
 * @param {Awaited<ReturnType<typeof import("./basemap.js").mountBasemap>>} basemap a mounted basemap (not null)
 */
export function createBasemapView(basemap) {
  const offs = new Set();
  const view = {
    project: (lat, lng) => basemap.project(lat, lng),
    unproject: (x, y) => basemap.unproject(x, y),
    /** Calls `cb` whenever the basemap moves, zooms or resizes; returns the unsubscribe. */
    onMove(cb) {
      const off = basemap.onMove(() => cb());
      offs.add(off);
      return () => {
        off();
        offs.delete(off);
      };
    },
    bounds: () => basemap.bounds(),
    zoom: () => basemap.zoom(),
    center: () => basemap.center(),
    setCenter(to, zoomTo) {
      basemap.jumpTo(to, zoomTo);
    },
    fit(box, padPx = 20) {
      basemap.fitBox(box, padPx);
    },
    /** Zooms by `factor` (>1: in) keeping the point under (x, y) where it is. */
    zoomAt(factor, x, y) {
      basemap.zoomAround(Math.log2(factor), x, y);
    },
    panBy(dx, dy) {
      const c = basemap.project(basemap.center().lat, basemap.center().lng);
      basemap.jumpTo(basemap.unproject(c.x - dx, c.y - dy));
    },
    onTap: null,
    /** Lets go of the basemap's events; the basemap itself is destroyed by whoever mounted it. */
    destroy() {
      offClick();
      for (const off of offs) off();
      offs.clear();
    },
  };
  const offClick = basemap.onClick((x, y, e) => view.onTap?.(x, y, e));
  return view;
}
