// A city's surge settings (operators and admins; the API refuses merchant admins): surge pricing (the
// surcharge line on quotes in surging cells, within the deployment's caps) and surge notices to
// technicians (on or off, how many rings of neighbouring cells, the cooldown). Each part is saved on
// its own (PUT with that part only; a part left out keeps what is in force); the server validates.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, fen, num } from "./forms.js";
import { html, useApp, useAsync, Loading, money, hundredthsText } from "./ui.js";

const RINGS = [0, 1, 2, 3];

export function SurgeSettings() {
  const { t, city, cityId } = useApp();
  const state = useAsync(() => api(`/v1/admin/cities/${cityId}/surge-settings`), [cityId]);
  const [saved, setSaved] = useState(null);
  const put = (body) => {
    setSaved(null);
    return api(`/v1/admin/cities/${cityId}/surge-settings`, { method: "PUT", body });
  };
  const done = (part) => () => {
    setSaved(part);
    state.reload();
  };
  return html`<section class="card" data-testid="surge-settings" data-city=${cityId}>
    <h2>${t("sg_title").replace("{city}", city?.name ?? "")}</h2>
    <p class="muted small">${t("sg_hint")}</p>
    <${Loading} state=${state}
      >${() => {
        const { pricing, notify, caps } = state.data;
        return html`<div class="two-col">
          <div>
            <h3>${t("sg_pricing")}</h3>
            <p class="muted small" data-testid="surge-caps">
              ${t("sg_caps").replace("{percent}", String(caps.maxPercent)).replace("{amount}", money(caps.maxAmount))}
            </p>
            <${Form}
              key=${JSON.stringify(pricing)}
              testid="surge-pricing"
              fields=${[
                { key: "enabled", type: "checkbox", label: t("sg_pricingEnabled"), path: "body.pricing.enabled" },
                { key: "percent", label: t("sg_percent"), path: "body.pricing.percent", attrs: { inputmode: "numeric" } },
                { key: "maxAmount", label: t("sg_maxAmount"), path: "body.pricing.maxAmount", attrs: { inputmode: "decimal" } },
              ]}
              initial=${{ enabled: pricing.enabled, percent: String(pricing.percent), maxAmount: hundredthsText(pricing.maxAmount) }}
              submit=${(v) => put({ pricing: { enabled: v.enabled, percent: num(v.percent), maxAmount: fen(v.maxAmount) } })}
              onDone=${done("pricing")}
            />
          </div>
          <div>
            <h3>${t("sg_notify")}</h3>
            <p class="muted small">${t("sg_notifyHint")}</p>
            <${Form}
              key=${JSON.stringify(notify)}
              testid="surge-notify"
              fields=${[
                { key: "enabled", type: "checkbox", label: t("sg_notifyEnabled"), path: "body.notify.enabled" },
                {
                  key: "ring",
                  type: "select",
                  label: t("sg_ring"),
                  path: "body.notify.ring",
                  options: RINGS.map((r) => [String(r), t(`sg_ring${r}`)]),
                },
                { key: "cooldownMinutes", label: t("sg_cooldown"), path: "body.notify.cooldownMinutes", attrs: { inputmode: "numeric" } },
              ]}
              initial=${{ enabled: notify.enabled, ring: String(notify.ring), cooldownMinutes: String(notify.cooldownMinutes) }}
              submit=${(v) => put({ notify: { enabled: v.enabled, ring: Number(v.ring), cooldownMinutes: num(v.cooldownMinutes) } })}
              onDone=${done("notify")}
            />
          </div>
        </div>`;
      }}<//
    >
    ${saved && html`<p class="ok-note" role="status" data-testid="surge-saved">${t("sg_saved")}</p>`}
  </section>`;
}
