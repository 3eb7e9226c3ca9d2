-- Stock change notifications for the stockChanged subscription (src/subscriptions/stock-changed.ts).
--
-- Postgres delivers notifications only when their transaction commits, and delivers identical payloads of one
-- transaction (the warehouses of one product) once. The version is the clock at the transaction's first change,
-- taken once per transaction; subscribers drop copies and anything not newer. (A plain trigger: Prisma's schema
-- engine cannot introspect constraint triggers.)

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
CREATE TRIGGER "stock_levels_notify_change" AFTER UPDATE ON "stock_levels"
  FOR EACH ROW EXECUTE FUNCTION "notify_stock_change"();
