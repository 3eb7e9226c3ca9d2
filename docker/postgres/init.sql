-- Database per service: each subgraph gets its own database and its own role, and no role can connect to
-- another service's database. Runs once, when the Postgres volume is first created.
CREATE ROLE accounts LOGIN PASSWORD 'accounts';
CREATE DATABASE storefront_accounts OWNER accounts;
REVOKE ALL ON DATABASE storefront_accounts FROM PUBLIC;

CREATE ROLE catalog LOGIN PASSWORD 'catalog';
CREATE DATABASE storefront_catalog OWNER catalog;
REVOKE ALL ON DATABASE storefront_catalog FROM PUBLIC;
