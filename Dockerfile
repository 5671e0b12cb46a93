# syntax=docker/dockerfile:1
# The `jans` binary in a small image that runs as a non-root user.
#
#   docker build -t jans .
#   docker run -p 8080:8080 -v jans-data:/var/lib/jans jans     # sled, one container
#
# Stage 1 builds with the toolchain rust-toolchain.toml pins (1.95.0) on Debian 12. The
# image's gcc builds aws-lc-sys (the crypto provider); TLS is rustls throughout (no
# openssl-sys in Cargo.lock), so the binary links only glibc, libm and libgcc_s.
FROM rust:1.95.0-slim-bookworm AS build
# The image's toolchain as it is: through rust-toolchain.toml rustup would also fetch
# clippy and rustfmt, which a release build does not use.
ENV RUSTUP_TOOLCHAIN=1.95.0 CARGO_TERM_COLOR=never
WORKDIR /src
# The whole workspace (cargo reads every member's manifest); .dockerignore keeps target/,
# node_modules and .git out.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p jans-http --bin jans \
    && install -D -m 0755 target/release/jans /out/usr/local/bin/jans \
    && install -d -m 0700 /out/var/lib/jans

# Stage 2: distroless "cc" is glibc, libgcc, CA certificates and /etc/passwd with the
# nonroot user (65532), and no shell or package manager: all the binary needs (its
# health check is `jans healthcheck`, not curl). debian:bookworm-slim would work too, but
# is larger and brings a shell and apt, which the server never needs and an intruder could use.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/usr/local/bin/jans /usr/local/bin/jans
# The data directory (sled database, master key, admin client), writable by the user
# only; mount a volume here to keep it (the Helm chart mounts an emptyDir or a PVC).
COPY --from=build --chown=65532:65532 /out/var/lib/jans /var/lib/jans
USER 65532:65532
ENV JANS_LISTEN=0.0.0.0:8080 \
    JANS_DATA_DIR=/var/lib/jans
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/jans", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/jans"]
CMD ["serve"]
