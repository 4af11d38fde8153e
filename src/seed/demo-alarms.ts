// The demo's alarm rules, installed with the demo fleet (before its history is written, so the
// history's evenings and trips already raise and clear alarms): a new user finds active and cleared
// alarms at the first start (docs/alarms.md, "Demo").
import type { AlarmRuleInput } from '../db/repositories/alarms.js';
import type { Repositories } from '../db/repositories/index.js';

const rule = (r: Partial<AlarmRuleInput> & Pick<AlarmRuleInput, 'condition' | 'severity'>): AlarmRuleInput => ({
  threshold: null,
  low: null,
  high: null,
  clearThreshold: null,
  forSeconds: 0,
  noDataMinutes: null,
  enabled: true,
  ...r,
});

/** Site name → rules on a device type's metric key across that site. */
const RULES: Record<string, { deviceType: string; metricKey: string; rule: AlarmRuleInput }[]> = {
  // The storage block runs low on some evenings (the evening peak empties it nearly, and some days
  // fully, to 5 %); it clears once the midday sun has charged it again.
  'Sevilla Solar Farm': [
    {
      deviceType: 'battery',
      metricKey: 'soc',
      rule: rule({ condition: 'below', threshold: 10, clearThreshold: 20, forSeconds: 300, severity: 'major' }),
    },
  ],
  // A tripped turbine stands still for 40 minutes to 2 hours; one in a long calm does too, which
  // is worth a look as well.
  'Alpine Wind Park': [
    {
      deviceType: 'wind_turbine',
      metricKey: 'power',
      rule: rule({ condition: 'below', threshold: 1, clearThreshold: 50, forSeconds: 2400, severity: 'critical' }),
    },
  ],
  // The heat pump's datalogger goes silent for 20 minutes every 3 hours (src/simulator/outages.ts).
  'Berlin Office Battery': [
    {
      deviceType: 'heat_pump',
      metricKey: 'power',
      rule: rule({ condition: 'no_data', noDataMinutes: 10, severity: 'minor' }),
    },
  ],
};

export async function seedDemoAlarmRules(repos: Repositories, siteIds: ReadonlyMap<string, string>): Promise<number> {
  let n = 0;
  for (const [site, rules] of Object.entries(RULES)) {
    const siteId = siteIds.get(site);
    if (!siteId) continue;
    for (const r of rules) {
      await repos.alarms.createRule(
        { siteId, metricPk: null, deviceType: r.deviceType, metricKey: r.metricKey },
        r.rule,
        null,
      );
      n++;
    }
  }
  return n;
}
