#!/usr/bin/env bash
# Everything a fresh machine needs beyond the Rust toolchain. fluxion is pure Rust (the
# plot font is bundled), so this only checks that the toolchain and its components exist.
set -euo pipefail
command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
