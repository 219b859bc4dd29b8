# One image for the three services, the worker, the starter and the health
# check; docker-compose.yml picks the binary with `command`.
#
#   docker build -t sagaforge/saga:dev .
#   docker run --rm sagaforge/saga:dev starter --help

# --- build: cgo is on for the SQLite driver (mattn/go-sqlite3) ---
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# What --version prints: docker build --build-arg VERSION=$(git describe --always).
ARG VERSION=devel
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -ldflags="-s -w -X github.com/sagaforge/saga/internal/platform/process.version=${VERSION}" -o /out/ \
      ./cmd/order ./cmd/inventory ./cmd/payment ./cmd/healthcheck ./cmd/worker ./cmd/starter

# --- run: glibc for the cgo binaries, no shell tools needed ---
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home saga
COPY --from=build /out/ /usr/local/bin/
USER saga
WORKDIR /data
# The services listen on loopback by default; in a container they must not.
ENV ORDER_ADDR=0.0.0.0:8081 INVENTORY_ADDR=0.0.0.0:8082 PAYMENT_ADDR=0.0.0.0:8083
EXPOSE 8081 8082 8083
CMD ["starter", "--help"]
