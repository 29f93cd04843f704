const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A new opaque id with a type prefix, e.g. `ord_01JD3…`. The body is time-ordered (ULID layout:
 * 48-bit milliseconds then 80 random bits), so ids sort by creation and serve as list cursors.
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${crockford(now, randomBytes16())}`;
}

/** Random bytes drawn 4 KiB at a time: one call into the runtime per 256 ids instead of one per id. */
const pool = new Uint8Array(4096);
let used = pool.length;

function randomBytes16(): Uint8Array {
  if (used + 16 > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  used += 16;
  return pool.subarray(used - 16, used);
}

/** An id's body: `time` (ms) in 10 characters, then 16 characters from `bytes` (at least 16). */
export function crockford(time: number, bytes: Uint8Array): string {
  const out = new Array<string>(26);
  let t = time;
  for (let i = 9; i >= 0; i--) {
    out[i] = CROCKFORD[t % 32]!;
    t = Math.floor(t / 32);
  }
  for (let i = 0; i < 16; i++) out[10 + i] = CROCKFORD[bytes[i]! % 32]!;
  return out.join("");
}

/**
 * `n` new ids minted at the same instant, in ascending order: records made together (timeline
 * entries of one write) then sort in the order they were made even within one millisecond.
 */
export function newIds(prefix: string, n: number, now = Date.now()): string[] {
  return Array.from({ length: n }, () => newId(prefix, now)).sort();
}
