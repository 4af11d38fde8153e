-- Hand-written: metrics made before energy roles existed get their device type's default roles
-- (src/domain/device-types.ts), as a device made today would. "Before roles existed" is read from the
-- audit trail: every audit row written since records each metric's energyRole (null included), so a
-- metric no row gives a role to was never offered one; a role cleared on purpose stays cleared. A PV
-- array on a site with an inverter gets none, as the inverter's energy already counts its output
-- (docs/energy.md, "Count each flow once"). No audit row is written for this change.
WITH `defaults`(`type`, `key`, `role`) AS (VALUES
  ('battery', 'soc', 'battery_soc'), ('battery', 'power', 'battery_power'),
  ('inverter', 'power', 'production_power'), ('inverter', 'energy', 'production'),
  ('pv_array', 'power', 'production_power'), ('pv_array', 'energy', 'production'),
  ('wind_turbine', 'power', 'production_power'),
  ('meter', 'import_energy', 'grid_import'), ('meter', 'export_energy', 'grid_export'), ('meter', 'power', 'grid_power'),
  ('ev_charger', 'power', 'consumption_power'), ('ev_charger', 'energy', 'consumption'),
  ('heat_pump', 'power', 'consumption_power'),
  ('generator', 'power', 'production_power'))
UPDATE `metrics` SET `energy_role` = (
  SELECT df.`role` FROM `defaults` df JOIN `devices` d ON d.`type` = df.`type`
   WHERE d.`id` = `metrics`.`device_id` AND df.`key` = `metrics`.`key`)
 WHERE `energy_role` IS NULL
   AND EXISTS (SELECT 1 FROM `defaults` df JOIN `devices` d ON d.`type` = df.`type`
                WHERE d.`id` = `metrics`.`device_id` AND df.`key` = `metrics`.`key`
                  AND NOT (d.`type` = 'pv_array' AND EXISTS (
                    SELECT 1 FROM `devices` i WHERE i.`site_id` = d.`site_id` AND i.`type` = 'inverter')))
   AND NOT EXISTS (SELECT 1 FROM `audit_log` a
                    WHERE a.`entity_type` = 'metric' AND a.`entity_id` = `metrics`.`id`
                      AND (json_type(a.`after`, '$.energyRole') IS NOT NULL OR json_type(a.`before`, '$.energyRole') IS NOT NULL))
   AND NOT EXISTS (SELECT 1 FROM `audit_log` a, json_each(coalesce(a.`after`, a.`before`), '$.metrics') j
                    WHERE a.`entity_type` = 'device' AND a.`entity_id` = `metrics`.`device_id`
                      AND json_extract(j.`value`, '$.id') = `metrics`.`id` AND json_type(j.`value`, '$.energyRole') IS NOT NULL);
