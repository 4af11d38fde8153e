ALTER TABLE `rollups_1h` ADD `delta_prev` real DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `rollups_1h` SET `delta_prev` = coalesce((
  SELECT CASE WHEN `rollups_1h`.`first` >= p.`last` THEN `rollups_1h`.`first` - p.`last` ELSE `rollups_1h`.`first` END
    FROM `rollups_1h` p
   WHERE p.`metric_pk` = `rollups_1h`.`metric_pk` AND p.`start` < `rollups_1h`.`start`
   ORDER BY p.`start` DESC LIMIT 1), 0);
