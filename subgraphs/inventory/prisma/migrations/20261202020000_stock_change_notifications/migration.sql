-- Stock change notifications for the stockChanged subscription (src/subscriptions/stock-changed.ts).
--
-- A constraint trigger deferred to commit: only committed transactions notify, and the warehouses of one
-- product changed in one transaction give the same payload, which Postgres delivers once. The version is the
-- commit-time clock, taken once per transaction; subscribers drop copies and anything not newer.

CREATE FUNCTION "notify_stock_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change_version text := current_setting('storefront.stock_change_version', true);
BEGIN
  IF NEW."available" IS NOT DISTINCT FROM OLD."available" AND NEW."reserved" IS NOT DISTINCT FROM OLD."reserved" THEN
    RETURN NULL;
  END IF;
  IF change_version IS NULL OR change_version = '' THEN
    change_version := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text;
    PERFORM set_config('storefront.stock_change_version', change_version, true);
  END IF;
  PERFORM pg_notify('stock_changes', json_build_object('productId', NEW."product_id", 'version', change_version::bigint)::text);
  RETURN NULL;
END
$$;

-- Updates only: loading stock for new products (seeding, imports) announces nothing.
CREATE CONSTRAINT TRIGGER "stock_levels_notify_change" AFTER UPDATE ON "stock_levels"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "notify_stock_change"();
