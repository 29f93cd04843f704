/* global clearTimeout -- the browser's */
// The orders list and the exception queue follow the city's cells (the live map's sockets,
// GET /v1/admin/cells/{cell}/live): when an order enters, changes in or leaves a cell's open set,
// the screen reloads (once for a burst of changes) instead of waiting to be reloaded by hand.
import { useEffect, useRef, useState } from "preact/hooks";
import { createCellFeed } from "./cell-feed.js";

/** A city with more cells than this is not followed (the screens can still be reloaded by hand). */
const MAX_CELLS = 64;
const SETTLE_MS = 300;

/**
 * Calls `onChange(orderIds)` (a Set) shortly after orders of the city's `cells` change, and after a
 * socket that dropped is back (what changed meanwhile is unknown: an empty set). The number of open
 * sockets, for a "live" note.
 */
export function useOrderChanges(cells, onChange) {
  const [open, setOpen] = useState(0);
  const saved = useRef(onChange);
  saved.current = onChange;
  const key = (cells ?? []).join(",");
  useEffect(() => {
    const list = cells ?? [];
    if (list.length === 0 || list.length > MAX_CELLS) return undefined;
    let pending = null;
    let timer = null;
    const seen = new Set();
    const flush = () => {
      timer = null;
      const ids = pending;
      pending = null;
      saved.current(ids);
    };
    const feed = createCellFeed({
      onFrame: (cell, frame) => {
        let ids = [];
        if (frame.type === "snapshot") {
          // The first snapshot is what the screen loaded already; a later one follows a reconnection.
          if (!seen.has(cell)) {
            seen.add(cell);
            return;
          }
        } else {
          ids = [...frame.orders.map((o) => o.id), ...frame.closedOrders];
          if (ids.length === 0) return;
        }
        pending ??= new Set();
        for (const id of ids) pending.add(id);
        if (timer === null) timer = setTimeout(flush, SETTLE_MS);
      },
      onChange: setOpen,
    });
    feed.watch(list);
    return () => {
      clearTimeout(timer);
      feed.close();
      setOpen(0);
    };
  }, [key]);
  return open;
}
