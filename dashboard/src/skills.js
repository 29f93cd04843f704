// Skills (a code technicians hold and services require, with its names) and the category tree:
// create and rename both; a category can be moved under another or re-sorted.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, num } from "./forms.js";
import { html, useApp, useAsync, Loading, ListTable } from "./ui.js";

export function SkillsAndCategories() {
  const { t } = useApp();
  return html`<section data-screen="skills">
    <div class="two-col">
      <div><${Skills} /></div>
      <div><${Categories} /></div>
    </div>
    <p class="muted small">${t("skillsHint")}</p>
  </section>`;
}

function Skills() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/skills"), []);
  const [editing, setEditing] = useState(null);
  const nameFields = [
    { key: "zh", label: t("nameZh"), path: "body.name.zh" },
    { key: "en", label: t("nameEn"), path: "body.name.en" },
  ];
  return html`<h2>${t("skills")}</h2>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable} items=${list.data.items} heads=${[t("recordCode"), t("name"), ""]} testid="skills-table"
          >${(s) =>
            html`<tr key=${s.code} data-skill=${s.code}>
              <td class="mono">${s.code}</td>
              <td>${s.name.zh} · ${s.name.en}</td>
              <td>
                ${
                  editing === s.code
                    ? html`<${Form}
                        testid="skill-rename"
                        fields=${nameFields}
                        initial=${s.name}
                        submit=${(v) => api(`/v1/admin/skills/${s.code}`, { method: "PATCH", body: { name: { zh: v.zh, en: v.en } } })}
                        onDone=${() => {
                          setEditing(null);
                          list.reload();
                        }}
                      />`
                    : html`<button class="link" onClick=${() => setEditing(s.code)} data-testid=${`edit-skill-${s.code}`}>
                        ${t("edit")}
                      </button>`
                }
              </td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("newSkill")}</h3>
    <${Form}
      testid="skill-create"
      reset
      submitLabel=${t("create")}
      fields=${[{ key: "code", label: t("recordCode"), attrs: { placeholder: "deep_cleaning" } }, ...nameFields]}
      submit=${(v) => api("/v1/admin/skills", { method: "POST", body: { code: v.code.trim(), name: { zh: v.zh, en: v.en } } })}
      onDone=${list.reload}
    />`;
}

/** The tree as rows, each with its depth, in display order. */
const flatten = (nodes, depth = 0, parentId = null) =>
  nodes.flatMap((n) => [{ ...n, depth, parentId }, ...flatten(n.children ?? [], depth + 1, n.id)]);

function Categories() {
  const { t, lang } = useApp();
  const tree = useAsync(() => api("/v1/categories"), []);
  const [editing, setEditing] = useState(null);
  return html`<h2>${t("categories")}</h2>
    <${Loading} state=${tree}
      >${() => {
        const rows = flatten(tree.data.items);
        const parents = [["", t("topLevel")], ...rows.map((r) => [r.id, `${"· ".repeat(r.depth)}${r.name[lang] ?? r.name.zh}`])];
        const fields = [
          { key: "zh", label: t("nameZh"), path: "body.name.zh" },
          { key: "en", label: t("nameEn"), path: "body.name.en" },
          { key: "parentId", label: t("parentCategory"), type: "select", options: parents },
          { key: "sort", label: t("sortOrder"), attrs: { inputmode: "numeric" } },
        ];
        const body = (v) => ({ name: { zh: v.zh, en: v.en }, parentId: v.parentId || null, sort: num(v.sort === "" ? "0" : v.sort) });
        return html`<${ListTable} items=${rows} heads=${[t("name"), t("sortOrder"), ""]} testid="categories-table"
            >${(c) =>
              html`<tr key=${c.id} data-category=${c.id}>
                <td style=${{ paddingLeft: `${c.depth * 1.2 + 0.5}em` }}>${c.name.zh} · ${c.name.en}</td>
                <td class="num">${c.sort}</td>
                <td>
                  ${
                    editing === c.id
                      ? html`<${Form}
                          testid="category-edit"
                          fields=${fields}
                          initial=${{ zh: c.name.zh, en: c.name.en, parentId: c.parentId ?? "", sort: String(c.sort) }}
                          submit=${(v) => api(`/v1/admin/categories/${c.id}`, { method: "PATCH", body: body(v) })}
                          onDone=${() => {
                            setEditing(null);
                            tree.reload();
                          }}
                        />`
                      : html`<button class="link" onClick=${() => setEditing(c.id)} data-testid=${`edit-category-${c.id}`}>
                          ${t("edit")}
                        </button>`
                  }
                </td>
              </tr>`}<//
          >
          <h3>${t("newCategory")}</h3>
          <${Form}
            testid="category-create"
            reset
            submitLabel=${t("create")}
            fields=${fields}
            submit=${(v) => api("/v1/admin/categories", { method: "POST", body: body(v) })}
            onDone=${tree.reload}
          />`;
      }}<//
    >`;
}
