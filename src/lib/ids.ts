const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A new opaque id with a type prefix, e.g. `ord_01JD3…`. The body is time-ordered (ULID layout:
 * 48-bit milliseconds then 80 random bits), so ids sort by creation and serve as list cursors.
 */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}_${crockford(now, crypto.getRandomValues(new Uint8Array(16)))}`;
}

/** An id's body: `time` (ms) in 10 characters, then 16 characters from `bytes` (at least 16). */
export function crockford(time: number, bytes: Uint8Array): string {
  let head = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[t % 32] + head;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (const b of bytes.subarray(0, 16)) rand += CROCKFORD[b % 32];
  return head + rand;
}

/**
 * `n` new ids minted at the same instant, in ascending order: records made together (timeline
 * entries of one write) then sort in the order they were made even within one millisecond.
 */
export function newIds(prefix: string, n: number, now = Date.now()): string[] {
  return Array.from({ length: n }, () => newId(prefix, now)).sort();
}
