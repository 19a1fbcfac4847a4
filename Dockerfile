# Multi-stage image: build with the same scripts a developer uses, run on a slim Debian 12.
FROM debian:12 AS build
WORKDIR /src
COPY scripts/setup scripts/llama-cpp scripts/
COPY package.json package-lock.json ./
# llama.cpp for x86-64-v3 (AVX2/FMA), not for the build machine's CPU: the image must run on any
# x86 server of the last decade (docs/local-models.md). Its own layer: it is the slow step.
ENV SLUICE_LLAMA_CPU=portable
RUN scripts/setup --build-only
COPY . .
RUN cmake --preset release -DSLUICE_TESTS=OFF -DSLUICE_BENCH=OFF -DSLUICE_EXAMPLES=OFF \
 && cmake --build --preset release \
 && strip build/release/sluice

FROM debian:12-slim
# Runtime libraries only: the shared libraries the binary links (see ldd): Boost, spdlog, fmt,
# SQLite and hiredis for the job store, OpenSSL for TLS (with the system CA store for https
# upstreams), Snowball's stemmer for the keyword index (hnswlib is header-only), jemalloc, OpenMP for
# llama.cpp (linked statically otherwise).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libboost-json1.81.0 libboost-url1.81.0 libboost-container1.81.0 libspdlog1.10 libfmt9 \
      libsqlite3-0 libhiredis0.14 libssl3 libstemmer0d libjemalloc2 libgomp1 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/sluice sluice
COPY --from=build /src/build/release/sluice /usr/local/bin/sluice
# Swagger UI for /docs: found next to the binary at ../share/sluice/node_modules.
COPY --from=build /src/node_modules/swagger-ui-dist /usr/local/share/sluice/node_modules/swagger-ui-dist
# The web console (/console), built by Vite in the build stage.
COPY --from=build /src/build/release/console /usr/local/share/sluice/console
USER sluice
WORKDIR /var/lib/sluice
ENV SLUICE_DATA_DIR=/var/lib/sluice/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/health || exit 1
STOPSIGNAL SIGTERM
CMD ["sluice", "serve", "--host", "0.0.0.0", "--port", "8000"]
