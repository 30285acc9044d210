#!/bin/sh
# Depinning exponent over N realizations (default 10, seeds 3 .. N+2), then the joint fit of
# J_c and beta with a Student-t interval (fit.py). About 4 minutes per realization on one
# core. Usage (from the repository root):
#   nice -n 19 validation/depinning/run.sh [N] [OUTDIR]
# Writes OUTDIR/s<seed>/ (fluxion outputs) and validation/depinning/result.txt.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
n=${1:-10}
out=${2:-/tmp/fluxion-depinning}
bin="$root/target/release/fluxion"
[ -x "$bin" ] || (cd "$root" && cargo build --release -p fluxion-cli)
mkdir -p "$out"
dirs=""
seed=3
while [ "$seed" -lt $((n + 3)) ]; do
    if [ ! -f "$out/s$seed/iv.csv" ]; then
        sed "s/^seed = 3$/seed = $seed/" "$here/depinning_seed3.toml" > "$out/s$seed.toml"
        "$bin" run "$out/s$seed.toml" --out "$out/s$seed" -q
    fi
    dirs="$dirs $out/s$seed"
    seed=$((seed + 1))
done
python3 "$here/fit.py" $dirs | tee "$here/result.txt"
