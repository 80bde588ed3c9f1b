# syntax=docker/dockerfile:1
# SmallStack: build with the same bootstrap and release build as `make run`, then run the binary
# and the site in a small image. The database lives on the host (volumes), not in the container.

FROM rust:1.95-bookworm AS builder
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm make \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The build needs no browser: the bootstrap skips Chromium and wrk when asked to.
ENV BOOTSTRAP_FOR=build
RUN make build

FROM debian:bookworm-slim AS runtime
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
    SMALLSTACK_SECURE_COOKIES=true \
    RUST_LOG=info
USER 1000:1000
VOLUME ["/app/data", "/app/media"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["smallstack", "healthcheck"]
CMD ["smallstack", "serve"]
