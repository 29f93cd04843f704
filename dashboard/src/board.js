// The dispatcher's board: a Gantt of one cell's day, rows are technicians, x is time in the city's
// zone (the local clock, daylight-saving days included). Shifts are the light bands, jobs the blocks, the travel each job needs after the previous
// one is drawn before it (red when it does not fit). Drag a block, or a job of the side list, onto a
// technician and a time: the cell checks the move (POST /v1/admin/cells/{cellId}/moves); a refusal
// is shown in the user's language and the block goes back. Pointer events, so touch works too.
// "Neighbouring cells" adds the technicians homed in the six cells around (labelled as from another
// cell): a job dropped on them moves across cells, all or nothing.
import { useRef, useState } from "preact/hooks";
import { api } from "./api.js";
import { instantOfLocal, localMinutesOfDay } from "./local-time.js";
import { html, useApp, useAsync, ErrorNote, Loading, localName, today } from "./ui.js";

/** The hours the board shows (local), and its scale. */
const FIRST_HOUR = 6;
const LAST_HOUR = 22;
const PX_PER_MIN = 1;
/** Drops snap to this many minutes. */
const SNAP_MIN = 15;

const hhmm = (iso, timeZone) =>
  new Intl.DateTimeFormat("zh-CN", { timeZone, hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(iso));

export function Board({ initialCell }) {
  const { t, lang, city } = useApp();
  const cells = city.cells ?? [];
  const [cellId, setCellId] = useState(initialCell && cells.includes(initialCell) ? initialCell : (cells[0] ?? ""));
  const [date, setDate] = useState(today(city.timeZone, 0));
  const [note, setNote] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [neighbours, setNeighbours] = useState(false);
  const board = useAsync(
    () => (cellId ? api(`/v1/admin/board?cellId=${cellId}&date=${date}${neighbours ? "&neighbours=true" : ""}`) : Promise.resolve(null)),
    [cellId, date, neighbours],
  );

  /** Sends one move; the board reloads after an answer either way (a refusal leaves it as it was). */
  const move = async (job, technicianId, start) => {
    const duration = Date.parse(job.end) - Date.parse(job.start);
    setError(null);
    setNote(null);
    setBusy(true);
    try {
      await api(`/v1/admin/cells/${cellId}/moves`, {
        method: "POST",
        body: {
          moves: [
            { orderId: job.orderId, technicianId, start: new Date(start).toISOString(), end: new Date(start + duration).toISOString() },
          ],
        },
      });
      setNote(t("bd_moved"));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      board.reload();
    }
  };

  return html`<section data-screen="board">
    <h2>${t("bd_title")}</h2>
    <p class="muted">${t("bd_hint")}</p>
    <div class="toolbar">
      <label
        >${t("bd_cell")}
        <select value=${cellId} onChange=${(e) => setCellId(e.currentTarget.value)} data-testid="board-cell">
          ${cells.map((c) => html`<option value=${c}>${c}</option>`)}
        </select></label
      >
      <label
        >${t("bd_date")} <input type="date" value=${date} onChange=${(e) => setDate(e.currentTarget.value)} data-testid="board-date"
      /></label>
      <label
        ><input
          type="checkbox"
          checked=${neighbours}
          onChange=${(e) => setNeighbours(e.currentTarget.checked)}
          data-testid="board-neighbours"
        />
        ${t("bd_neighbours")}</label
      >
    </div>
    ${note && html`<p class="ok" role="status" data-testid="board-note">${note}</p>`}
    <div data-testid="board-error"><${ErrorNote} error=${error} /></div>
    <${Loading} state=${board}
      >${() => (board.data ? html`<${Gantt} board=${board.data} lang=${lang} t=${t} busy=${busy} onMove=${move} />` : null)}<//
    >
  </section>`;
}

function Gantt({ board, lang, t, busy, onMove }) {
  const axisStart = FIRST_HOUR * 60;
  const width = (LAST_HOUR - FIRST_HOUR) * 60 * PX_PER_MIN;
  // Positions follow the local clock (right on a day with a daylight-saving change too).
  const x = (iso) => (localMinutesOfDay(Date.parse(iso), board.date, board.timeZone) - axisStart) * PX_PER_MIN;
  const [drag, setDrag] = useState(null);
  const root = useRef(null);

  /** The technician row and the snapped start under a point, or null. */
  const dropAt = (clientX, clientY) => {
    const track = document.elementFromPoint(clientX, clientY)?.closest("[data-track]");
    if (!track) return null;
    const box = track.getBoundingClientRect();
    const minutes = axisStart + (clientX - box.left) / PX_PER_MIN;
    const snapped = Math.round(minutes / SNAP_MIN) * SNAP_MIN;
    return { technicianId: track.getAttribute("data-track"), start: instantOfLocal(board.date, snapped, board.timeZone) };
  };

  const grab = (job, offsetMinutes) => (e) => {
    if (busy) return;
    e.preventDefault();
    setDrag({ job, x0: e.clientX, y0: e.clientY, dx: 0, dy: 0, offsetMinutes });
  };
  const follow = (e) => drag && setDrag({ ...drag, dx: e.clientX - drag.x0, dy: e.clientY - drag.y0 });
  const drop = (e) => {
    if (!drag) return;
    const d = drag;
    setDrag(null);
    if (Math.abs(d.dx) + Math.abs(d.dy) < 4) return; // a click, not a drag
    const target = dropAt(e.clientX - d.offsetMinutes * PX_PER_MIN, e.clientY);
    if (target) onMove(d.job, target.technicianId, target.start);
  };
  // Where the pointer took hold of the block, in minutes from its start (so the block lands where it is shown).
  const holdOffset = (e, job) => {
    const box = e.currentTarget.getBoundingClientRect();
    return job.onRow ? (e.clientX - box.left) / PX_PER_MIN : 0;
  };
  const dragged = (job) => drag && drag.job.orderId === job.orderId;
  const moveStyle = (job) =>
    dragged(job) ? `transform: translate(${drag.dx}px, ${drag.dy}px); z-index: 5; opacity: 0.85; pointer-events: none;` : "";

  /** One technician's row: shifts, travel gaps and jobs (`homeCell` set: homed in a neighbouring cell). */
  const row = (tech) =>
    html`<div
      class=${`board-row${tech.homeCell ? " other-cell" : ""}`}
      key=${tech.id}
      data-tech=${tech.id}
      data-home-cell=${tech.homeCell ?? board.cellId}
    >
      <div class="board-label">
        <b>${tech.name}</b>
        ${tech.homeCell && html`<small class="muted" data-testid=${`other-cell-${tech.id}`} title=${tech.homeCell}> ${t("bd_otherCell")}</small>`}
        <small class=${tech.online ? "ok" : "muted"}> ${tech.online ? t("bd_online") : t("bd_offline")}</small>
        ${tech.runningLate && html`<small class="error" data-testid=${`late-${tech.id}`}> ${t("bd_runningLate")}</small>`}
      </div>
      <div
        class="board-track"
        data-track=${tech.id}
        data-axis-start=${axisStart}
        data-px-per-min=${PX_PER_MIN}
        data-day-start=${board.from}
        style=${`width:${width}px`}
      >
        ${tech.shifts.map((s) => html`<div class="board-shift" title=${t("bd_shift")} style=${`left:${x(s.start)}px;width:${x(s.end) - x(s.start)}px`}></div>`)}
        ${tech.gaps.map((g) => {
          const next = tech.jobs.find((j) => j.orderId === g.toOrderId);
          if (!next) return null;
          return html`<div
            class=${`board-gap${g.risk ? " risk" : ""}`}
            title=${`${t("bd_travel")} ${g.minutes} ${t("bd_minutes")} / ${g.availableMinutes} ${t("bd_minutes")}`}
            style=${`left:${x(next.start) - g.minutes * PX_PER_MIN}px;width:${g.minutes * PX_PER_MIN}px`}
          ></div>`;
        })}
        ${tech.jobs.map((job) => {
          const j = { ...job, onRow: true };
          const movable = ["confirmed", "dispatching", "assigned", "accepted"].includes(job.status);
          return html`<div
            class=${`board-job s-${job.status}${job.risk ? " risk" : ""}${movable ? " movable" : ""}`}
            key=${job.orderId}
            data-order=${job.orderId}
            data-start=${job.start}
            title=${`${localName(job.service, lang)} · ${hhmm(job.start, board.timeZone)}–${hhmm(job.end, board.timeZone)} · ${t.status(job.status)}`}
            style=${`left:${x(job.start)}px;width:${Math.max(8, x(job.end) - x(job.start))}px;${moveStyle(job)}`}
            onPointerDown=${movable ? (e) => grab(j, holdOffset(e, j))(e) : undefined}
          >
            <span>${localName(job.service, lang)}</span>
            <small> ${hhmm(job.start, board.timeZone)}</small>
            ${job.risk && html`<small class="error"> ${t("bd_risk")}</small>`}
          </div>`;
        })}
      </div>
    </div>`;

  const hours = Array.from({ length: LAST_HOUR - FIRST_HOUR + 1 }, (_, i) => FIRST_HOUR + i);
  return html`<div
    class="board"
    ref=${root}
    onPointerMove=${follow}
    onPointerUp=${drop}
    onPointerCancel=${() => setDrag(null)}
    style="touch-action: none;"
  >
    <div class="board-main">
      <div class="board-row board-axis">
        <div class="board-label"></div>
        <div class="board-track" style=${`width:${width}px`}>
          ${hours.map((h) => html`<span class="board-hour" style=${`left:${(h * 60 - axisStart) * PX_PER_MIN}px`}>${String(h).padStart(2, "0")}:00</span>`)}
        </div>
      </div>
      ${board.technicians.length === 0 && html`<p class="muted">${t("bd_noTechnicians")}</p>`} ${board.technicians.map((tech) => row(tech))}
      ${(board.neighbours ?? []).length > 0 && html`<h3 class="board-neighbours">${t("bd_neighbourRows")}</h3>`}
      ${(board.neighbours ?? []).map((tech) => row(tech))}
    </div>
    <aside class="board-side">
      <h3>${t("bd_unassigned")}</h3>
      ${board.unassigned.length === 0 && html`<p class="muted">${t("bd_none")}</p>`}
      <ul class="plain">
        ${board.unassigned.map(
          (job) =>
            html`<li
              key=${job.orderId}
              class="board-job movable side"
              data-unassigned=${job.orderId}
              style=${moveStyle(job)}
              onPointerDown=${(e) => grab(job, 0)(e)}
            >
              <b>${localName(job.service, lang)}</b> <small>${hhmm(job.start, board.timeZone)}–${hhmm(job.end, board.timeZone)}</small
              ><br />
              <small class="muted">${t.status(job.status)}${job.exception ? ` · ${t.status(job.exception)}` : ""}</small>
            </li>`,
        )}
      </ul>
    </aside>
  </div>`;
}
