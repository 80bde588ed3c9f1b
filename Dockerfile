# syntax=docker/dockerfile:1
# SmallStack: build with the same bootstrap and release build as `make run`, then run the binary
# and the site in a small image. The database lives on the host (volumes), not in the container.
#
# The builder runs `make build`'s commands one by one — each RUN after a "# make build" comment;
# scripts/check-docker-build.sh (part of `make test`) fails when they differ from the Makefile's —
# so the bootstrap (cargo-leptos alone compiles for ~12 minutes) is a layer of its own, rebuilt
# only when its inputs change, not at every change of the source.

# Debian 13 (trixie) in both stages: its nodejs is 20, as the npm packages require (bookworm has
# 18), and the runtime's C library must be the builder's or newer.
FROM rust:1.95-trixie AS builder
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The Makefile's recipes run in bash.
SHELL ["/bin/bash", "-c"]
# What the Makefile puts on PATH for its recipes: cargo's bin folder (on the image's PATH already)
# and the npm tools (wasm-opt). The build needs no browser: the bootstrap skips Chromium and wrk.
ENV PATH=/src/node_modules/.bin:$PATH \
    CARGO_TERM_COLOR=never \
    BOOTSTRAP_FOR=build
# Everything the bootstrap reads: the wasm-bindgen version in Cargo.lock, the npm lock file.
COPY scripts/bootstrap.sh scripts/
COPY Cargo.lock package.json package-lock.json ./
# make build
RUN scripts/bootstrap.sh
COPY . .
# make build
RUN cargo leptos build --release --precompress --split
# make build
RUN find target/site -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' -o -name '*.json' \) -exec gzip -9 -k -f {} \;

FROM debian:trixie-slim AS runtime
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates sqlite3 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home --shell /usr/sbin/nologin smallstack \
 && mkdir -p /app/data/backups /app/media \
 && chown -R 1000:1000 /app
WORKDIR /app
COPY --from=builder /src/target/release/smallstack /usr/local/bin/smallstack
COPY --from=builder /src/target/site /app/site
ENV DATABASE_PATH=/app/data/db.sqlite3 \
    SYSTEM_DATABASE_PATH=/app/data/system.sqlite3 \
    BACKUP_DIR=/app/data/backups \
    MEDIA_ROOT=/app/media \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    SMALLSTACK_SECURE_COOKIES=true
USER 1000:1000
VOLUME ["/app/data", "/app/media"]
EXPOSE 3000
# `smallstack healthcheck` asks /health at LEPTOS_SITE_ADDR itself: no curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["smallstack", "healthcheck"]
# `serve` applies the migrations before it listens (`make run`'s `migrate` step is not needed).
# On SIGTERM it stops within about 10 s: give it `docker stop -t 30` (compose and Kamal do).
CMD ["smallstack", "serve"]
