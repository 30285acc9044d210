#!/usr/bin/env bash
# Same-run speed ratio of fluxion against DEVSIM (and FiPy with --fipy) on the steady PNP
# benchmark cell (Debye length 1% of the cell, 2 thermal voltages, uniform grid, both
# solving straight to the applied potential). The peer scripts are bench/peers/.
#
# Usage: scripts/peer-ratio.sh [--repeat R] [--fipy] [NODES ...]   (default: 1e4 1e5, R = 5)
# Set-up on first use: bench/peers/setup.sh (run automatically if $PEERS_VENV is missing).
# Prints, per size, fluxion's and DEVSIM's best, median and worst wall time of R runs each,
# interleaved, the ratio of the best times and of the medians, and both dimensionless
# fluxes J+. A measurement, not a test: not part of CI. Run it on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS_VENV=${PEERS_VENV:-target/peers-venv}
repeat=5
fipy=0
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --fipy) fipy=1; shift ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -eq 0 ] && sizes=(1e4 1e5)
[ -x "$PEERS_VENV/bin/python" ] || bench/peers/setup.sh
PY="$PEERS_VENV/bin/python"
cores=$(nproc)
# DEVSIM loads BLAS/LAPACK at run time; one thread each, like fluxion's banded LU.
export DEVSIM_MATH_LIBS=libopenblas.so.0 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
cargo build --release -q -p fluxion-cli
echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "devsim $("$PY" -c 'import importlib.metadata as m; print(m.version("devsim"))'), fipy $("$PY" -c 'import importlib.metadata as m; print(m.version("fipy"))'), fluxion $(target/release/fluxion --version | cut -d' ' -f2)"
for n in "${sizes[@]}"; do
  nn=$(python3 -c "print(int(float('$n')))")
  fl_times=(); ds_times=()
  # Interleave the runs so that a slow phase of the machine hits both tools alike.
  for _ in $(seq "$repeat"); do
    line=$(target/release/fluxion bench --nodes "$nn" --repeat 1 | tail -1)
    fl_times+=("$(echo "$line" | awk '{print $2}')")
    j_fl=$(echo "$line" | awk '{print $NF}')
    ds=$("$PY" bench/peers/devsim_pnp.py "$nn" | tail -1)
    ds_times+=("$(echo "$ds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_s"])')")
    j_ds=$(echo "$ds" | python3 -c 'import json,sys; print(json.load(sys.stdin)["j_plus"])')
  done
  python3 - "$nn" "$j_fl" "$j_ds" "${fl_times[*]}" "${ds_times[*]}" <<'PY'
import statistics, sys
n, jf, jd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
tf = sorted(map(float, sys.argv[4].split())); td = sorted(map(float, sys.argv[5].split()))
mf, md = statistics.median(tf), statistics.median(td)
print(f"nodes {n}: fluxion best {tf[0]:.4f} s, median {mf:.4f} s, worst {tf[-1]:.4f} s (J+ = {jf:.10f}); "
      f"DEVSIM best {td[0]:.3f} s, median {md:.3f} s, worst {td[-1]:.3f} s (J+ = {jd:.10f}); "
      f"|J+| agree to {abs(abs(jf) - abs(jd)) / abs(jd):.1e}; DEVSIM/fluxion = {td[0] / tf[0]:.0f}x (best), {md / mf:.0f}x (median)")
PY
done
if [ "$fipy" = 1 ]; then
  for cells in 100 1000; do
    echo "FiPy, $cells cells: $("$PY" bench/peers/fipy_pnp.py "$cells" | tail -1 || true)"
  done
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
