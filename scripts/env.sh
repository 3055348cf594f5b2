# Sourced by the other scripts: puts the tools scripts/setup.sh installed first on PATH.
export VERDICT_TOOLS_DIR="${VERDICT_TOOLS_DIR:-$HOME/.local/share/verdict-tools}"
export PATH="$VERDICT_TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
