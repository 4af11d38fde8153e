// Lengths of time in milliseconds (and the hour in seconds, for rates per hour), defined once.
// Calendar units (days, weeks) are UTC lengths: a local day across a DST change is not DAY_MS;
// src/timeseries/zone.ts knows the difference.

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;

export const HOUR_S = HOUR_MS / SECOND_MS;
