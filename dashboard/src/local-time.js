// Local wall-clock time in a city's zone without a time-zone library: the offset of an instant from
// Intl, minutes of a local day, and the instant of a local time. Days with a daylight-saving change
// keep their labels right: 10:00 local is drawn under "10:00" whatever the offset was at midnight.

/** The zone's UTC offset at an instant, in minutes (local − UTC). */
export function offsetMinutes(ms, timeZone) {
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(new Date(ms))
    .find((p) => p.type === "timeZoneName")?.value;
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name ?? "");
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === "-" ? -minutes : minutes;
}

/** Minutes from local midnight of `date` (YYYY-MM-DD) to the instant, on the local clock (a later day adds 1440 a day). */
export function localMinutesOfDay(ms, date, timeZone) {
  const local = ms + offsetMinutes(ms, timeZone) * 60_000;
  return Math.round((local - Date.parse(`${date}T00:00:00Z`)) / 60_000);
}

/**
 * The instant at which the local clock of `date` reads `minutes` (from midnight). A time skipped by
 * a spring change is read with the offset before it (it lands an hour later on the clock).
 */
export function instantOfLocal(date, minutes, timeZone) {
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  const first = wall - offsetMinutes(wall, timeZone) * 60_000;
  const second = wall - offsetMinutes(first, timeZone) * 60_000;
  return offsetMinutes(second, timeZone) === offsetMinutes(first, timeZone) ? second : first;
}
