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
COPY tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
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
# The numeric id of the image's `node` user: Kubernetes' runAsNonRoot can only verify a numeric USER.
USER 1000:1000
EXPOSE 8080
# Exec form, not `npm start`: node is PID 1 and receives SIGTERM itself, so the graceful drain
# (src/server/drain.ts) runs; npm or a shell in between would not forward the signal.
CMD ["node", "dist/main.js"]
