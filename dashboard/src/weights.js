// The dispatch weights, editable by operators (validated by the server, audited); "reset" goes back
// to the deployment's DISPATCH_WEIGHTS. Merchant admins see them read-only.
import { api } from "./api.js";
import { Form, num } from "./forms.js";
import { html, useApp, Action } from "./ui.js";

export const WEIGHT_KEYS = ["travel", "rating", "load", "fairness", "acceptance", "favourite", "level"];

export function WeightsEditor({ settings, onChanged }) {
  const { t, isPlatform } = useApp();
  const source = html`<p class="muted small" data-testid="weights-source">
    ${settings.weightsSource === "setting" ? t("weightsFromSetting") : t("weightsFromDeployment")}
  </p>`;
  if (!isPlatform) return source;
  return html`${source}
    <${Form}
      key=${JSON.stringify(settings.weights)}
      testid="weights-edit"
      fields=${WEIGHT_KEYS.map((k) => ({ key: k, label: t(`weight_${k}`), attrs: { inputmode: "decimal" } }))}
      initial=${Object.fromEntries(WEIGHT_KEYS.map((k) => [k, String(settings.weights[k] ?? 0)]))}
      submit=${(v) =>
        api("/v1/admin/settings/dispatch/weights", { method: "PUT", body: Object.fromEntries(WEIGHT_KEYS.map((k) => [k, num(v[k])])) })}
      onDone=${onChanged}
    />
    ${
      settings.weightsSource === "setting" &&
      html`<${Action}
        label=${t("weightsReset")}
        run=${async () => {
          await api("/v1/admin/settings/dispatch/weights", { method: "DELETE" });
          onChanged();
        }}
        testid="weights-reset"
      />`
    }`;
}
