# debstash in a container: `docker build -t debstash .` then see compose.yaml and docs/containers.md.
# BASE is any Debian bookworm image with Node.js 20 in it; where no registry is reachable, build
# one locally and pass it with --build-arg BASE=... (docs/containers.md, "Without a registry").
ARG BASE=node:20-bookworm-slim

FROM ${BASE} AS build
# node-gyp needs these to compile better-sqlite3; they stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the root "prepare" script (tsc) has no sources yet at this point; the two
# native modules are then built explicitly. Compiled against the headers that come with the
# image's own node (no header download), better-sqlite3 from source (its prebuild-install would
# fetch a binary from outside the npm registry), lzma-native from the binaries in its npm package.
# The compiler's intermediate files and the SQLite sources are not needed at run time.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm_config_nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \
    npm_config_build_from_source=better-sqlite3 \
    npm rebuild better-sqlite3 lzma-native \
 && rm -rf node_modules/better-sqlite3/build/Release/obj* node_modules/better-sqlite3/build/Release/.deps \
           node_modules/better-sqlite3/build/deps node_modules/better-sqlite3/deps
COPY tsconfig.json ./
COPY src src
COPY ui ui
RUN npx tsc -p . && npx tsc -p ui && npx vite build --config ui/vite.config.ts \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${BASE}
# xz-utils: debstash decompresses upstream .xz indexes with xz when it is there (faster).
RUN apt-get update \
 && apt-get install -y --no-install-recommends xz-utils \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --uid 10001 --home-dir /var/lib/debstash --no-create-home --shell /usr/sbin/nologin debstash \
 && install -d -o debstash -g debstash -m 0750 /var/lib/debstash
WORKDIR /opt/debstash
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/dist/src dist/src
COPY --from=build /src/dist/ui dist/ui
COPY bin bin
COPY deploy/debstash.yaml /etc/debstash/debstash.yaml
RUN ln -s /opt/debstash/bin/debstash.js /usr/local/bin/debstash
ENV DEBSTASH_DATA_DIR=/var/lib/debstash \
    DEBSTASH_CONFIG=/etc/debstash/debstash.yaml \
    NODE_ENV=production
VOLUME /var/lib/debstash
USER debstash
EXPOSE 8080
# Healthy once the first publish is on disk; the first mirror download can take minutes.
HEALTHCHECK --interval=5s --timeout=3s --start-period=15m --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["debstash"]
CMD ["up"]
