/* global WebSocket, clearTimeout -- the browser's */
// Sockets on the cells of the live map (GET /v1/admin/cells/{cell}/live): one per cell followed, each
// opened with a single-use ticket. `watch(cells)` opens those not yet open and closes the rest; a
// socket that drops is opened again after a pause. Every frame goes to `onFrame(cell, frame)` (a
// `snapshot` first, then `delta`s); `onChange(openCount)` whenever a socket opens or closes.
import { api } from "./api.js";

const RETRY_MS = 5_000;
const PING_MS = 30_000;

export function createCellFeed({ onFrame, onChange }) {
  const conns = new Map();
  let stopped = false;

  const openCount = () => [...conns.values()].filter((c) => c.open).length;
  const changed = () => onChange?.(openCount());

  function connect(cell) {
    const conn = { cell, ws: null, open: false, retry: null, ping: null, closed: false };
    conns.set(cell, conn);
    const again = () => {
      if (!conn.closed && !stopped) conn.retry = setTimeout(start, RETRY_MS);
    };
    async function start() {
      try {
        const { ticket } = await api(`/v1/admin/cells/${cell}/live/ticket`, { method: "POST" });
        if (conn.closed || stopped) return;
        const scheme = location.protocol === "https:" ? "wss" : "ws";
        const ws = new WebSocket(`${scheme}://${location.host}/v1/admin/cells/${cell}/live?ticket=${encodeURIComponent(ticket)}`);
        conn.ws = ws;
        ws.onopen = () => {
          conn.open = true;
          conn.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"ping"}'), PING_MS);
          changed();
        };
        ws.onmessage = (e) => {
          try {
            const frame = JSON.parse(e.data);
            if (frame?.type === "snapshot" || frame?.type === "delta") onFrame(cell, frame);
          } catch {
            // not JSON: ignored
          }
        };
        ws.onclose = () => {
          const was = conn.open;
          conn.open = false;
          conn.ws = null;
          clearInterval(conn.ping);
          if (was) changed();
          again();
        };
      } catch {
        again();
      }
    }
    start();
  }

  function disconnect(conn) {
    conn.closed = true;
    clearTimeout(conn.retry);
    clearInterval(conn.ping);
    conns.delete(conn.cell);
    const was = conn.open;
    conn.open = false;
    conn.ws?.close(1000, "out of view");
    if (was) changed();
  }

  return {
    /** Follows exactly `cells` (an iterable of H3 indexes). */
    watch(cells) {
      const want = new Set(cells);
      for (const conn of [...conns.values()]) if (!want.has(conn.cell)) disconnect(conn);
      for (const cell of want) if (!conns.has(cell)) connect(cell);
    },
    cells: () => [...conns.keys()],
    openCount,
    close() {
      stopped = true;
      for (const conn of [...conns.values()]) disconnect(conn);
    },
  };
}
