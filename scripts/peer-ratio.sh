#!/usr/bin/env bash
# Same-run speed ratio of fluxion against DEVSIM (and FiPy at small N) on the steady PNP
# benchmark of ../shared/peers (Debye length 1% of the cell, 2 thermal voltages).
# Usage: scripts/peer-ratio.sh [NODES ...]   (default 1e4 1e5)
# Needs python3 with venv and Debian's libopenblas0-pthread (installed if missing); installs devsim, fipy and scipy into $PEERS_VENV (default
# target/peers-venv) on first use. Not part of CI (a measurement, not a test).
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS_DIR=${PEERS_DIR:-../shared/peers}
PEERS_VENV=${PEERS_VENV:-target/peers-venv}
if [ ! -x "$PEERS_VENV/bin/python" ]; then
  python3 -m venv "$PEERS_VENV"
  "$PEERS_VENV/bin/pip" install -q devsim fipy scipy
fi
# DEVSIM loads BLAS/LAPACK at run time (Debian: libopenblas0-pthread).
if ! ldconfig -p | grep -q libopenblas.so.0; then
  apt-get install -y -q libopenblas0-pthread || { apt-get update -q && apt-get install -y -q libopenblas0-pthread; }
fi
export DEVSIM_MATH_LIBS=libopenblas.so.0 OPENBLAS_NUM_THREADS=1
cargo build --release -q -p fluxion-cli
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1e4 1e5)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${sizes[@]}"; do
  nn=$(python3 -c "print(int(float('$n')))")
  fl=$(target/release/fluxion bench --nodes "$nn" --repeat 3 | tail -1)
  t_fl=$(echo "$fl" | awk '{print $2}')
  j_fl=$(echo "$fl" | awk '{print $7}')
  best=""
  for _ in 1 2 3; do
    ds=$("$PEERS_VENV/bin/python" "$PEERS_DIR/devsim_pnp.py" "$nn" 0.01 2.0 1 | grep '^DEVSIM')
    t=$(echo "$ds" | sed -E 's/.* total=([0-9.]+)s.*/\1/')
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then best=$t; jd=$(echo "$ds" | sed -E 's/.* J\+=([-0-9.e]+) .*/\1/'); fi
  done
  python3 - "$nn" "$t_fl" "$j_fl" "$best" "$jd" <<'PY'
import sys
n, tf, jf, td, jd = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print(f"nodes {n}: fluxion {tf:.4f} s (J+ = {jf:.10f}), DEVSIM {td:.3f} s (J+ = {jd:.10f}); "
      f"|J+| agree to {abs(abs(jf) - abs(jd)) / abs(jd):.1e}; DEVSIM/fluxion = {td / tf:.0f}x")
PY
done
