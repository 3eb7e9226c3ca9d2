#!/usr/bin/env -S npx tsx --max-old-space-size=768
import { runMain, startTelemetry } from '@storefront/common';
import { loadRouterConfig } from './config.ts';
import { startRouter } from './router.ts';

startTelemetry('router');
runMain('router', async () => startRouter(loadRouterConfig()));
