/** Types shared by the CellDO and its callers. RPC results are discriminated unions, never thrown errors. */
import type { ShiftException } from "../src/domain/calendar";
import type { ShiftInterval, WeeklyShifts } from "../src/domain/shifts";

export type { ShiftException, ShiftInterval, WeeklyShifts };

/** What a cell needs to know about a technician it owns. D1 stays the record; this is its copy. */
export interface TechnicianProfile {
  id: string;
  merchantId: string | null;
  name: string;
  skills: string[];
  home: { lat: number; lng: number };
  serviceRadiusKm: number;
  status: "pending" | "approved" | "rejected" | "suspended" | "removed";
  ratingX100: number;
  /** The home city's time zone: shifts are wall-clock times there. */
  timeZone: string;
  /** Weekly shifts to start with when the cell has none for this technician yet. */
  defaultWeekly: WeeklyShifts;
}

export type CellFailure =
  | { ok: false; code: "UNKNOWN_TECHNICIAN" }
  | { ok: false; code: "TECHNICIAN_MOVING" }
  | { ok: false; code: "TECHNICIAN_MOVED"; cell: string }
  | { ok: false; code: "UNKNOWN_ORDER" }
  | { ok: false; code: "SLOT_UNAVAILABLE"; clashWith?: string }
  | { ok: false; code: "OUTSIDE_SHIFT" }
  | { ok: false; code: "HOLD_EXPIRED" }
  | { ok: false; code: "ORDER_CONFLICT" }
  | { ok: false; code: "INVALID_INTERVAL" };

export type CellResult<T = object> = ({ ok: true } & T) | CellFailure;

export interface HoldRequest {
  technicianId: string;
  orderId: string;
  start: number;
  end: number;
  /** Where the job is: travel to and from neighbouring jobs is measured from here. */
  lat: number;
  lng: number;
  /** How long the hold lives before it expires unless confirmed. */
  ttlMs: number;
  /** Operators may place a job outside the technician's shifts; clashes are never allowed. */
  ignoreShifts?: boolean;
}

export interface CalendarItem {
  orderId: string;
  technicianId: string;
  start: number;
  end: number;
  lat: number;
  lng: number;
  state: "held" | "booked";
  expiresAt: number | null;
}

export interface AvailabilityQuery {
  /** Slot start instants to evaluate (UTC ms), already filtered by lead time and horizon. */
  starts: number[];
  durationMinutes: number;
  skills: string[];
  lat: number;
  lng: number;
  technicianId?: string;
  /** The newest profile update D1 knows for this cell's technicians (ms). */
  rosterVersion?: number;
}

export interface ShiftsView {
  technicianId: string;
  timeZone: string;
  /** True when the technician still works the default template. */
  isDefault: boolean;
  weekly: WeeklyShifts;
  exceptions: ShiftException[];
}

export interface PresenceView {
  technicianId: string;
  online: boolean;
  lat: number | null;
  lng: number | null;
  accuracy: number | null;
  heading: number | null;
  battery: number | null;
  lastSeenAt: number | null;
}

export interface PositionUpdate {
  lat: number;
  lng: number;
  accuracy?: number;
  heading?: number;
  battery?: number;
}

/** A technician's calendar in flight between two cells. */
export interface TransferSnapshot {
  transferId: string;
  fromCell: string;
  profile: TechnicianProfile;
  weekly: WeeklyShifts | null;
  exceptions: ShiftException[];
  items: CalendarItem[];
}

/** A technician who could take a job, with the facts dispatch scores. */
export interface Candidate {
  technicianId: string;
  /** As the cell's copy of the profile has it (kept in step with D1 by the roster version). */
  name: string;
  merchantId: string | null;
  ratingX100: number;
  /** From the previous job that day, or from home. */
  travelKm: number;
  jobsThatDay: number;
}

export interface CandidateQuery {
  start: number;
  end: number;
  lat: number;
  lng: number;
  skills: string[];
  /** Technicians already tried for this order. */
  exclude: string[];
  rosterVersion?: number;
  /** A flexible-window job: it may start anywhere in [start, latestStart] (durable/window-hold.ts). */
  latestStart?: number;
}

/** One move of a multi-move: the interval (by its key) goes to `technicianId` at [start, end). */
export interface CellMove {
  orderId: string;
  technicianId: string;
  start: number;
  end: number;
  /** A new booking for an order the cell holds nothing for yet, at this point. */
  place?: { lat: number; lng: number };
  /** Skills the technician must have (and be approved) to take it. */
  skills?: string[];
}

/** Why a move was refused (stable codes). */
export type MoveRefusal =
  | "INVALID_INTERVAL"
  | "DUPLICATE_ORDER"
  | "UNKNOWN_ORDER"
  | "HOLD_EXPIRED"
  | "ORDER_CONFLICT"
  | "UNKNOWN_TECHNICIAN"
  | "TECHNICIAN_MOVING"
  | "NOT_QUALIFIED"
  | "OUTSIDE_SHIFT"
  | "SLOT_UNAVAILABLE";

/** The move that made a multi-move fail: its place in the list, and why. */
export interface MoveFailure {
  index: number;
  orderId: string;
  technicianId: string;
  reason: MoveRefusal;
  /** For SLOT_UNAVAILABLE: the interval it clashes with. */
  clashWith?: string;
}

export type MovesResult = { ok: true; items: CalendarItem[] } | { ok: false; code: "MOVE_REFUSED"; failure: MoveFailure };
