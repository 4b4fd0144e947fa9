#!/usr/bin/env bash
# Builds the example go-plugin host in GOPATH mode from Debian's packages
# (no module proxy needed):
#
#   sudo apt-get install golang-go golang-github-hashicorp-go-plugin-dev \
#     golang-google-grpc-dev protobuf-compiler golang-goprotobuf-dev golang-google-protobuf-dev
#   bash examples/go-host/build.sh [OUTPUT]     # default: target/go-host/go-host
#
# Generates Go stubs for proto/databricks/compute/v1/compute.proto into a
# private GOPATH (package databricks-grpc.example/computepb) and builds
# main.go against them.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$ROOT/target/go-host/go-host}
GOWORK_DIR=${GO_HOST_WORK:-$ROOT/target/go-host}
GOPATH_DIR=$GOWORK_DIR/gopath
PKG=databricks-grpc.example

for tool in go protoc protoc-gen-go; do
  command -v "$tool" >/dev/null || { echo "go-host: $tool not found (see the apt-get line above)" >&2; exit 1; }
done
rm -rf "$GOPATH_DIR/src/$PKG"
mkdir -p "$GOPATH_DIR/src/$PKG/computepb" "$GOPATH_DIR/src/$PKG/go-host" "$(dirname "$OUT")"
# The package's messages live in one file per family; every file goes into the
# one Go package computepb (an M mapping each), compiled in one protoc run.
PROTOS=()
MAPPINGS=""
for file in "$ROOT"/proto/databricks/compute/v1/*.proto; do
  name=databricks/compute/v1/$(basename "$file")
  PROTOS+=("$name")
  MAPPINGS+=",M$name=$PKG/computepb"
done
protoc -I "$ROOT/proto" \
  --go_out="plugins=grpc,paths=source_relative$MAPPINGS:$GOPATH_DIR/src/$PKG/computepb" \
  "${PROTOS[@]}"
# paths=source_relative keeps the proto's directories: flatten them.
find "$GOPATH_DIR/src/$PKG/computepb" -name '*.pb.go' -exec mv {} "$GOPATH_DIR/src/$PKG/computepb/" \;
cp "$HERE/main.go" "$GOPATH_DIR/src/$PKG/go-host/"
cd "$GOPATH_DIR/src/$PKG/go-host"
GO111MODULE=off GOPATH="$GOPATH_DIR:/usr/share/gocode" GOCACHE="$GOWORK_DIR/cache" GOFLAGS= \
  go build -o "$OUT" .
echo "go-host: built $OUT"
