// Catalog: services with prices, duration, skills, dispatch mode and cancellation policy; categories; skills.
import { api } from "./api.js";
import { html, useApp, useAsync, Action, Badge, Loading, localName, money } from "./ui.js";

export function Catalog() {
  const { t, lang, isPlatform } = useApp();
  const services = useAsync(() => api("/v1/admin/services?limit=100"), []);
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
                  html`<tr key=${s.id}>
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
                    <td><${Badge} value=${s.active ? "active" : "inactive"} /> <${Action} label="⇄" run=${() => toggle(s)} /></td>
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
  </section>`;
}

function Tree({ nodes, lang }) {
  return html`<ul class="tree">
    ${nodes.map((n) => html`<li>${localName(n.name, lang)}${n.children?.length ? html`<${Tree} nodes=${n.children} lang=${lang} />` : ""}</li>`)}
  </ul>`;
}
