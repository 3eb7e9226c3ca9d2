# syntax=docker/dockerfile:1
# One image for every role (router, each subgraph, migrations, seed); docker-compose.yml picks the command.
# TypeScript runs through tsx, so the image carries sources rather than a build.

FROM node:20-bookworm-slim AS install
WORKDIR /app
COPY . .
# npm ci's postinstall generates each subgraph's Prisma client; dev tools (jest, eslint) are left out.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=install --chown=node:node /app /app
USER node
EXPOSE 4000
CMD ["node", "--import", "tsx", "router/src/main.ts"]
