// What the sign of a power reading means, said where the reading is shown (device page captions and
// metric tables, site page cards), since "+250 kW" on a battery or a meter means nothing without it.

/** Battery power's sign, as the simulator writes it and as an integration must send it. */
export const BATTERY_POWER_SIGN = 'Positive while discharging (delivering power), negative while charging.';

/**
 * A grid meter measures the site's connection: what the site uses that its own generation and
 * batteries do not cover. So its power is on-site load − production − battery discharge.
 */
export const METER_POWER_SIGN =
  'Power through the grid connection: positive while importing, negative while exporting (on-site load − production − battery discharge).';

const SHORT = { battery: '+ discharging, − charging', meter: '+ importing, − exporting' } as const;

/**
 * The meaning of a metric's sign, or null where it needs none (a PV array's power is never negative);
 * `short` for a narrow card, where the full sentence would take more room than the value.
 */
export function powerSign(deviceType: string, key: string, short = false): string | null {
  if (key !== 'power' || (deviceType !== 'battery' && deviceType !== 'meter')) return null;
  if (short) return SHORT[deviceType];
  return deviceType === 'battery' ? BATTERY_POWER_SIGN : METER_POWER_SIGN;
}
