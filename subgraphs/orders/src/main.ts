import { runMain } from '@storefront/http-host';
import { startTelemetry } from '@storefront/telemetry';
import { loadSubgraphConfig } from '@storefront/prisma-tools';
import { DEFAULT_PORT, start, SUBGRAPH_NAME } from './index.ts';

startTelemetry(SUBGRAPH_NAME);
runMain(SUBGRAPH_NAME, () => start(loadSubgraphConfig(SUBGRAPH_NAME, DEFAULT_PORT)));
