#!/usr/bin/env -S npx tsx
import { runMain, startTelemetry } from '@storefront/common';
import { loadRouterConfig } from './config.ts';
import { startRouter } from './router.ts';

startTelemetry('router');
runMain('router', async () => startRouter(loadRouterConfig()));
