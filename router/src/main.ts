#!/usr/bin/env -S npx tsx
import { runMain } from '@storefront/common';
import { loadRouterConfig } from './config.ts';
import { startRouter } from './router.ts';

runMain('router', async () => startRouter(loadRouterConfig()));
