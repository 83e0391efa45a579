# The snagsync Airbyte source connector image. Airbyte runs it as `<image> spec|check|discover|read …` (the entry
# point below is `snagsync airbyte`); the same image runs any other snagsync command with --entrypoint.
#
#   docker build -t snagsync/source-bugsnag:0.1.0 .
#
# Keep io.airbyte.version equal to package.json's version and metadata.yaml's dockerImageTag (a test checks).

FROM node:20-bookworm-slim AS build
WORKDIR /build
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bin ./bin
# `npm ci` builds dist/ (the prepare script); then the dev dependencies go.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /airbyte/integration_code
COPY --from=build /build/package.json ./package.json
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY --from=build /build/bin ./bin
# A read keeps nothing: its throwaway snagsync home is made in the temp folder and removed when it ends.
USER node
ENV NODE_ENV=production
ENV AIRBYTE_ENTRYPOINT="node /airbyte/integration_code/bin/snagsync.js airbyte"
ENTRYPOINT ["node", "/airbyte/integration_code/bin/snagsync.js", "airbyte"]

LABEL io.airbyte.name=snagsync/source-bugsnag
LABEL io.airbyte.version=0.1.0
