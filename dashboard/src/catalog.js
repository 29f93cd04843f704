// Catalog: services with prices, duration, skills, dispatch mode and cancellation policy (each
// editable through PATCH, the server's validation shown per field); categories; skills.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import {
  html,
  useApp,
  useAsync,
  Action,
  Badge,
  Drawer,
  ErrorNote,
  FieldError,
  Loading,
  hundredthsText,
  localName,
  money,
  toHundredths,
} from "./ui.js";

const UNITS = ["hour", "visit", "m2"];
const MODES = ["auto", "grab", "manual", "chosen"];

export function Catalog() {
  const { t, lang, isPlatform } = useApp();
  const services = useAsync(() => api("/v1/admin/services?limit=100"), []);
  const [editing, setEditing] = useState(null);
  const categories = useAsync(() => api("/v1/categories"), []);
  const skills = useAsync(() => api("/v1/skills"), []);
  const toggle = async (s) => {
    await api(`/v1/admin/services/${s.id}`, { method: "PATCH", body: { active: !s.active } });
    services.reload();
  };
  const policy = (p) =>
    p.tiers.map((tier) => `≥${tier.hoursBefore}${t("hoursBefore")} ${tier.refundPercent}%`).join(" · ") +
    ` · ${t("visitFee")} ${money(p.visitFee)}`;
  return html`<section>
    <h1>${t("catalog")}</h1>
    <${Loading} state=${services}
      >${() =>
        html`<div class="table-wrap">
          <table data-testid="services-table">
            <thead>
              <tr>
                <th>${t("service")}</th>
                <th>${t("price")}</th>
                <th>${t("duration")}</th>
                <th>${t("skills")}</th>
                <th>${t("dispatchMode")}</th>
                <th>${t("policy")}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${services.data.items.map(
                (s) =>
                  html`<tr key=${s.id} data-service-id=${s.id}>
                    <td>
                      ${localName(s.name, lang)}
                      <div class="muted small mono">${s.id}</div>
                    </td>
                    <td class="num">
                      ${money(s.price.base)}${s.price.perUnit.amount ? ` + ${money(s.price.perUnit)}/${s.price.unit}` : ""}
                    </td>
                    <td class="num">${s.durationMinutes} ${t("minutes")}</td>
                    <td>${s.requiredSkills.join(", ")}</td>
                    <td>${s.dispatchMode}</td>
                    <td class="small">${policy(s.cancellationPolicy)}</td>
                    <td class="nowrap">
                      <${Badge} value=${s.active ? "active" : "inactive"} /> <${Action} label="⇄" run=${() => toggle(s)} />
                      <button class="link" onClick=${() => setEditing(s)} data-testid=${`edit-${s.id}`}>${t("edit")}</button>
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`}<//
    >
    <div class="two-col">
      <div>
        <h2>${lang === "zh" ? "分类" : "Categories"}</h2>
        <${Loading} state=${categories}>${() => html`<${Tree} nodes=${categories.data.items ?? categories.data} lang=${lang} />`}<//>
      </div>
      <div>
        <h2>${t("skills")}</h2>
        <${Loading} state=${skills}
          >${() =>
            html`<ul class="chips">
              ${(skills.data.items ?? skills.data).map((s) => html`<li title=${s.code}>${localName(s.name ?? { zh: s.nameZh, en: s.nameEn }, lang)}</li>`)}
            </ul>`}<//
        >
      </div>
    </div>
    ${!isPlatform && html`<p class="muted small">${t("merchantOnly")}</p>`}
    ${
      editing &&
      html`<${ServiceEditor}
        service=${editing}
        onClose=${() => setEditing(null)}
        onSaved=${() => {
          setEditing(null);
          services.reload();
        }}
      />`
    }
  </section>`;
}

/** The form's text for a service's editable fields (amounts in yuan). */
function formOf(s) {
  return {
    base: hundredthsText(s.price.base.amount),
    perUnit: hundredthsText(s.price.perUnit.amount),
    unit: s.price.unit,
    minUnits: String(s.price.minUnits),
    durationMinutes: String(s.durationMinutes),
    tiers: s.cancellationPolicy.tiers.map((x) => ({ hoursBefore: String(x.hoursBefore), refundPercent: String(x.refundPercent) })),
    visitFee: hundredthsText(s.cancellationPolicy.visitFee.amount),
    dispatchMode: s.dispatchMode,
    full: s.paymentOptions.full,
    depositPercent: s.paymentOptions.depositPercent === null ? "" : String(s.paymentOptions.depositPercent),
    afterService: s.paymentOptions.afterService,
  };
}

// Text the person typed goes to the server as a number when it is one, else as typed, so the
// server's validation (the one source of the rules) names the field.
const num = (text) => (String(text).trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text);
const yuan = (text) => toHundredths(text) ?? text;

/** Edits prices, duration, cancellation policy, dispatch mode and payment options through PATCH /v1/admin/services/{id}. */
function ServiceEditor({ service, onClose, onSaved }) {
  const { t, lang } = useApp();
  const [f, setF] = useState(() => formOf(service));
  const [error, setError] = useState(null);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.type === "checkbox" ? e.currentTarget.checked : e.currentTarget.value });
  const setTier = (i, k) => (e) => setF({ ...f, tiers: f.tiers.map((x, j) => (j === i ? { ...x, [k]: e.currentTarget.value } : x)) });
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/v1/admin/services/${service.id}`, {
        method: "PATCH",
        body: {
          price: { base: yuan(f.base), perUnit: yuan(f.perUnit), unit: f.unit, minUnits: num(f.minUnits) },
          durationMinutes: num(f.durationMinutes),
          cancellationPolicy: {
            tiers: f.tiers.map((x) => ({ hoursBefore: num(x.hoursBefore), refundPercent: num(x.refundPercent) })),
            visitFee: yuan(f.visitFee),
          },
          dispatchMode: f.dispatchMode,
          paymentOptions: {
            full: f.full,
            depositPercent: f.depositPercent.trim() === "" ? null : num(f.depositPercent),
            afterService: f.afterService,
          },
        },
      });
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  const field = (label, key, path, attrs = {}) =>
    html`<label
      >${label}<input name=${key} value=${f[key]} onInput=${set(key)} ...${attrs} /><${FieldError} error=${error} path=${path}
    /></label>`;
  return html`<${Drawer} title=${`${t("edit")} · ${localName(service.name, lang)}`} onClose=${onClose}>
    <form class="form-grid" onSubmit=${save} data-testid="service-editor">
      <h3>${t("price")}</h3>
      ${field(`${t("basePrice")} (¥)`, "base", "body.price.base", { inputmode: "decimal" })}
      ${field(`${t("unitPrice")} (¥)`, "perUnit", "body.price.perUnit", { inputmode: "decimal" })}
      <label
        >${t("unit")}
        <select name="unit" value=${f.unit} onChange=${set("unit")}>
          ${UNITS.map((u) => html`<option value=${u}>${t(`unit_${u}`)}</option>`)}
        </select></label
      >
      ${field(t("minUnits"), "minUnits", "body.price.minUnits", { inputmode: "numeric" })}
      ${field(`${t("duration")} (${t("minutes")})`, "durationMinutes", "body.durationMinutes", { inputmode: "numeric" })}
      <h3>${t("policy")}</h3>
      <div class="tiers">
        ${f.tiers.map(
          (x, i) =>
            html`<div class="tier" data-tier=${i}>
              <label
                >≥ ${t("hoursBefore")}<input
                  name=${`tier${i}Hours`}
                  inputmode="decimal"
                  value=${x.hoursBefore}
                  onInput=${setTier(i, "hoursBefore")} /><${FieldError}
                  error=${error}
                  path=${`body.cancellationPolicy.tiers.${i}.hoursBefore`}
              /></label>
              <label
                >${t("refund")} %<input
                  name=${`tier${i}Percent`}
                  inputmode="numeric"
                  value=${x.refundPercent}
                  onInput=${setTier(i, "refundPercent")} /><${FieldError}
                  error=${error}
                  path=${`body.cancellationPolicy.tiers.${i}.refundPercent`}
              /></label>
              <button
                type="button"
                class="link"
                onClick=${() => setF({ ...f, tiers: f.tiers.filter((_, j) => j !== i) })}
                aria-label=${t("remove")}
              >
                ✕
              </button>
            </div>`,
        )}
        <button type="button" class="link" onClick=${() => setF({ ...f, tiers: [...f.tiers, { hoursBefore: "0", refundPercent: "0" }] })}>
          ＋ ${t("addTier")}
        </button>
        <${FieldError} error=${error} path="body.cancellationPolicy.tiers" exact />
      </div>
      ${field(`${t("visitFee")} (¥)`, "visitFee", "body.cancellationPolicy.visitFee", { inputmode: "decimal" })}
      <h3>${t("dispatchMode")}</h3>
      <label
        ><select name="dispatchMode" value=${f.dispatchMode} onChange=${set("dispatchMode")}>
          ${MODES.map((m) => html`<option value=${m}>${t(`mode_${m}`)}</option>`)}
        </select></label
      >
      <h3>${t("paymentOptions")}</h3>
      <label class="check"><input type="checkbox" name="payFull" checked=${f.full} onChange=${set("full")} /> ${t("payFull")}</label>
      ${field(`${t("depositPercent")} (%)`, "depositPercent", "body.paymentOptions.depositPercent", { inputmode: "numeric", placeholder: "—" })}
      <label class="check"
        ><input type="checkbox" name="payAfter" checked=${f.afterService} onChange=${set("afterService")} /> ${t("payAfter")}</label
      >
      <${FieldError} error=${error} path="body.paymentOptions" exact />
      <div>
        <button class="primary" type="submit" data-testid="save-service">${t("save")}</button>
        <button type="button" onClick=${onClose}>${t("close")}</button>
      </div>
      ${error && html`<${ErrorNote} error=${error} />`}
    </form>
  <//>`;
}

function Tree({ nodes, lang }) {
  return html`<ul class="tree">
    ${nodes.map((n) => html`<li>${localName(n.name, lang)}${n.children?.length ? html`<${Tree} nodes=${n.children} lang=${lang} />` : ""}</li>`)}
  </ul>`;
}
