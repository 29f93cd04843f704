// Register technicians (phone, name, merchant, skills, home, radius) and change their name, skills
// or radius. Approving and rejecting stay on the Technicians screen.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, num } from "./forms.js";
import { html, localName, useApp, useAsync, useSkillNames, Badge, Loading, ListTable } from "./ui.js";

/** "a, b c" → ["a", "b", "c"] (an empty text is sent as typed, so the server names the field). */
const skillList = (text) => {
  const codes = String(text)
    .split(/[\s,，]+/)
    .filter(Boolean);
  return codes.length ? codes : [];
};

export function TechnicianEditor() {
  const { t, lang, cityId, city, merchants, isPlatform } = useApp();
  const list = useAsync(() => api(`/v1/admin/technicians?limit=100&city=${cityId}`), [cityId]);
  const { skills, label: skillLabel } = useSkillNames();
  const [editing, setEditing] = useState(null);
  const editFields = [
    { key: "name", label: t("name") },
    { key: "skills", label: t("skillCodes") },
    { key: "serviceRadiusKm", label: t("radiusKm"), attrs: { inputmode: "decimal" } },
  ];
  return html`<section data-screen="technician-editor">
    <h2>${t("technicians")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("technician"), t("status"), t("skills"), t("radiusKm"), ""]}
          testid="technician-editor-table"
          >${(x) =>
            html`<tr key=${x.id} data-technician=${x.id}>
              <td>
                ${x.name}
                <div class="muted small mono">${x.phone}</div>
              </td>
              <td><${Badge} value=${x.status} /></td>
              <td>${x.skills.map(skillLabel).join("、")}</td>
              <td class="num">${x.serviceRadiusKm}</td>
              <td>
                ${
                  editing === x.id
                    ? html`<${Form}
                        testid="technician-edit"
                        fields=${editFields}
                        initial=${{ name: x.name, skills: x.skills.join(", "), serviceRadiusKm: String(x.serviceRadiusKm) }}
                        submit=${(v) =>
                          api(`/v1/admin/technicians/${x.id}`, {
                            method: "PATCH",
                            body: { name: v.name, skills: skillList(v.skills), serviceRadiusKm: num(v.serviceRadiusKm) },
                          })}
                        onDone=${() => {
                          setEditing(null);
                          list.reload();
                        }}
                      />`
                    : html`<button class="link" onClick=${() => setEditing(x.id)} data-testid=${`edit-technician-${x.id}`}>
                        ${t("edit")}
                      </button>`
                }
              </td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("newTechnician")}</h3>
    <${Loading} state=${skills}
      >${() =>
        html`<p class="muted small" data-testid="skill-codes">
          ${t("skillCodes")}:
          ${skills.data.items.map((s, i) => html`${i ? "、" : ""}${localName(s.name, lang)} <span class="mono">${s.code}</span>`)}
        </p>`}<//
    >
    <${Form}
      testid="technician-create"
      reset
      submitLabel=${t("create")}
      fields=${[
        { key: "phone", label: t("phone"), type: "tel", attrs: { placeholder: "+86" } },
        { key: "name", label: t("name") },
        ...(isPlatform
          ? [
              {
                key: "merchantId",
                label: t("merchant"),
                type: "select",
                options: [["", t("platformRun")], ...merchants.map((m) => [m.id, m.name])],
              },
            ]
          : []),
        { key: "skills", label: t("skillCodes") },
        { key: "lat", label: t("latitude"), path: "body.home.lat", attrs: { inputmode: "decimal" } },
        { key: "lng", label: t("longitude"), path: "body.home.lng", attrs: { inputmode: "decimal" } },
        { key: "serviceRadiusKm", label: t("radiusKm"), attrs: { inputmode: "decimal" } },
      ]}
      initial=${{ lat: String(city?.center.lat ?? ""), lng: String(city?.center.lng ?? ""), serviceRadiusKm: "10" }}
      submit=${(v) =>
        api("/v1/admin/technicians", {
          method: "POST",
          body: {
            phone: v.phone.trim(),
            name: v.name,
            ...(v.merchantId ? { merchantId: v.merchantId } : {}),
            skills: skillList(v.skills),
            home: { lat: num(v.lat), lng: num(v.lng) },
            serviceRadiusKm: num(v.serviceRadiusKm),
          },
        })}
      onDone=${list.reload}
    />
  </section>`;
}
