-- 0019: an owed delivery an operator gives up on (issue 16). The machine that holds the rendered
-- file is gone for good, or the file was copied by hand: `hubctl delivery drop ID --reason …`
-- marks it dropped, with who and why in last_error. It is no longer owed: the delivery_failed
-- alert resolves, the retention purge may remove its instruction, and no worker tries it again.
ALTER TABLE render_deliveries DROP CONSTRAINT render_deliveries_status_check;
ALTER TABLE render_deliveries ADD CONSTRAINT render_deliveries_status_known
    CHECK (status IN ('pending', 'delivered', 'dropped'));
