-- Order change notifications for the orderUpdated subscription (src/subscriptions/order-change-feed.ts).
--
-- Each change of an order or its saga NOTIFYs the order's status and checkout state as they then are. Postgres
-- delivers a transaction's notifications only when it commits, all together and in order, so the last one of a
-- transaction for an order is the state it committed (the bridge keeps only that one). The version is the clock
-- at the transaction's first change, taken once per transaction: writers of one order hold its saga (or order)
-- row lock until they commit, so a later transaction's change of the same order always gets a greater version.
-- (Plain triggers: Prisma's schema engine cannot introspect the constraint triggers that would defer to commit.)

CREATE FUNCTION "notify_order_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- The order's id column, named by the trigger (a record's fields cannot be chosen by table in plpgsql).
  changed_id uuid := (to_jsonb(NEW) ->> TG_ARGV[0])::uuid;
  change_version text := current_setting('storefront.order_change_version', true);
  payload json;
BEGIN
  IF change_version IS NULL OR change_version = '' THEN
    change_version := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text;
    PERFORM set_config('storefront.order_change_version', change_version, true);
  END IF;
  SELECT json_build_object(
    'orderId', o."id",
    'version', change_version::bigint,
    'status', o."status",
    'cancelReason', o."cancel_reason",
    'updatedAt', o."updated_at",
    'checkout', CASE WHEN s."order_id" IS NULL THEN NULL ELSE json_build_object(
      'state', s."state",
      'failureReason', s."failure_reason",
      'startedAt', s."started_at",
      'updatedAt', s."updated_at",
      'finishedAt', s."finished_at"
    ) END
  )
  INTO payload
  FROM "orders" o LEFT JOIN "order_sagas" s ON s."order_id" = o."id"
  WHERE o."id" = changed_id;
  IF payload IS NOT NULL THEN
    PERFORM pg_notify('order_changes', payload::text);
  END IF;
  RETURN NULL;
END
$$;

-- Inserted orders are left out: a placed order's saga row is inserted in the same transaction, and seeded
-- history (no saga) would otherwise announce every row it loads.
CREATE TRIGGER "orders_notify_change" AFTER UPDATE ON "orders"
  FOR EACH ROW EXECUTE FUNCTION "notify_order_change"('id');

CREATE TRIGGER "order_sagas_notify_change" AFTER INSERT OR UPDATE ON "order_sagas"
  FOR EACH ROW EXECUTE FUNCTION "notify_order_change"('order_id');
