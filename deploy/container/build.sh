#!/bin/sh
# Builds the container image of this checkout, without pulling anything:
# the server is compiled here (Go, no cgo: both database drivers are pure
# Go) and put in an image built from scratch. Needs Go and podman (or
# docker: CONTAINER_TOOL=docker).
#
#   deploy/container/build.sh                 # tags portalgraph:dev
#   IMAGE=registry.example.com/portalgraph:1.4 deploy/container/build.sh
set -eu
cd "$(dirname "$0")/../.."
image=${IMAGE:-portalgraph:dev}
tool=${CONTAINER_TOOL:-podman}
certs=${CA_CERTIFICATES:-/etc/ssl/certs/ca-certificates.crt}

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$context/portalgraph" .
cp "$certs" "$context/ca-certificates.crt"
mkdir "$context/tmp" "$context/data"
# Nothing is pulled, and copying is quick: no cache to go stale.
"$tool" build --no-cache -t "$image" -f deploy/container/Containerfile "$context"
