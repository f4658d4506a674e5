#!/usr/bin/env bash
# Build the pinned kustomize from its Go module into <repo>/.cache/bin (git-ignored), once.
# No prebuilt binary is downloaded: only the Go module proxy is used. Cold: ~3 min on 2 cores
# (mostly module downloads); afterwards the cached binary is reused (the version is checked).
#   deploy/k8s/tools/install-kustomize.sh     # prints the binary's path
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"  # v5.8.3 needs Go >= 1.27
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
BIN_DIR="${ROOT}/.cache/bin"
BIN="${BIN_DIR}/kustomize"

installed() {
    [[ -x "${BIN}" ]] && [[ "$("${BIN}" version 2>/dev/null)" == "${KUSTOMIZE_VERSION}" ]]
}

mkdir -p "${BIN_DIR}"
exec 9>"${BIN_DIR}/.kustomize.lock"
flock 9  # two concurrent callers build it once
if ! installed; then
    command -v go >/dev/null || { echo "error: the Go toolchain is required to build kustomize" >&2; exit 1; }
    echo "building kustomize ${KUSTOMIZE_VERSION} from its Go module (once)..." >&2
    tmp="$(mktemp -d "${BIN_DIR}/.kustomize.XXXXXX")"
    trap 'rm -rf "${tmp}"' EXIT
    # GOTOOLCHAIN=local: never fetch another Go toolchain; CGO off: a static binary.
    (cd "${tmp}" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="${tmp}" \
        go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}") >&2
    mv -f "${tmp}/kustomize" "${BIN}"
    installed || { echo "error: ${BIN} does not report ${KUSTOMIZE_VERSION}" >&2; exit 1; }
fi
echo "${BIN}"
