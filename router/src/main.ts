#!/usr/bin/env -S npx tsx --max-old-space-size=768
import { runMain } from '@storefront/http-host';
import { startTelemetry } from '@storefront/telemetry';
import { loadRouterConfig } from './config.ts';
import { startRouter } from './router.ts';

startTelemetry('router');
runMain('router', async () => startRouter(loadRouterConfig()));
