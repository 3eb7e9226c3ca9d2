import { runMain } from '@storefront/http-host';
import { startTelemetry } from '@storefront/telemetry';
import { loadOperationsConfig } from './config.ts';
import { DEFAULT_PORT, start, SUBGRAPH_NAME } from './index.ts';

startTelemetry(SUBGRAPH_NAME);
runMain(SUBGRAPH_NAME, () => start(loadOperationsConfig(SUBGRAPH_NAME, DEFAULT_PORT)));
