# Multi-stage image: build with the same scripts a developer uses, run on a minimal Debian 12.
# The bases are made locally from Debian's archive by scripts/image (debootstrap, no registry):
# localhost/debian:12 (minbase) and localhost/debian:12-slim (the same without docs, man pages and
# locales). Build with scripts/image, or by hand:
#   podman build --secret id=host-ca,src=/etc/ssl/certs/ca-certificates.crt -t localhost/sluice .
ARG BASE=localhost/debian:12
ARG RUNTIME_BASE=localhost/debian:12-slim

FROM ${BASE} AS build
WORKDIR /src
COPY scripts/setup scripts/llama-cpp scripts/
COPY package.json package-lock.json ./
# llama.cpp for x86-64-v3 (AVX2/FMA), not for the build machine's CPU: the image must run on any
# x86 server of the last decade (docs/local-models.md). Its own layer: it is the slow step.
ENV SLUICE_LLAMA_CPU=portable CCACHE_DIR=/ccache
# npm (Swagger UI, Vite, llama.cpp's source) may sit behind a TLS-intercepting proxy: the host's CA
# store comes in as a build secret, mounted for this step only and never part of a layer. Without
# the secret (a plain network) npm uses its own roots. ccache's directory is a build cache, so a
# rebuild after a source change recompiles only what changed.
RUN --mount=type=secret,id=host-ca --mount=type=cache,target=/ccache \
    if [ -s /run/secrets/host-ca ]; then \
      export NODE_EXTRA_CA_CERTS=/run/secrets/host-ca npm_config_cafile=/run/secrets/host-ca; \
    fi \
 && scripts/setup --build-only \
 && rm -rf /var/lib/apt/lists/*
COPY . .
# Only what serving needs, as `make build` does: the server and the console, not the suite.
RUN --mount=type=cache,target=/ccache \
    cmake --preset release -DSLUICE_TESTS=OFF -DSLUICE_BENCH=OFF -DSLUICE_EXAMPLES=OFF \
 && cmake --build --preset release --target sluice_server sluice_console \
 && strip build/release/sluice

FROM ${RUNTIME_BASE}
# Runtime libraries only: the shared libraries the binary links (see ldd): Boost, spdlog, fmt,
# SQLite and hiredis for the job store, libpq for PostgreSQL (--database-url), OpenSSL for TLS
# (with the system CA store for https upstreams), Snowball's stemmer for the keyword index
# (hnswlib is header-only), jemalloc, OpenMP for llama.cpp (linked statically otherwise), Poppler,
# libzip and libxml2 for PDF, DOCX, ODT and EPUB uploads, the date library and tzdata for
# schedules' time zones.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libboost-container1.81.0 libspdlog1.10 libfmt9 \
      libsqlite3-0 libhiredis0.14 libpq5 libssl3 libstemmer0d libjemalloc2 libgomp1 \
      libpoppler-cpp0v5 libzip4 libxml2 libdate-tz3 tzdata \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
 && useradd --system --create-home --home-dir /var/lib/sluice sluice \
 && install -d -o sluice -g sluice /var/lib/sluice/data
COPY --from=build /src/build/release/sluice /usr/local/bin/sluice
# Swagger UI for /docs: found next to the binary at ../share/sluice/node_modules.
COPY --from=build /src/node_modules/swagger-ui-dist /usr/local/share/sluice/node_modules/swagger-ui-dist
# The web console (/console), built by Vite in the build stage.
COPY --from=build /src/build/release/console /usr/local/share/sluice/console
USER sluice
WORKDIR /var/lib/sluice
ENV SLUICE_DATA_DIR=/var/lib/sluice/data
# The SQLite job store and local indexes live here; a new volume takes the directory's owner
# (sluice), so the non-root server can write to it.
VOLUME /var/lib/sluice/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/health || exit 1
STOPSIGNAL SIGTERM
CMD ["sluice", "serve", "--host", "0.0.0.0", "--port", "8000"]
