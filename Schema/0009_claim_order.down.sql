-- Reverts 0009: drops the claim-order and batch functions.
DROP FUNCTION IF EXISTS hub_batch(anyarray);
DROP FUNCTION IF EXISTS render_claimable(integer);
