# syntax=docker/dockerfile:1
# The Greeter server image for Knative (Cloud Run for Anthos) and fully managed Cloud Run.
# Two stages: `build` compiles TypeScript with the dev dependencies; `runtime` holds only
# production dependencies, dist/ and proto/ (no sources, no compiler, no test tooling).

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a source change does not re-download them. --ignore-scripts skips
# `prepare` (the build), which cannot run before the sources are copied.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.types.json ./
COPY proto ./proto
COPY src ./src
# The build's second step bundles the server's entry (scripts/bundle-server.ts).
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Cloud Run and Knative set PORT; this is the default for `docker run` (src/config.ts DEFAULT_PORT).
ENV PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
# Node's module compile cache, filled here because the root filesystem is read-only at run time: each
# start then loads V8's compiled code instead of compiling the server's modules again (a shorter cold
# start; `npm run bench:cold-start`). Node keeps a cache per user id, so it is filled as the user
# that runs the server; a start as another user, or under another Node, finds none and compiles.
ENV NODE_COMPILE_CACHE=/app/node-compile-cache
RUN install -d -o 1000 -g 1000 "$NODE_COMPILE_CACHE"
# The numeric id of the image's `node` user: Kubernetes' runAsNonRoot can only verify a numeric USER.
USER 1000:1000
# Loads (does not start) the server: everything `node dist/main.js` loads before its first reply.
RUN node --input-type=module -e "await import('/app/dist/main-server.js')"
EXPOSE 8080
# Exec form, not `npm start`: node is PID 1 and receives SIGTERM itself, so the graceful drain
# (src/server/drain.ts) runs; npm or a shell in between would not forward the signal.
CMD ["node", "dist/main.js"]
