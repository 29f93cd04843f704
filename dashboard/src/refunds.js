// The decision on a requested refund, used by the money screen and the order drawer.
import { useState } from "preact/hooks";
import { api } from "./api.js";
import { html, useApp, Action, ErrorNote, FieldError, hundredthsText, toHundredths } from "./ui.js";

/** Approve a requested refund in full or for less (an amount in yuan), or reject it with a reason. */
export function RefundDecision({ refund, onDone }) {
  const { t } = useApp();
  const [amount, setAmount] = useState(hundredthsText(refund.amount.amount));
  const [reason, setReason] = useState("");
  const [error, setError] = useState(null);
  /** @param {"approve" | "reject"} decision */
  const decide = async (decision) => {
    setError(null);
    try {
      const minor = toHundredths(amount);
      const body = decision === "approve" ? (minor === refund.amount.amount ? {} : { amount: minor ?? amount }) : { reason };
      await api(`/v1/admin/refunds/${refund.id}/${decision}`, { method: "POST", body });
      onDone?.();
    } catch (e) {
      setError(e);
    }
  };
  return html`<div class="decision" data-testid=${`decide-${refund.id}`}>
    <label class="inline"
      >¥<input name="refundAmount" inputmode="decimal" size="7" value=${amount} onInput=${(e) => setAmount(e.currentTarget.value)}
    /></label>
    <${Action} label=${t("approve")} kind="primary" run=${() => decide("approve")} testid="approve-refund" />
    <input name="refundRejectReason" placeholder=${t("rejectReason")} value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} />
    <${Action} label=${t("reject")} kind="danger" run=${() => decide("reject")} disabled=${!reason.trim()} testid="reject-refund" />
    <${FieldError} error=${error} path="body.amount" />
    ${error && !error.body?.errors && html`<${ErrorNote} error=${error} />`}
  </div>`;
}
