-- The simulator used to drive every device; from now on only those marked simulated. Devices created
-- by nobody (the demo and synthetic seeds write their audit rows without an actor) keep being driven;
-- any device a person or a token created stops being overwritten.
UPDATE `devices` SET `simulated` = 1
 WHERE `id` IN (SELECT `entity_id` FROM `audit_log`
                 WHERE `entity_type` = 'device' AND `action` = 'create' AND `actor_id` IS NULL);
