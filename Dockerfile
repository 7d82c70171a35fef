# The pulumi-dts engine service image (docs/engine-service.md): `pulumi-dts engine serve`,
# run by the EngineService component (sdk/engine-service.ts) on Kubernetes.
#
#   docker build -t registry.example.com/pulumi-dts:0.1.0 .
#
# Debian (glibc), not Alpine: the build and the tests run on glibc, and so do the
# packages' optional native builds.

# --- build: all dependencies, TypeScript compiled to dist/ --------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
# @pulumi/kubernetes's install script asks a Pulumi CLI for its plugin; with no CLI in
# the image it prints a note and exits 0. The engine does not need the plugin.
RUN npm ci
COPY . .
RUN npm run build

# --- production dependencies only ------------------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# --- runtime ------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PULUMI_DTS_HOME=/var/lib/pulumi-dts
WORKDIR /app
# Owned by root and read-only to the engine's user; the root filesystem may be read-only.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist/provider ./dist/provider
COPY --from=build /src/dist/sdk ./dist/sdk
RUN mkdir -p /var/lib/pulumi-dts && chown 1000:1000 /var/lib/pulumi-dts
# The base image's `node` user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 7443
ENTRYPOINT ["node", "dist/provider/cli/main.js", "engine", "serve"]
# Arguments follow (EngineService passes them): --listen 0.0.0.0:7443 --tls-cert FILE
# --tls-key FILE [--client-ca FILE]. Plaintext is refused except on loopback.
