// Shared pieces: the htm binding, formatting, data hooks and small components.
import { h, createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api } from "./api.js";
import { instantOfLocal, offsetMinutes } from "./local-time.js";

export const html = htm.bind(h);

/** { t, lang, me, isPlatform, cities, cityId } for every screen. */
export const AppContext = createContext(null);
export const useApp = () => useContext(AppContext);

/** Integer minor units (分) to "¥123.45". */
export function money(m) {
  if (m === null || m === undefined) return "";
  const amount = typeof m === "number" ? m : m.amount;
  const currency = typeof m === "number" ? "CNY" : m.currency;
  const sign = currency === "CNY" ? "¥" : `${currency} `;
  return `${sign}${(amount / 100).toFixed(2)}`;
}

/** An instant shown in a time zone, "11-25 10:00". */
export function when(iso, timeZone) {
  if (!iso) return "";
  const d = new Date(iso);
  return new Intl.DateTimeFormat("zh-CN", {
    timeZone,
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(d);
}

export function localName(n, lang) {
  if (!n) return "";
  return typeof n === "string" ? n : (n[lang] ?? n.zh ?? n.en);
}

/** The skill catalogue, fetched once per page load and shared by every screen that names skills. */
let skillCatalogue = null;

/**
 * Skill labels by code in the interface language: `label(code)` is the catalogue's name (a code the
 * catalogue no longer has shows as itself, the only case a code is seen). `skills` is the load state.
 */
export function useSkillNames() {
  const { lang } = useApp();
  const skills = useAsync(() => {
    skillCatalogue ??= api("/v1/skills").catch((err) => {
      skillCatalogue = null; // a failed load is tried again by the next screen
      throw err;
    });
    return skillCatalogue;
  }, []);
  const names = new Map((skills.data?.items ?? []).map((s) => [s.code, localName(s.name, lang)]));
  return { skills, label: (code) => names.get(code) ?? code };
}

/** Loads `fn()` whenever `deps` change; `reload` runs it again. */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => mine === seq.current && setState({ loading: false, data, error: null }),
      (error) => mine === seq.current && setState({ loading: false, data: null, error }),
    );
  }, deps);
  useEffect(run, [run]);
  return { ...state, reload: run };
}

/** Runs `fn` every `ms` while the page is visible. */
export function useInterval(fn, ms) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    const id = setInterval(() => document.visibilityState === "visible" && saved.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}

export function ErrorNote({ error }) {
  const { t } = useApp();
  if (!error) return null;
  return html`<p class="error" role="alert">${t("errorPrefix")}${error.message}${error.code ? ` (${error.code})` : ""}</p>`;
}

export function Loading({ state, children }) {
  const { t } = useApp();
  if (state.error) return html`<${ErrorNote} error=${state.error} />`;
  if (state.loading && !state.data) return html`<p class="muted">${t("loading")}</p>`;
  return children();
}

export function Badge({ value, kind }) {
  const { t } = useApp();
  return html`<span class=${`badge ${kind ?? ""} s-${value}`}>${t.status(value)}</span>`;
}

export function Drawer({ title, onClose, children }) {
  const { t } = useApp();
  return html`<aside class="drawer" role="dialog" aria-label=${title}>
    <header>
      <h2>${title}</h2>
      <button class="ghost" onClick=${onClose} aria-label=${t("close")}>✕</button>
    </header>
    <div class="drawer-body">${children}</div>
  </aside>`;
}

/** A button whose click runs an async action, disabled while it runs, showing its error. */
export function Action({ label, run, kind = "", disabled = false, testid }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const click = async () => {
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="action"
    ><button class=${kind} disabled=${busy || disabled} onClick=${click} data-testid=${testid}>${label}</button
    ><${ErrorNote} error=${error}
  /></span>`;
}

/** The instant of local midnight of `date` (YYYY-MM-DD) in `timeZone`, as ISO 8601. */
export function zonedMidnight(date, timeZone) {
  const off = offsetMinutes(instantOfLocal(date, 0, timeZone), timeZone);
  const abs = Math.abs(off);
  return `${date}T00:00:00${off < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** Today's local date in a zone, YYYY-MM-DD. */
export function today(timeZone, plusDays = 0) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(Date.now() + plusDays * 86_400_000),
  );
}

/** "12.5" → 1250: a decimal with at most two places as an integer of hundredths (分, or basis points of a percentage); null when it is not one. */
export function toHundredths(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text));
  return m ? Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0")) : null;
}

/** 1250 → "12.50": hundredths as the decimal a person types. */
export const hundredthsText = (n) => (n === null || n === undefined ? "" : `${Math.floor(n / 100)}.${String(n % 100).padStart(2, "0")}`);

/**
 * The server's message for one field of a validation problem (`errors: [{ path, message }]`), or
 * undefined; with `exact`, not those of the fields inside it.
 */
export function fieldMessage(error, path, exact = false) {
  return (
    error?.body?.errors
      ?.filter((e) => e.path === path || (!exact && e.path.startsWith(`${path}.`)))
      .map((e) => e.message)
      .join("; ") || undefined
  );
}

/** A field's validation message under its input (data-error-for names the request path). */
export function FieldError({ error, path, exact }) {
  const message = fieldMessage(error, path, exact);
  return message ? html`<span class="field-error" data-error-for=${path}>${message}</span>` : null;
}

/**
 * A list as a table: "nothing here" when it is empty, else a scrolling table with these column
 * heads (a string, or `{ label, num }` for a right-aligned number) and a row per item from `children(item)`.
 */
export function ListTable({ items, heads, testid, children }) {
  const { t } = useApp();
  if (items.length === 0) return html`<p class="muted">${t("empty")}</p>`;
  return html`<div class="table-wrap">
    <table data-testid=${testid}>
      <thead>
        <tr>
          ${heads.map((h) => html`<th class=${h.num ? "num" : ""}>${h.label ?? h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${items.map(children)}
      </tbody>
    </table>
  </div>`;
}

/** A row of tabs; `value` is the chosen key. */
export function Tabs({ tabs, value, onChange }) {
  return html`<div class="tabs" role="tablist">
    ${tabs.map(
      ([key, label]) =>
        html`<button
          role="tab"
          aria-selected=${key === value}
          class=${key === value ? "on" : ""}
          onClick=${() => onChange(key)}
          data-tab=${key}
        >
          ${label}
        </button>`,
    )}
  </div>`;
}

/** A fresh Idempotency-Key for one deliberate action (a retry of the same click reuses it). */
export const newKey = () => crypto.randomUUID();
