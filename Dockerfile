# syntax=docker/dockerfile:1
# One image for every role: router, each subgraph, each worker, migrations, seed, the shop (web). The command picks the role
# (docker-compose.yml and infrastructure/ show each one). Long-running processes run the JavaScript `npm run build`
# emits (each workspace's dist/, `node --conditions=production <workspace>/dist/main.js`); only the one-off seed job
# runs TypeScript (the subgraphs' prisma/seed.ts) through tsx.
ARG NODE_IMAGE=node:20-bookworm-slim

# Only the package manifests, so the dependency layer below is rebuilt when they change, not on every edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -name .npmrc -delete \
 && find . -depth -type d -empty -delete

# The build needs the compiler, so it installs everything, builds, then prunes to production dependencies: jest,
# eslint, typescript and the test-only packages stay out of the image. Install scripts are skipped (none of the
# production packages needs one; the Prisma clients are generated explicitly below).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /app ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The Prisma clients, the shop's production build (web/dist, served by the `web` role) and every process's JavaScript.
RUN npm run generate --silent \
 && node node_modules/vite/bin/vite.js build --config web/vite.config.ts --logLevel warn \
 && node --import tsx scripts/build.ts \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The runtime has no npm, npx, corepack or yarn: processes start with `node` directly.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the process: the code cannot be changed by what runs it. Only /tmp (tsx's
# transform cache, for the seed job) needs to be writable, so containers can run with a read-only root filesystem.
COPY --from=build /app /app
# The image's `node` user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 4000
# Asks the container's own port (WORKER_PORT for workers, else PORT) for /ready; works for every long-running role.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
# The router's old space is capped at 768 MB (docs/operations.md, "Router memory"): under that cap V8 grows the heap
# about 1.6x its live size between full collections instead of up to 4x.
CMD ["node", "--max-old-space-size=768", "--conditions=production", "router/dist/main.js"]
