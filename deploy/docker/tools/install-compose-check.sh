#!/usr/bin/env bash
# Build compose-check (compose-go, the loader Docker Compose uses) into <repo>/.cache/bin,
# once per change of its sources. Only the Go module proxy is used (go.sum pins every module).
#   deploy/docker/tools/install-compose-check.sh     # prints the binary's path
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
SRC="${ROOT}/deploy/docker/tools/compose-check"
BIN_DIR="${ROOT}/.cache/bin"
BIN="${BIN_DIR}/compose-check"
STAMP="${BIN_DIR}/.compose-check.sha256"

mkdir -p "${BIN_DIR}"
exec 9>"${BIN_DIR}/.compose-check.lock"
flock 9
want="$(cat "${SRC}/go.mod" "${SRC}/go.sum" "${SRC}/main.go" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "${BIN}" ]] || [[ "$(cat "${STAMP}" 2>/dev/null)" != "${want}" ]]; then
    command -v go >/dev/null || { echo "error: the Go toolchain is required to build compose-check" >&2; exit 1; }
    echo "building compose-check from ${SRC} (once)..." >&2
    (cd "${SRC}" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly" \
        go build -trimpath -o "${BIN}.tmp" .) >&2
    mv -f "${BIN}.tmp" "${BIN}"
    echo "${want}" > "${STAMP}"
fi
echo "${BIN}"
