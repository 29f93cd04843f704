import type { Role } from "./domain/roles";

/** Who is calling, taken from a verified access token. */
export interface Auth {
  accountId: string;
  roles: Role[];
  /** The merchant a merchant_admin acts for. */
  merchantId: string | null;
  /** The technician profile of a technician account. */
  technicianId: string | null;
  /** The account's token version the token was issued under (absent: issued before versions, taken as 0). */
  tokenVersion?: number;
}

/** Hono environment of the Worker: bindings from `wrangler types` plus per-request variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    auth: Auth | undefined;
  };
}
