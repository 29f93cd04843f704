export const ROLES = ["customer", "technician", "merchant_admin", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** Roles that run the platform and see every merchant. */
export const PLATFORM_ROLES: readonly Role[] = ["operator", "admin"];

export function isPlatform(roles: readonly Role[]): boolean {
  return roles.some((r) => PLATFORM_ROLES.includes(r));
}

/** Adds roles without duplicates, in the canonical order. */
export function withRoles(current: readonly Role[], add: readonly Role[]): Role[] {
  const set = new Set<Role>([...current, ...add]);
  return ROLES.filter((r) => set.has(r));
}
