/** Signing secrets of subscriptions: made, sealed to their row (Pii), and the ones that sign now. */
import type { SubscriptionRow } from "../db/repositories/webhooks.repo";
import { randomToken } from "../lib/encoding";
import { Pii } from "../lib/pii";

/** A new signing secret: `whsec_` and 32 random bytes. */
export const newSecret = () => `whsec_${randomToken(32)}`;

export const slot = (rowId: string, field: "secret" | "previous_secret") => ({ table: "webhook_subscriptions", field, rowId });

/** The secrets a delivery is signed with now: the current one, then the previous one during its overlap. */
export async function signingSecrets(env: Env, row: SubscriptionRow, now: number): Promise<string[]> {
  const pii = await Pii.fromEnv(env);
  const secrets = [await pii.open(slot(row.id, "secret"), row.secretEnc)];
  if (row.previousSecretEnc && row.previousSecretUntil !== null && row.previousSecretUntil > now) {
    secrets.push(await pii.open(slot(row.id, "previous_secret"), row.previousSecretEnc));
  }
  return secrets;
}
