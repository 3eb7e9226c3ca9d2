import { runMain } from '@storefront/http-host';
import { startTelemetry } from '@storefront/telemetry';
import { loadSubgraphConfig } from '@storefront/prisma-tools';
import { DEFAULT_PORT, start, SUBGRAPH_NAME } from './index.ts';
import { loadPaymentsSettings } from './payments-settings.ts';

startTelemetry(SUBGRAPH_NAME);
runMain(SUBGRAPH_NAME, async () => start(loadSubgraphConfig(SUBGRAPH_NAME, DEFAULT_PORT), undefined, { settings: loadPaymentsSettings() }));
