#!/usr/bin/env bash
# Regenerate docs/laws.md from `fluxion calc --list` and `fluxion calc LAW --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p fluxion-cli
bin=target/release/fluxion
{
  echo "# Closed-form laws (\`fluxion calc\`)"
  echo
  echo "Generated from \`fluxion calc LAW --help\` by \`scripts/gen-laws-doc.sh\`. The library functions"
  echo "are in \`crates/fluxion/src/laws/\`; each documents its equation, units, validity and reference."
  echo
  echo '```text'
  "$bin" calc --list
  echo '```'
  for law in $("$bin" calc --list | awk '/^  [a-z]/{print $1}'); do
    echo
    echo "## $law"
    echo
    echo '```text'
    "$bin" calc "$law" --help
    echo '```'
  done
} > docs/laws.md
echo "wrote docs/laws.md"
