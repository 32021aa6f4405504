# The infercost binary in a small image: `docker build -t infercost .`, then
# `docker run --rm infercost plan --json` (see deploy/ for Kubernetes and Slurm).
# The binary embeds its catalogs, models, traces and calibration profiles, so the image holds nothing else.

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Everything the build reads: the workspace, its lock file, and the files the crates embed (include_str!).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY data ./data
COPY tests/data/profiling ./tests/data/profiling
RUN cargo build --release --locked -p infercost-cli \
    && cp target/release/infercost /usr/local/bin/infercost

# Debian slim rather than distroless: the Kubernetes Job redirects each shard to a file, which takes a shell.
FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/infercost /usr/local/bin/infercost
ENTRYPOINT ["infercost"]
