// Technician credit for platform staff: look a technician up (by id or from the list) for their score,
// level and paged history; reward or penalise them (money typed in yuan, sent in fen, and/or points,
// with a reason from the allowed list); decide appeals against penalties; set the level rules.
// Reasons are shown by the API's text in the chosen language, or by their label here; never as codes.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { fen, num, optional } from "./forms.js";
import {
  html,
  useApp,
  useAsync,
  money,
  when,
  Action,
  ErrorNote,
  FieldError,
  ListTable,
  Loading,
  hundredthsText,
  toHundredths,
} from "./ui.js";

const LEVELS = ["trainee", "standard", "gold", "diamond"];
const RANKED = ["standard", "gold", "diamond"];
const REASONS = {
  reward: ["REWARD_PRAISE", "REWARD_EXCELLENT_SERVICE", "REWARD_CAMPAIGN"],
  penalty: ["PENALTY_SERVICE_QUALITY", "PENALTY_MISCONDUCT", "PENALTY_POLICY_BREACH", "PENALTY_DAMAGE"],
};
const signed = (n) => (n > 0 ? `+${n}` : String(n));

function Picker({ value, onPick }) {
  const { t, cityId } = useApp();
  const [typed, setTyped] = useState(value ?? "");
  const list = useAsync(
    () => api(`/v1/admin/technicians?${new URLSearchParams(cityId ? { city: cityId, limit: "100" } : { limit: "100" })}`),
    [cityId],
  );
  const go = (e) => {
    e.preventDefault();
    if (typed.trim()) onPick(typed.trim());
  };
  return html`<form class="filters" onSubmit=${go}>
    <select
      name="technician"
      value=${value ?? ""}
      data-testid="credit-technician-pick"
      onChange=${(e) => {
        setTyped(e.currentTarget.value);
        if (e.currentTarget.value) onPick(e.currentTarget.value);
      }}
    >
      <option value="">${t("creditPickTechnician")}</option>
      ${(list.data?.items ?? []).map((x) => html`<option value=${x.id}>${x.name} · ${x.id}</option>`)}
    </select>
    <input
      name="technician-id"
      placeholder=${t("creditTechnicianId")}
      value=${typed}
      onInput=${(e) => setTyped(e.currentTarget.value)}
      data-testid="credit-technician-id"
    />
    <button type="submit" data-testid="credit-look-up">${t("creditLookUp")}</button>
    ${list.error ? html`<${ErrorNote} error=${list.error} />` : null}
  </form>`;
}

function Summary({ id, version }) {
  const { t } = useApp();
  const state = useAsync(() => api(`/v1/admin/technicians/${encodeURIComponent(id)}/credit`), [id, version]);
  return html`<${Loading} state=${state}
    >${() => {
      const s = state.data;
      return html`<div class="card" data-testid="credit-summary" data-technician=${s.technicianId}>
        <h2>${s.name} <span class="mono small muted">${s.technicianId}</span></h2>
        <p>
          ${t("creditScore")}: <b data-testid="credit-score">${s.score}</b> · ${t("creditLevel")}:
          <b data-testid="credit-level" data-level=${s.level}>${s.levelName}</b> · ${t("creditCompletedJobs")}: ${s.completedJobs}
        </p>
        <p class="muted small">
          ${
            s.next
              ? t("creditNextLevel")
                  .replace("{level}", s.next.levelName)
                  .replace("{score}", String(s.next.minScore))
                  .replace("{jobs}", String(s.next.minJobs))
              : t("creditTopLevel")
          }
        </p>
      </div>`;
    }}<//
  >`;
}

function History({ id, version }) {
  const { t } = useApp();
  const [cursors, setCursors] = useState([null]);
  const cursor = cursors.at(-1);
  const state = useAsync(() => {
    const q = new URLSearchParams({ limit: "20" });
    if (cursor) q.set("cursor", cursor);
    return api(`/v1/admin/technicians/${encodeURIComponent(id)}/credit/history?${q}`);
  }, [id, version, cursor]);
  return html`<div>
    <h3>${t("creditHistory")}</h3>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
            items=${state.data.items}
            testid="credit-history"
            heads=${[t("creditWhen"), t("creditKind"), t("creditReason"), { label: t("creditPoints"), num: true }, { label: t("creditScoreAfter"), num: true }]}
            >${(e) =>
              html`<tr key=${e.id} data-event=${e.id} data-reason=${e.reason.code}>
                <td class="small">${when(e.createdAt)}</td>
                <td>${t(`creditKind_${e.kind}`)}</td>
                <td data-testid="credit-event-reason">${e.reason.text}</td>
                <td class="num">${signed(e.points)}</td>
                <td class="num">${e.scoreAfter}</td>
              </tr>`}<//
          >
          <div class="filters">
            <button type="button" class="ghost" disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>
              ${t("creditNewer")}
            </button>
            <button
              type="button"
              class="ghost"
              disabled=${!state.data.nextCursor}
              data-testid="credit-history-older"
              onClick=${() => setCursors([...cursors, state.data.nextCursor])}
            >
              ${t("creditOlder")}
            </button>
          </div>`}<//
    >
  </div>`;
}

function DecisionForm({ id, done }) {
  const { t } = useApp();
  const [kind, setKind] = useState("penalty");
  const [values, setValues] = useState({ reasonCode: REASONS.penalty[0], amount: "", points: "", note: "" });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (key) => (e) => setValues({ ...values, [key]: e.currentTarget.value });
  const send = async (e) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await api(`/v1/admin/technicians/${encodeURIComponent(id)}/credit/decisions`, {
        method: "POST",
        body: {
          kind,
          reasonCode: values.reasonCode,
          amount: String(values.amount).trim() === "" ? 0 : fen(values.amount),
          points: String(values.points).trim() === "" ? 0 : num(values.points),
          note: optional(values.note, (x) => x.trim()),
        },
      });
      setValues({ reasonCode: REASONS[kind][0], amount: "", points: "", note: "" });
      done();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="form-grid" onSubmit=${send} data-testid="credit-decision-form">
    <h3>${t("creditDecide")}</h3>
    <label
      >${t("creditDecisionKind")}
      <select
        name="kind"
        value=${kind}
        onChange=${(e) => {
          const k = e.currentTarget.value;
          setKind(k);
          setValues({ ...values, reasonCode: REASONS[k][0] });
        }}
      >
        <option value="reward">${t("creditKind_reward")}</option>
        <option value="penalty">${t("creditKind_penalty")}</option>
      </select>
      <${FieldError} error=${error} path="body.kind"
    /></label>
    <label
      >${t("creditReason")}
      <select name="reasonCode" value=${values.reasonCode} onChange=${set("reasonCode")}>
        ${REASONS[kind].map((c) => html`<option value=${c}>${t(`creditReason_${c}`)}</option>`)}
      </select>
      <${FieldError} error=${error} path="body.reasonCode"
    /></label>
    <label
      >${kind === "reward" ? t("creditBonusYuan") : t("creditDeductionYuan")}<input
        name="amount"
        inputmode="decimal"
        placeholder="0.00"
        value=${values.amount}
        onInput=${set("amount")} /><${FieldError} error=${error} path="body.amount"
    /></label>
    <label
      >${t("creditPointsAsked")}<input
        name="points"
        inputmode="numeric"
        placeholder="0"
        value=${values.points}
        onInput=${set("points")} /><${FieldError} error=${error} path="body.points"
    /></label>
    <label
      >${t("creditNote")}<input name="note" maxlength="500" value=${values.note} onInput=${set("note")} /><${FieldError}
        error=${error}
        path="body.note"
    /></label>
    <div>
      <button class=${kind === "penalty" ? "danger" : "primary"} type="submit" disabled=${busy} data-testid="credit-decision-submit">
        ${kind === "penalty" ? t("creditIssuePenalty") : t("creditIssueReward")}
      </button>
    </div>
    ${error && html`<${ErrorNote} error=${error} />`}
  </form>`;
}

function Decisions({ id, version }) {
  const { t } = useApp();
  const state = useAsync(() => api(`/v1/admin/technicians/${encodeURIComponent(id)}/credit/decisions`), [id, version]);
  return html`<div>
    <h3>${t("creditDecisions")}</h3>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="credit-decisions"
          heads=${[t("creditWhen"), t("creditDecisionKind"), t("creditReason"), { label: t("creditAmount"), num: true }, { label: t("creditPoints"), num: true }, t("status"), t("creditAppeals")]}
          >${(d) =>
            html`<tr key=${d.id} data-decision=${d.id} data-status=${d.status}>
              <td class="small">${when(d.createdAt)}</td>
              <td>${t(`creditKind_${d.kind}`)}</td>
              <td>${d.reason.text}${d.note ? html`<div class="muted small">${d.note}</div>` : null}</td>
              <td class="num">${money({ amount: d.amount, currency: d.currency })}</td>
              <td class="num">${signed(d.points)}</td>
              <td data-testid="credit-decision-status">${t(`creditDecisionStatus_${d.status}`)}</td>
              <td class="small">
                ${d.appeals.map((a) => html`<div data-appeal=${a.id}>${t(`creditAppealStatus_${a.status}`)} · ${a.reason}</div>`)}
              </td>
            </tr>`}<//
        >`}<//
    >
  </div>`;
}

function AppealRow({ item, done }) {
  const { t } = useApp();
  const [note, setNote] = useState("");
  const decide = (outcome) => async () => {
    await api(`/v1/admin/credit/appeals/${item.id}/decision`, { method: "POST", body: { outcome, note: optional(note, (x) => x.trim()) } });
    done();
  };
  const d = item.decision;
  return html`<tr data-appeal=${item.id} data-status=${item.status}>
    <td class="small">${when(item.createdAt)}</td>
    <td>${item.technicianName} <span class="mono small muted">${item.technicianId}</span></td>
    <td>
      ${d.reason.text} · ${money({ amount: d.amount, currency: d.currency })} · ${signed(d.points)}
      ${d.note ? html`<div class="muted small">${d.note}</div>` : null}
    </td>
    <td data-testid="credit-appeal-reason">${item.reason}</td>
    <td data-testid="credit-appeal-status">
      ${t(`creditAppealStatus_${item.status}`)}${item.decisionNote ? html`<div class="muted small">${item.decisionNote}</div>` : null}
    </td>
    <td>
      ${
        item.status === "open"
          ? html`<span class="inline-form">
              <input
                name="appeal-note"
                maxlength="500"
                placeholder=${t("creditNote")}
                value=${note}
                onInput=${(e) => setNote(e.currentTarget.value)}
              />
              <${Action} label=${t("creditGrant")} kind="primary" run=${decide("granted")} testid="credit-appeal-grant" />
              <${Action} label=${t("creditDeny")} kind="danger" run=${decide("denied")} testid="credit-appeal-deny" />
            </span>`
          : null
      }
    </td>
  </tr>`;
}

function Appeals({ changed }) {
  const { t } = useApp();
  const [status, setStatus] = useState("open");
  const state = useAsync(() => api(`/v1/admin/credit/appeals?${new URLSearchParams({ status, limit: "100" })}`), [status]);
  return html`<div>
    <h2>${t("creditAppealQueue")}</h2>
    <div class="filters">
      <select name="appeal-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)} data-testid="credit-appeal-filter">
        ${["open", "granted", "denied"].map((s) => html`<option value=${s}>${t(`creditAppealStatus_${s}`)}</option>`)}
      </select>
      <button type="button" class="ghost" onClick=${() => state.reload()} data-testid="credit-appeals-reload">${t("creditReload")}</button>
    </div>
    <${Loading} state=${state}
      >${() =>
        html`<${ListTable}
          items=${state.data.items}
          testid="credit-appeals"
          heads=${[t("creditWhen"), t("creditTechnician"), t("creditDecision"), t("creditAppealReason"), t("status"), ""]}
          >${(a) =>
            html`<${AppealRow}
              key=${a.id}
              item=${a}
              done=${() => {
                state.reload();
                changed();
              }}
            />`}<//
        >`}<//
    >
  </div>`;
}

const pct = (bps) => hundredthsText(bps);

function LevelRules() {
  const { t } = useApp();
  const state = useAsync(() => api("/v1/admin/settings/credit"), []);
  return html`<div>
    <h2>${t("creditLevelRules")}</h2>
    <p class="muted small">${t("creditLevelRulesHelp")}</p>
    <${Loading} state=${state}>${() => html`<${RulesForm} key="rules" settings=${state.data} done=${() => state.reload()} />`}<//>
  </div>`;
}

function RulesForm({ settings, done }) {
  const { t } = useApp();
  const r = settings.rules;
  const [values, setValues] = useState(() => ({
    ...Object.fromEntries(
      RANKED.flatMap((l) => [
        [`${l}.minScore`, String(r.thresholds[l].minScore)],
        [`${l}.minJobs`, String(r.thresholds[l].minJobs)],
      ]),
    ),
    ...Object.fromEntries(LEVELS.map((l) => [`${l}.share`, r.technicianShareBps[l] === null ? "" : pct(r.technicianShareBps[l])])),
  }));
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (key) => (e) => setValues({ ...values, [key]: e.currentTarget.value });
  const share = (text) => (String(text).trim() === "" ? null : (toHundredths(text) ?? text));
  const save = async (e) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    setBusy(true);
    try {
      await api("/v1/admin/settings/credit", {
        method: "PUT",
        body: {
          thresholds: Object.fromEntries(
            RANKED.map((l) => [l, { minScore: num(values[`${l}.minScore`]), minJobs: num(values[`${l}.minJobs`]) }]),
          ),
          technicianShareBps: Object.fromEntries(LEVELS.map((l) => [l, share(values[`${l}.share`])])),
        },
      });
      setSaved(true);
      done();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<form onSubmit=${save} data-testid="credit-rules">
    <table>
      <thead>
        <tr>
          <th>${t("creditLevel")}</th>
          <th>${t("creditMinScore")}</th>
          <th>${t("creditMinJobs")}</th>
          <th>${t("creditShare")}</th>
        </tr>
      </thead>
      <tbody>
        ${LEVELS.map(
          (l) =>
            html`<tr data-level=${l}>
              <td>${t(`creditLevel_${l}`)}</td>
              ${["minScore", "minJobs"].map(
                (f) =>
                  html`<td>
                    ${
                      l === "trainee"
                        ? "—"
                        : html`<input
                              name=${`${l}.${f}`}
                              inputmode="numeric"
                              value=${values[`${l}.${f}`]}
                              onInput=${set(`${l}.${f}`)}
                            /><${FieldError} error=${error} path=${`body.thresholds.${l}.${f}`} />`
                    }
                  </td>`,
              )}
              <td>
                <input
                  name=${`${l}.share`}
                  inputmode="decimal"
                  placeholder=${t("creditShareByRules")}
                  value=${values[`${l}.share`]}
                  onInput=${set(`${l}.share`)}
                />
                %<${FieldError} error=${error} path=${`body.technicianShareBps.${l}`} />
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="muted small">
      ${t("creditDefaults")}:
      ${RANKED.map((l) => `${t(`creditLevel_${l}`)} ${settings.defaults.thresholds[l].minScore}/${settings.defaults.thresholds[l].minJobs}`).join(" · ")}
      ${settings.updatedAt ? html` · ${t("creditUpdated")} ${when(settings.updatedAt)}` : null}
    </p>
    <button class="primary" type="submit" disabled=${busy} data-testid="credit-rules-save">${t("save")}</button>
    ${saved ? html` <span class="muted small" data-testid="credit-rules-saved">${t("creditSaved")}</span>` : null}
    ${error && html`<${ErrorNote} error=${error} />`}
  </form>`;
}

export function Credit() {
  const { t } = useApp();
  const [id, setId] = useState(null);
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  return html`<section>
    <h1>${t("credit")}</h1>
    <p class="muted small">${t("creditHelp")}</p>
    <${Picker} value=${id} onPick=${setId} />
    ${
      id
        ? html`<div key=${id}>
            <${Summary} id=${id} version=${version} />
            <${DecisionForm} id=${id} done=${changed} />
            <${Decisions} id=${id} version=${version} />
            <${History} id=${id} version=${version} />
          </div>`
        : null
    }
    <${Appeals} changed=${changed} />
    <${LevelRules} />
  </section>`;
}
