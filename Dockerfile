# Multi-stage build: compile in the Rust image, run in a slim Debian with only what the binary needs.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
RUN cargo build --release --locked \
    && strip target/release/cspfund

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/cspfund --create-home cspfund
COPY --from=build /src/target/release/cspfund /usr/local/bin/cspfund
USER cspfund
ENV CSPFUND_BIND=0.0.0.0:8080 \
    CSPFUND_DATA_DIR=/var/lib/cspfund \
    CSPFUND_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/var/lib/cspfund"]
# The image has no curl: the binary asks its own /health/ready.
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 CMD ["cspfund", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["cspfund"]
