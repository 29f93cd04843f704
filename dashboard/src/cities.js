// Cities: create one (name, time zone, centre, radius: the H3 cells it covers) and rename it. The
// area and time zone of a city stay once made (calendars and orders keep them).
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, num } from "./forms.js";
import { html, useApp, useAsync, Loading, ListTable } from "./ui.js";

export function Cities() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/cities"), []);
  const [editing, setEditing] = useState(null);
  return html`<section data-screen="cities">
    <h2>${t("cities")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable} items=${list.data.items} heads=${[t("name"), t("timeZone"), t("cellsCount"), ""]} testid="cities-table"
          >${(c) =>
            html`<tr key=${c.id} data-city=${c.id}>
              <td>
                ${c.name}
                <div class="muted small mono">${c.id}</div>
              </td>
              <td>${c.timeZone}</td>
              <td class="num">${c.cells.length}</td>
              <td>
                ${
                  editing === c.id
                    ? html`<${Form}
                        testid="city-rename"
                        fields=${[{ key: "name", label: t("name") }]}
                        initial=${{ name: c.name }}
                        submit=${(v) => api(`/v1/admin/cities/${c.id}`, { method: "PATCH", body: { name: v.name } })}
                        onDone=${() => {
                          setEditing(null);
                          list.reload();
                        }}
                      />`
                    : html`<button class="link" onClick=${() => setEditing(c.id)} data-testid=${`edit-city-${c.id}`}>${t("edit")}</button>`
                }
              </td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("newCity")}</h3>
    <p class="muted small">${t("newCityHint")}</p>
    <${Form}
      testid="city-create"
      reset
      submitLabel=${t("create")}
      fields=${[
        { key: "name", label: t("name") },
        { key: "timeZone", label: t("timeZone"), attrs: { placeholder: "Asia/Shanghai" } },
        { key: "lat", label: t("latitude"), path: "body.center.lat", attrs: { inputmode: "decimal" } },
        { key: "lng", label: t("longitude"), path: "body.center.lng", attrs: { inputmode: "decimal" } },
        { key: "radiusKm", label: t("radiusKm"), attrs: { inputmode: "decimal" } },
      ]}
      initial=${{ timeZone: "Asia/Shanghai" }}
      submit=${(v) =>
        api("/v1/admin/cities", {
          method: "POST",
          body: { name: v.name, timeZone: v.timeZone, center: { lat: num(v.lat), lng: num(v.lng) }, radiusKm: num(v.radiusKm) },
        })}
      onDone=${list.reload}
    />
  </section>`;
}
