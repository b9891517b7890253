# credvend server image (docs/reference.md#container-image). The build stage installs the same Debian
# packages as scripts/install-deps.sh; the runtime stage carries only the
# shared libraries the binary links.
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libmicrohttpd-dev libgnutls28-dev liblmdb-dev libssl-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product credvend --static-swift-stdlib \
 && install -D .build/release/credvend /out/credvend

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libmicrohttpd12 libgnutls30 liblmdb0 libssl3 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin credvend \
 && install -d -o credvend -g credvend -m 0700 /data
COPY --from=build /out/credvend /usr/local/bin/credvend
USER credvend
VOLUME ["/data"]
ENV CREDVEND_DB=/data CREDVEND_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/credvend", "serve"]
