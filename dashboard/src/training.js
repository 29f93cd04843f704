// Training: courses and their lessons (text, an image or a video), question banks, exam settings,
// technicians' progress and certifications, and (operators) the skills that require a certification
// before dispatch offers them. A merchant_admin sees and runs its own merchant's only.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { Form, num } from "./forms.js";
import { html, useApp, useAsync, Badge, Drawer, ErrorNote, Loading, ListTable, Tabs, when } from "./ui.js";

/**
 * Every item of a paged training list (`?limit=100`, following `nextCursor`; at most 10 pages).
 * @param {"/v1/training/courses" | "/v1/training/banks" | "/v1/training/exams"} path
 */
async function everyPage(path) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 10; i++) {
    const page = await api(`${path}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return { items };
}

const indexes = (text) =>
  String(text ?? "")
    .split(/[,，\s]+/)
    .filter(Boolean)
    .map((s) => num(s) - 1);

export function Training() {
  const { t, isPlatform } = useApp();
  const [tab, setTab] = useState("courses");
  const tabs = [
    ["courses", t("tr_courses")],
    ["banks", t("tr_banks")],
    ["exams", t("tr_exams")],
    ["progress", t("tr_progress")],
    ...(isPlatform ? [["requirements", t("tr_requirements")]] : []),
  ];
  return html`<section data-screen="training">
    <h2>${t("setup_training")}</h2>
    <${Tabs} tabs=${tabs} value=${tab} onChange=${setTab} />
    ${tab === "courses" && html`<${Courses} />`} ${tab === "banks" && html`<${Banks} />`} ${tab === "exams" && html`<${Exams} />`}
    ${tab === "progress" && html`<${Progress} />`} ${tab === "requirements" && html`<${Requirements} />`}
  </section>`;
}

function Courses() {
  const { t } = useApp();
  const list = useAsync(() => everyPage("/v1/training/courses"), []);
  const [open, setOpen] = useState(null);
  return html`<div>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable}
          items=${list.data.items}
          heads=${[t("tr_title"), t("tr_skill"), { label: t("tr_lessons"), num: true }, t("status"), ""]}
          testid="training-courses"
          >${(c) =>
            html`<tr key=${c.id} data-course=${c.id}>
              <td>${c.title}</td>
              <td class="mono">${c.skill ?? ""}</td>
              <td class="num">${c.lessonCount}</td>
              <td><${Badge} value=${c.published ? "active" : "inactive"} /></td>
              <td><button class="link" onClick=${() => setOpen(c.id)} data-testid=${`open-course-${c.title}`}>${t("edit")}</button></td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("tr_newCourse")}</h3>
    <${Form}
      testid="course-create"
      reset
      submitLabel=${t("create")}
      fields=${[
        { key: "title", label: t("tr_title") },
        { key: "description", label: t("tr_description") },
        { key: "skill", label: t("tr_skillCode") },
        { key: "published", label: t("tr_published"), type: "checkbox" },
      ]}
      submit=${(v) =>
        api("/v1/training/courses", {
          method: "POST",
          body: { title: v.title, description: v.description, skill: v.skill.trim() || null, published: v.published },
        })}
      onDone=${list.reload}
    />
    ${
      open &&
      html`<${Drawer}
        title=${t("tr_course")}
        onClose=${() => {
          setOpen(null);
          list.reload();
        }}
        ><${CourseEditor} id=${open}
      /><//>`
    }
  </div>`;
}

function CourseEditor({ id }) {
  const { t } = useApp();
  const course = useAsync(() => api(`/v1/training/courses/${id}`), [id]);
  const [uploadError, setUploadError] = useState(null);
  const upload = async (lesson, file) => {
    setUploadError(null);
    try {
      await api(`/v1/training/courses/${id}/lessons/${lesson.id}/media`, { method: "PUT", body: file });
      course.reload();
    } catch (err) {
      setUploadError(err);
    }
  };
  return html`<${Loading} state=${course}
    >${() => {
      const c = course.data;
      return html`<div data-testid="course-editor">
        <${Form}
          testid="course-edit"
          fields=${[
            { key: "title", label: t("tr_title") },
            { key: "description", label: t("tr_description") },
            { key: "published", label: t("tr_published"), type: "checkbox" },
          ]}
          initial=${{ title: c.title, description: c.description, published: c.published }}
          submit=${(v) => api(`/v1/training/courses/${id}`, { method: "PATCH", body: v })}
          onDone=${course.reload}
        />
        <h3>${t("tr_lessons")}</h3>
        <ol data-testid="lesson-list">
          ${c.lessons.map(
            (l) =>
              html`<li key=${l.id} data-lesson=${l.id}>
                <strong>${l.title}</strong> — ${l.body}
                ${l.media ? html` <span class="muted" data-testid="lesson-media">${l.media.contentType} · ${Math.ceil(l.media.size / 1024)} KB</span>` : null}
                <label
                  >${t("tr_attachMedia")}
                  <input
                    type="file"
                    accept="image/jpeg,image/png,image/webp,video/mp4,video/webm"
                    data-testid=${`lesson-file-${l.position}`}
                    onChange=${(e) => e.currentTarget.files[0] && upload(l, e.currentTarget.files[0])}
                /></label>
              </li>`,
          )}
        </ol>
        ${uploadError && html`<${ErrorNote} error=${uploadError} />`}
        <${Form}
          testid="lesson-create"
          reset
          submitLabel=${t("tr_addLesson")}
          fields=${[
            { key: "title", label: t("tr_title") },
            { key: "body", label: t("tr_text") },
          ]}
          submit=${(v) => api(`/v1/training/courses/${id}/lessons`, { method: "POST", body: v })}
          onDone=${course.reload}
        />
      </div>`;
    }}<//
  >`;
}

function Banks() {
  const { t } = useApp();
  const list = useAsync(() => everyPage("/v1/training/banks"), []);
  const [open, setOpen] = useState(null);
  return html`<div>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable} items=${list.data.items} heads=${[t("tr_title"), t("tr_created"), ""]} testid="training-banks"
          >${(b) =>
            html`<tr key=${b.id}>
              <td>${b.title}</td>
              <td>${when(b.createdAt)}</td>
              <td><button class="link" onClick=${() => setOpen(b.id)} data-testid=${`open-bank-${b.title}`}>${t("edit")}</button></td>
            </tr>`}<//
        >`}<//
    >
    <h3>${t("tr_newBank")}</h3>
    <${Form}
      testid="bank-create"
      reset
      submitLabel=${t("create")}
      fields=${[{ key: "title", label: t("tr_title") }]}
      submit=${(v) => api("/v1/training/banks", { method: "POST", body: { title: v.title } })}
      onDone=${list.reload}
    />
    ${open && html`<${Drawer} title=${t("tr_bank")} onClose=${() => setOpen(null)}><${BankEditor} id=${open} /><//>`}
  </div>`;
}

function BankEditor({ id }) {
  const { t } = useApp();
  const bank = useAsync(() => api(`/v1/training/banks/${id}`), [id]);
  const kinds = [
    ["single", t("tr_single")],
    ["multiple", t("tr_multiple")],
    ["true_false", t("tr_trueFalse")],
  ];
  const kindName = Object.fromEntries(kinds);
  return html`<${Loading} state=${bank}
    >${() =>
      html`<div data-testid="bank-editor">
        <${ListTable}
          items=${bank.data.questions}
          heads=${[t("tr_kind"), t("tr_prompt"), t("tr_options"), t("tr_correct"), ""]}
          testid="bank-questions"
          >${(q) =>
            html`<tr key=${q.id}>
              <td>${kindName[q.kind]}</td>
              <td>${q.prompt}</td>
              <td>${q.options.map((o, i) => `${i + 1}. ${o}`).join("  ")}</td>
              <td>${q.correct.map((i) => i + 1).join(", ")}</td>
              <td>
                <button
                  class="link"
                  onClick=${async () => {
                    await api(`/v1/training/banks/${id}/questions/${q.id}`, { method: "DELETE" });
                    bank.reload();
                  }}
                >
                  ${t("tr_remove")}
                </button>
              </td>
            </tr>`}<//
        >
        <h3>${t("tr_newQuestion")}</h3>
        <${Form}
          testid="question-create"
          reset
          submitLabel=${t("tr_addQuestion")}
          initial=${{ kind: "single" }}
          fields=${[
            { key: "kind", label: t("tr_kind"), type: "select", options: kinds },
            { key: "prompt", label: t("tr_prompt") },
            { key: "options", label: t("tr_optionsHint") },
            { key: "correct", label: t("tr_correctHint"), attrs: { inputmode: "numeric" } },
          ]}
          submit=${(v) =>
            api(`/v1/training/banks/${id}/questions`, {
              method: "POST",
              body: {
                kind: v.kind,
                prompt: v.prompt,
                ...(v.kind === "true_false"
                  ? {}
                  : {
                      options: String(v.options)
                        .split(/[|｜]/)
                        .map((s) => s.trim())
                        .filter(Boolean),
                    }),
                correct: indexes(v.correct),
              },
            })}
          onDone=${bank.reload}
        />
      </div>`}<//
  >`;
}

function Exams() {
  const { t } = useApp();
  const list = useAsync(() => Promise.all([everyPage("/v1/training/exams"), everyPage("/v1/training/banks")]), []);
  const [open, setOpen] = useState(null);
  const fields = (banks) => [
    { key: "title", label: t("tr_title") },
    ...(banks ? [{ key: "bankId", label: t("tr_bank"), type: "select", options: banks.map((b) => [b.id, b.title]) }] : []),
    { key: "skill", label: t("tr_certifiesSkill") },
    { key: "drawCount", label: t("tr_drawCount"), attrs: { inputmode: "numeric" } },
    { key: "passPercent", label: t("tr_passPercent"), attrs: { inputmode: "numeric" } },
    { key: "timeLimitMinutes", label: t("tr_timeLimit"), attrs: { inputmode: "numeric" } },
    { key: "maxAttempts", label: t("tr_maxAttempts"), attrs: { inputmode: "numeric" } },
    { key: "validDays", label: t("tr_validDays"), attrs: { inputmode: "numeric" } },
    { key: "published", label: t("tr_published"), type: "checkbox" },
  ];
  const body = (v) => ({
    title: v.title,
    skill: String(v.skill ?? "").trim() || null,
    drawCount: num(v.drawCount),
    passPercent: num(v.passPercent),
    timeLimitSeconds: Math.round(num(v.timeLimitMinutes) * 60),
    maxAttempts: num(v.maxAttempts),
    validDays: num(v.validDays),
    published: v.published,
  });
  return html`<${Loading} state=${list}
    >${() => {
      const [exams, banks] = list.data;
      return html`<div>
        <${ListTable}
          items=${exams.items}
          heads=${[
            t("tr_title"),
            t("tr_skill"),
            { label: t("tr_drawCount"), num: true },
            { label: t("tr_passPercent"), num: true },
            { label: t("tr_timeLimit"), num: true },
            { label: t("tr_maxAttempts"), num: true },
            { label: t("tr_validDays"), num: true },
            t("status"),
            "",
          ]}
          testid="training-exams"
          >${(e) =>
            html`<tr key=${e.id} data-exam=${e.id}>
              <td>${e.title}</td>
              <td class="mono">${e.skill ?? ""}</td>
              <td class="num">${e.drawCount}</td>
              <td class="num">${e.passPercent}%</td>
              <td class="num">${e.timeLimitSeconds / 60}</td>
              <td class="num">${e.maxAttempts}</td>
              <td class="num">${e.validDays}</td>
              <td><${Badge} value=${e.published ? "active" : "inactive"} /></td>
              <td><button class="link" onClick=${() => setOpen(e)}>${t("edit")}</button></td>
            </tr>`}<//
        >
        <h3>${t("tr_newExam")}</h3>
        <${Form}
          testid="exam-create"
          reset
          submitLabel=${t("create")}
          initial=${{ bankId: banks.items[0]?.id ?? "", drawCount: "10", passPercent: "60", timeLimitMinutes: "30", maxAttempts: "3", validDays: "365" }}
          fields=${fields(banks.items)}
          submit=${(v) => api("/v1/training/exams", { method: "POST", body: { ...body(v), bankId: v.bankId } })}
          onDone=${list.reload}
        />
        ${
          open &&
          html`<${Drawer} title=${open.title} onClose=${() => setOpen(null)}>
            <${Form}
              testid="exam-edit"
              fields=${fields(null)}
              initial=${{ ...open, skill: open.skill ?? "", timeLimitMinutes: String(open.timeLimitSeconds / 60) }}
              submit=${(v) => api(`/v1/training/exams/${open.id}`, { method: "PATCH", body: body(v) })}
              onDone=${() => {
                setOpen(null);
                list.reload();
              }}
            />
          <//>`
        }
      </div>`;
    }}<//
  >`;
}

function Progress() {
  const { t } = useApp();
  const data = useAsync(() => api("/v1/training/overview"), []);
  return html`<${Loading} state=${data}
    >${() =>
      html`<div>
        <h3>${t("tr_progress")}</h3>
        <${ListTable}
          items=${data.data.progress}
          heads=${[t("tr_technician"), t("tr_course"), { label: t("tr_completed"), num: true }, t("tr_enrolled")]}
          testid="training-progress"
          >${(p) =>
            html`<tr key=${`${p.technicianId}-${p.courseId}`}>
              <td>${p.technicianName}</td>
              <td>${p.courseTitle}</td>
              <td class="num">${p.progress.completed} / ${p.progress.lessons} (${p.progress.percent}%)</td>
              <td>${when(p.enrolledAt)}</td>
            </tr>`}<//
        >
        <h3>${t("tr_certifications")}</h3>
        <${ListTable}
          items=${data.data.certifications}
          heads=${[t("tr_technician"), t("tr_exam"), t("tr_skill"), t("tr_issued"), t("tr_expires"), t("status")]}
          testid="training-certifications"
          >${(c) =>
            html`<tr key=${c.id}>
              <td>${c.technicianName}</td>
              <td>${c.examTitle}</td>
              <td class="mono">${c.skill ?? ""}</td>
              <td>${when(c.issuedAt)}</td>
              <td>${when(c.expiresAt)}</td>
              <td><${Badge} value=${c.valid ? "active" : "inactive"} /></td>
            </tr>`}<//
        >
      </div>`}<//
  >`;
}

function Requirements() {
  const { t } = useApp();
  const list = useAsync(() => api("/v1/training/skill-requirements"), []);
  const set = (skill, required) =>
    api(`/v1/admin/training/skill-requirements/${encodeURIComponent(skill)}`, { method: "PUT", body: { required } });
  return html`<div>
    <p class="muted">${t("tr_requirementsHelp")}</p>
    <${Loading} state=${list}
      >${() =>
        html`<${ListTable} items=${list.data.items} heads=${[t("tr_skill"), ""]} testid="training-requirements"
          >${(r) =>
            html`<tr key=${r.skill}>
              <td class="mono">${r.skill}</td>
              <td>
                <button
                  class="link"
                  onClick=${async () => {
                    await set(r.skill, false);
                    list.reload();
                  }}
                >
                  ${t("tr_remove")}
                </button>
              </td>
            </tr>`}<//
        >`}<//
    >
    <${Form}
      testid="requirement-add"
      reset
      submitLabel=${t("tr_require")}
      fields=${[{ key: "skill", label: t("tr_skillCode"), path: "params.code" }]}
      submit=${(v) => set(v.skill.trim(), true)}
      onDone=${list.reload}
    />
  </div>`;
}
