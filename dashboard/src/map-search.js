// The search of the map and operations screens (GET /v1/admin/search): an order id, a technician's
// id or name, or a whole phone number (exact match only; the server audits every phone search).
// Choosing a result hands it to `onPick` (the map centres on it and opens it).
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, Badge, ErrorNote } from "./ui.js";

export function MapSearch({ onPick }) {
  const { t } = useApp();
  const [q, setQ] = useState("");
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e) => {
    e.preventDefault();
    const text = q.trim();
    if (!text) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api(`/v1/admin/search?q=${encodeURIComponent(text)}`);
      setResult(r);
      if (r.items.length === 1) choose(r.items[0]);
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const choose = (item) => {
    onPick(item);
    setResult(null);
  };

  return html`<form class="map-search" role="search" onSubmit=${submit}>
    <input
      type="search"
      name="q"
      value=${q}
      onInput=${(e) => setQ(e.currentTarget.value)}
      placeholder=${t("lm_searchPlaceholder")}
      aria-label=${t("lm_search")}
      maxlength="64"
    />
    <button type="submit" class="ghost" disabled=${busy} data-testid="map-search-go">${t("lm_search")}</button>
    ${error && html`<div class="map-search-results"><${ErrorNote} error=${error} /></div>`}
    ${
      result &&
      html`<div class="map-search-results" data-testid="map-search-results">
        ${result.match === "phone" && html`<p class="muted small">${t("lm_phoneAudited")}</p>`}
        ${
          result.items.length === 0
            ? html`<p class="muted">${t("lm_nothingFound")}</p>`
            : html`<ul>
                ${result.items.map(
                  (item) =>
                    html`<li key=${`${item.kind}:${item.id}`}>
                      <button type="button" class="ghost" data-result=${item.id} onClick=${() => choose(item)}>
                        ${item.kind === "technician" ? t("technician") : t("lm_order")} · ${item.label}
                        <${Badge} value=${item.status} />
                      </button>
                    </li>`,
                )}
              </ul>`
        }
      </div>`
    }
  </form>`;
}
