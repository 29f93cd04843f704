import { isPlatform } from "../domain/roles";
import type { Auth } from "../env";
import { AppError } from "../errors";

/**
 * The merchant a caller is confined to: undefined for operators and admins (every merchant), the
 * caller's own merchant for a merchant_admin (403 when the account acts for none).
 */
export function merchantScope(actor: Auth): string | undefined {
  if (isPlatform(actor.roles)) return undefined;
  if (!actor.merchantId) {
    throw AppError.of("FORBIDDEN");
  }
  return actor.merchantId;
}
