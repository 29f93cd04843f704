// The providers' daily statements (对账单) of a day on the reconciliation screen: each provider's last
// run (lines, totals, a failed attempt) and the mismatches against our payments and refunds, with a
// button that fetches and reconciles the day again (POST /v1/admin/statements/run, audited).
import { api } from "./api.js";
import { html, useApp, useAsync, Action, Loading, money } from "./ui.js";

/** A payment's or refund's status in words: payments have their own labels (已支付, not 已退款). */
function statusText(t, subject, status) {
  return subject === "payment" ? t.status(`payment_${status}`) : t.status(status);
}

export function Statements({ date }) {
  const { t } = useApp();
  const state = useAsync(() => api(`/v1/admin/statements?date=${date}`), [date]);
  const run = async () => {
    await api("/v1/admin/statements/run", { method: "POST", body: { date } });
    state.reload();
  };
  return html`<section class="statements" data-testid="statements">
    <div class="filters">
      <h3>${t("statements")}</h3>
      <${Action} label=${t("fetchStatements")} run=${run} testid="run-statements" />
    </div>
    <p class="muted small">${t("statementsHelp")}</p>
    <${Loading} state=${state}
      >${() => {
        const d = state.data;
        return html`<div class="table-wrap">
            <table data-testid="statement-runs">
              <thead>
                <tr>
                  <th>${t("provider")}</th>
                  <th>${t("statementSource")}</th>
                  <th>${t("status")}</th>
                  <th class="num">${t("statementLines")}</th>
                  <th class="num">${t("reportedPaid")}</th>
                  <th class="num">${t("reportedRefunded")}</th>
                  <th class="num">${t("mismatch")}</th>
                </tr>
              </thead>
              <tbody>
                ${d.providers.map(
                  (p) =>
                    html`<tr data-provider=${p.provider} data-status=${p.run?.status ?? "none"}>
                      <td>${p.provider}</td>
                      <td class="small">${t(`source_${p.source}`)}</td>
                      <td>
                        ${
                          p.run === null
                            ? html`<span class="muted small">${t("statementNotRun")}</span>`
                            : p.run.status === "failed"
                              ? html`<span class="badge s-failed" title=${p.run.error ?? ""}>${t("statementFailed")}</span>`
                              : html`<span class="badge s-succeeded">${p.run.empty ? t("statementEmpty") : t("statementDone")}</span>`
                        }
                      </td>
                      <td class="num">${p.run ? p.run.payments + p.run.refunds : "—"}</td>
                      <td class="num">${p.run ? money(p.run.paid) : "—"}</td>
                      <td class="num">${p.run ? money(p.run.refunded) : "—"}</td>
                      <td class=${`num ${p.run?.mismatches ? "mismatch" : ""}`}>${p.run ? p.run.mismatches : "—"}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>
          <h3>${t("statementMismatches")} <span class="muted small">${d.mismatches.length}</span></h3>
          ${
            d.mismatches.length === 0
              ? html`<p class="muted small">✓ ${t("empty")}</p>`
              : html`<div class="table-wrap">
                  <table data-testid="statement-mismatches">
                    <thead>
                      <tr>
                        <th>${t("provider")}</th>
                        <th>${t("mismatchKind")}</th>
                        <th>${t("mismatchSubject")}</th>
                        <th>ID</th>
                        <th class="num">${t("ourSide")}</th>
                        <th class="num">${t("theirSide")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${d.mismatches.map(
                        (m) =>
                          html`<tr class="mismatch-row" data-kind=${m.kind} data-ref=${m.ref}>
                            <td>${m.provider}</td>
                            <td>${t(`mismatch_${m.kind}`)}</td>
                            <td>${t(`subject_${m.subject}`)}</td>
                            <td class="mono small">
                              ${m.ref}${m.orderId && html` · <a href=${`#/orders/${m.orderId}`}>${m.orderId.slice(-8)}</a>`}
                            </td>
                            <td class="num">${m.ours ? `${money(m.ours.amount)} ${statusText(t, m.subject, m.ours.status)}` : "—"}</td>
                            <td class="num">
                              ${m.theirs ? `${money(m.theirs.amount)} ${statusText(t, m.subject, m.theirs.status)}` : "—"}
                            </td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
          }`;
      }}<//
    >
  </section>`;
}
