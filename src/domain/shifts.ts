/** Days of the week as used by weekly shift templates (ISO order, Monday first). */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A working interval in local wall-clock time, "HH:MM" to "HH:MM" (end may be "24:00"). */
export interface ShiftInterval {
  start: string;
  end: string;
}

/** A weekly template in the cell's local time. */
export type WeeklyShifts = Record<Weekday, ShiftInterval[]>;

/** The platform default when neither the technician nor the merchant has shifts: 08:00–20:00 daily. */
export const DEFAULT_WEEKLY_SHIFTS: WeeklyShifts = Object.fromEntries(
  WEEKDAYS.map((d) => [d, [{ start: "08:00", end: "20:00" }]]),
) as WeeklyShifts;
