-- Database per service: each subgraph gets its own database and its own role, and no role can connect to
-- another service's database. Runs once, when the Postgres volume is first created.
CREATE ROLE accounts LOGIN PASSWORD 'accounts';
CREATE DATABASE storefront_accounts OWNER accounts;
REVOKE ALL ON DATABASE storefront_accounts FROM PUBLIC;

CREATE ROLE catalog LOGIN PASSWORD 'catalog';
CREATE DATABASE storefront_catalog OWNER catalog;
REVOKE ALL ON DATABASE storefront_catalog FROM PUBLIC;

CREATE ROLE inventory LOGIN PASSWORD 'inventory';
CREATE DATABASE storefront_inventory OWNER inventory;
REVOKE ALL ON DATABASE storefront_inventory FROM PUBLIC;

CREATE ROLE orders LOGIN PASSWORD 'orders';
CREATE DATABASE storefront_orders OWNER orders;
REVOKE ALL ON DATABASE storefront_orders FROM PUBLIC;

CREATE ROLE payments LOGIN PASSWORD 'payments';
CREATE DATABASE storefront_payments OWNER payments;
REVOKE ALL ON DATABASE storefront_payments FROM PUBLIC;

CREATE ROLE reviews LOGIN PASSWORD 'reviews';
CREATE DATABASE storefront_reviews OWNER reviews;
REVOKE ALL ON DATABASE storefront_reviews FROM PUBLIC;

CREATE ROLE notifications LOGIN PASSWORD 'notifications';
CREATE DATABASE storefront_notifications OWNER notifications;
REVOKE ALL ON DATABASE storefront_notifications FROM PUBLIC;
