#!/usr/bin/env bash
# FiPy against fluxion on the 2D dielectric cylinder (bench/peers/fipy_dielectric2d.py),
# same machine, same run. Installs FiPy into a venv if absent.
#
# Usage: scripts/peer-fipy.sh [FIPY_N ...]        (default: 400 800)
# Environment: FIPY_VENV (default ~/.cache/fluxion-peers/fipy), PEERS (the peer scripts'
# directory, default bench/peers),
# REPEAT (runs per size, default 3).
#
# Prints both tables and, for every FiPy size, the smallest fluxion size with an equal or
# smaller error of the inside field and the ratio of the median times.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${FIPY_VENV:-$HOME/.cache/fluxion-peers/fipy}
REPEAT=${REPEAT:-3}
PEERS=${PEERS:-bench/peers}
[ -f "${PEERS:-}/fipy_dielectric2d.py" ] || { echo "error: fipy_dielectric2d.py not found; set PEERS" >&2; exit 2; }
if ! "$VENV/bin/python" -c 'import fipy, scipy' 2>/dev/null; then
  echo "installing FiPy into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q fipy scipy
fi
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(400 800)
cargo build -q --release -p fluxion-cli
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $("$VENV/bin/python" -c 'import fipy; print("FiPy", fipy.__version__)')"
FL=$(mktemp); FP=$(mktemp); trap 'rm -f "$FL" "$FP"' EXIT
target/release/fluxion bench --fields --repeat "$REPEAT" | tee "$FL"
for n in "${SIZES[@]}"; do
  for _ in $(seq "$REPEAT"); do
    "$VENV/bin/python" "$PEERS/fipy_dielectric2d.py" "$n" | tee -a "$FP"
  done
done
python3 - "$FL" "$FP" <<'PY'
import re, sys, statistics
fl = [l.split() for l in open(sys.argv[1]) if l.startswith("2D ")]
# columns after the 3-word case name: N unknowns mesh solve best median worst us/unk err solver
rows = [(" ".join(c[0:3]) + f" N={c[3]} ({c[4]} unknowns)", float(c[8]), float(c[11])) for c in fl]
fp = {}
for l in open(sys.argv[2]):
    m = re.search(r"N=(\d+).*total=([\d.]+)s.*rel_err=([\d.e+-]+)", l)
    if m:
        fp.setdefault(int(m[1]), []).append((float(m[2]), float(m[3])))
for n, runs in sorted(fp.items()):
    ts = sorted(t for t, _ in runs)
    err = runs[0][1]
    match = [r for r in rows if r[2] <= err]
    if not match:
        print(f"FiPy N={n}: error {err:.2e}, {statistics.median(ts):.3f} s (min {ts[0]:.3f}, max {ts[-1]:.3f}); no fluxion size in the table is as accurate")
        continue
    for tensor in (True, False):
        m = [r for r in match if ("Delaunay" not in r[0]) == tensor]
        if not m:
            continue
        fn, ft, fe = min(m, key=lambda r: r[1])
        print(f"FiPy N={n}: error {err:.2e}, median {statistics.median(ts):.3f} s (min {ts[0]:.3f}, max {ts[-1]:.3f}); "
              f"fluxion {fn}: error {fe:.2e}, median {ft:.3f} s; ratio {statistics.median(ts)/ft:.1f}x")
PY
