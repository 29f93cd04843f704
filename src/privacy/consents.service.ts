/**
 * Consents (README "Personal data"): a person grants or withdraws each purpose for which the
 * platform shows their personal data to someone else; every change is one row of consent_events.
 * Where the sharing happens the current state is read (`mayShare`), one indexed D1 read.
 *
 * This module imports no other area, so the areas that share (visit, dispatch) can read it without
 * an import cycle.
 */
import { config } from "../config";
import { getDb } from "../db/client";
import { AppError } from "../errors";
import { accountOfTechnician, consentHistory, insertConsent, latestConsent, type ConsentEventRow } from "./privacy.repo";

/**
 * The purposes and their defaults when the person has recorded no choice:
 * - `location_sharing`: a technician's live position shown to the customer of the order they are
 *   travelling to (`GET /v1/orders/{id}/track`). Default granted: live tracking is part of the
 *   technician terms; the technician app asks at the first tracking (`source: "default"` in
 *   `GET /v1/me/consents` means it has not asked yet) and records the answer. Withdrawn: tracking
 *   is refused (409 LOCATION_SHARING_OFF) and open tracking sockets are closed at once; positions
 *   still reach dispatch (the platform's own use, not sharing).
 * - `contact_sharing`: a customer's contact phone shown to the order's technician. Default granted
 *   (calling the customer is part of performing the order). Withdrawn: the technician sees only the
 *   virtual number when number privacy bound one, otherwise the masked number; never the real one.
 */
export const PURPOSES = {
  location_sharing: { defaultGranted: true },
  contact_sharing: { defaultGranted: true },
} as const;
export type Purpose = keyof typeof PURPOSES;
export const PURPOSE_NAMES = Object.keys(PURPOSES) as [Purpose, ...Purpose[]];

export interface ConsentState {
  purpose: Purpose;
  granted: boolean;
  /** recorded: the person chose; default: no choice recorded yet (the purpose's default applies). */
  source: "recorded" | "default";
  policyVersion: string | null;
  at: string | null;
}

const stateOf = (purpose: Purpose, row: ConsentEventRow | undefined): ConsentState =>
  row
    ? { purpose, granted: row.granted, source: "recorded", policyVersion: row.policyVersion, at: new Date(row.at).toISOString() }
    : { purpose, granted: PURPOSES[purpose].defaultGranted, source: "default", policyVersion: null, at: null };

/** Whether the account currently allows `purpose` (its newest record, else the default). */
export async function mayShare(env: Env, accountId: string, purpose: Purpose): Promise<boolean> {
  return grantedBy(purpose, await latestConsent(getDb(env), accountId, purpose));
}

/** Whether `purpose` is allowed by this newest record of it (none: the purpose's default). */
export const grantedBy = (purpose: Purpose, newest: ConsentEventRow | undefined): boolean => stateOf(purpose, newest).granted;

/** Every purpose's current state and the history of changes (newest first). */
export async function consentsOf(env: Env, accountId: string) {
  const history = await consentHistory(getDb(env), accountId);
  const items = PURPOSE_NAMES.map((p) =>
    stateOf(
      p,
      history.find((h) => h.purpose === p),
    ),
  );
  return {
    policyVersion: config(env).PRIVACY_POLICY_VERSION,
    items,
    history: history.map((h) => ({
      purpose: h.purpose as Purpose,
      granted: h.granted,
      policyVersion: h.policyVersion,
      client: h.client,
      at: new Date(h.at).toISOString(),
    })),
  };
}

/**
 * Records a grant or withdrawal under the policy version the person was shown; a version other
 * than the current one is refused (409 POLICY_VERSION_STALE): the app shows the new text first.
 */
export async function recordConsent(
  env: Env,
  accountId: string,
  input: { purpose: Purpose; granted: boolean; policyVersion: string; client: string },
  now = Date.now(),
): Promise<ConsentState> {
  const current = config(env).PRIVACY_POLICY_VERSION;
  if (input.policyVersion !== current) throw AppError.of("POLICY_VERSION_STALE", { current }, { extra: { current } });
  const row = await insertConsent(getDb(env), {
    accountId,
    purpose: input.purpose,
    granted: input.granted,
    policyVersion: current,
    client: input.client,
    at: now,
  });
  return stateOf(input.purpose, row);
}

/** What a client calls itself: `X-Client` when sent, else the start of its User-Agent (never an IP). */
export function clientOf(headers: { get(name: string): string | null | undefined }): string {
  const named = headers.get("X-Client")?.trim();
  const ua = headers.get("User-Agent")?.trim();
  return (named || ua || "unknown").slice(0, 120);
}

/** Whether the technician currently lets the customers of their orders see their live position. */
export async function technicianSharesLocation(env: Env, technicianId: string): Promise<boolean> {
  const accountId = await accountOfTechnician(getDb(env), technicianId);
  return accountId === undefined ? false : mayShare(env, accountId, "location_sharing");
}
