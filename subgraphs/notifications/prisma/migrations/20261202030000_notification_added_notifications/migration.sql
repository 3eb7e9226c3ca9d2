-- New in-app notifications for the notificationAdded subscription (src/subscriptions/notification-added.ts).
-- Postgres delivers a NOTIFY only when its transaction commits; the payload names the user and the new row.
CREATE FUNCTION "notify_notification_added"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('notifications_added', json_build_object('userId', NEW."user_id", 'notificationId', NEW."id")::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER "notifications_notify_added" AFTER INSERT ON "notifications"
  FOR EACH ROW EXECUTE FUNCTION "notify_notification_added"();
