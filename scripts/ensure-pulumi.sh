#!/usr/bin/env bash
# Makes the real Pulumi CLI (v3.248.0, the release matching our @pulumi/pulumi SDK)
# available without downloading a prebuilt binary: our machines reach the Go module
# proxy but no release server, so the CLI is built from Pulumi's published Go modules.
#
# The Node.js language host (pulumi-language-nodejs) is not served by the module
# proxy here (every version answers 403 "not available"), so we build our own small
# language host from tools/pulumi-language-nodejs (see its README) against the same
# SDK module. It starts the real @pulumi/pulumi program runner; the engine is Pulumi's.
#
# Prints the bin directory on the last line of stdout; progress goes to stderr.
# Usage: PATH="$(scripts/ensure-pulumi.sh | tail -n1):$PATH"
set -euo pipefail

VERSION=v3.248.0
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cache=${PULUMI_DTS_CACHE:-$HOME/.cache/pulumi-dts}/pulumi-$VERSION
bin=$cache/bin
log() { printf '[ensure-pulumi] %s\n' "$*" >&2; }

want_host_rev=$(cd "$repo_root/tools/pulumi-language-nodejs" && cat go.mod *.go | sha256sum | cut -c1-16)

have_cli() {
  local p=$1
  [ -x "$p" ] && "$p" version 2>/dev/null | grep -q "^${VERSION}\$"
}

mkdir -p "$bin"

# 1. The CLI: a `pulumi` on PATH of the right version wins; otherwise our cached build.
if ! have_cli "$bin/pulumi"; then
  if sys=$(command -v pulumi 2>/dev/null) && have_cli "$sys"; then
    log "using $sys ($VERSION)"
    ln -sf "$sys" "$bin/pulumi"
  else
    command -v go >/dev/null || { log "Go is required to build the Pulumi CLI"; exit 1; }
    log "building the Pulumi CLI $VERSION from Go modules (first time: several minutes)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cat > "$work/go.mod" <<MOD
module pulumidts.local/pulumi-cli

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 $VERSION
	github.com/pulumi/pulumi/sdk/v3 $VERSION
)

// Pulumi's own go.mod carries this replace; without it the clipboard package differs.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
    cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
    # The checksum database has no entries for these release tags; the proxy is our only source.
    export GONOSUMDB=github.com/pulumi/pulumi GOFLAGS=-mod=mod
    (cd "$work" && go mod tidy >&2 && \
      go build -o "$bin/pulumi" \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2)
    log "built $bin/pulumi"
  fi
fi

# 2. Our Node.js language host, rebuilt whenever its source changes.
if [ ! -x "$bin/pulumi-language-nodejs" ] || [ "$(cat "$bin/.language-host-rev" 2>/dev/null)" != "$want_host_rev" ]; then
  log "building pulumi-language-nodejs from tools/pulumi-language-nodejs"
  export GONOSUMDB=github.com/pulumi/pulumi GOFLAGS=-mod=mod
  (cd "$repo_root/tools/pulumi-language-nodejs" && go build -o "$bin/pulumi-language-nodejs" . >&2)
  echo "$want_host_rev" > "$bin/.language-host-rev"
fi

# 3. The dynamic-provider plugin ships inside the @pulumi/pulumi npm package.
shim="$repo_root/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
if [ -f "$shim" ]; then
  cp "$shim" "$bin/pulumi-resource-pulumi-nodejs"
  chmod +x "$bin/pulumi-resource-pulumi-nodejs"
else
  log "warning: $shim not found; run npm ci first"
fi

echo "$bin"
