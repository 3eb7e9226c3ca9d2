#!/usr/bin/env node
// @ts-check
import { register } from 'node:module';

/*
 * `storefront-router` (npx storefront-router, or the package's bin once installed): the compiled router
 * (`npm run build` → router/dist). The workspaces export their compiled JavaScript under the `production`
 * condition, which a bin cannot pass on node's command line; this resolve hook adds it instead.
 */
register(
  'data:text/javascript,' +
    encodeURIComponent('export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, "production"] }); }'),
);
await import(new URL('../dist/main.js', import.meta.url).href);
