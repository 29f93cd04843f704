// Operate: the daily D1 backups in R2 (size, status, download) and a city cell's calendar and presence export.
import { useState } from "preact/hooks";
import { api, download } from "./api.js";
import { html, useApp, useAsync, Loading, Action, ListTable, when } from "./ui.js";

/** Bytes as B, KB, MB or GB (1024-based). */
export function size(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

export function Operate() {
  const { t } = useApp();
  return html`<section>
    <h1>${t("operate")}</h1>
    <${Backups} />
    <${CellExport} />
  </section>`;
}

function Backups() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/admin/backups"), []);
  return html`<div>
    <h2>${t("backups")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<p class="muted" data-testid="backup-retention">${t("backupsHelp").replace("{days}", String(list.data.retentionDays))}</p>
          <${ListTable}
            items=${list.data.items}
            testid="backups"
            heads=${[t("backupDate"), t("backupStatus"), { label: t("backupTables"), num: true }, { label: t("backupRows"), num: true }, { label: t("backupSize"), num: true }, t("backupFinished"), ""]}
          >
            ${(b) =>
              html`<tr data-backup=${b.date} data-status=${b.status}>
                <td class="mono">${b.date}</td>
                <td>${b.status === "complete" ? t("backupComplete") : t("backupRunning")}</td>
                <td class="num">${b.tables}</td>
                <td class="num">${b.rows}</td>
                <td class="num" data-testid="backup-size">${size(b.bytes)}</td>
                <td>${b.finishedAt ? when(b.finishedAt, "UTC") : ""}</td>
                <td>
                  ${
                    b.status === "complete" &&
                    html`<${Action}
                      label=${t("download")}
                      testid="backup-download"
                      run=${() => download(`/v1/admin/backups/${b.date}/download`, `doorstep-d1-${b.date}.sql`)}
                    />`
                  }
                </td>
              </tr>`}
          <//>`}<//
    >
  </div>`;
}

function CellExport() {
  const { t, cityId } = useApp();
  const live = useAsync(() => api(`/v1/admin/cities/${cityId}/live?hours=1`), [cityId]);
  const [cell, setCell] = useState("");
  return html`<div>
    <h2>${t("cellExport")}</h2>
    <p class="muted">${t("cellExportHelp")}</p>
    <${Loading} state=${live}
      >${() => {
        const cells = live.data.cells.map((c) => c.id);
        const chosen = cells.includes(cell) ? cell : cells[0];
        if (!chosen) return html`<p class="muted">${t("empty")}</p>`;
        const path = (format) => `/v1/admin/cells/${chosen}/export?format=${format}`;
        return html`<div class="filters">
          <label
            >${t("cell")}
            <select name="cell" value=${chosen} onChange=${(e) => setCell(e.currentTarget.value)}>
              ${cells.map((c) => html`<option value=${c}>${c}</option>`)}
            </select></label
          >
          <${Action} label=${t("exportJson")} testid="cell-export-json" run=${() => download(path("json"), `cell-${chosen}.json`)} />
          <${Action} label=${t("csv")} testid="cell-export-csv" run=${() => download(path("csv"), `cell-${chosen}.csv`)} />
        </div>`;
      }}<//
    >
  </div>`;
}
