#!/usr/bin/env bash
# One-command set-up of the peer solvers that scripts/peer-ratio.sh compares fluxion with:
# DEVSIM and FiPy in a Python virtual environment, and the Debian packages they need
# (libopenblas0-pthread: DEVSIM loads BLAS/LAPACK at run time; python3-venv if missing).
# Usage: bench/peers/setup.sh            (venv in $PEERS_VENV, default target/peers-venv)
# Needs python3 with venv; apt-get (as root) for the BLAS library if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEERS_VENV=${PEERS_VENV:-target/peers-venv}
# Versions of the measurements quoted in the README.
DEVSIM_VERSION=${DEVSIM_VERSION:-2.11.2}
FIPY_VERSION=${FIPY_VERSION:-4.0.3}

# Debian packages: OpenBLAS for DEVSIM, and python3-venv where python3 lacks venv/ensurepip.
need=()
ldconfig -p | grep -q 'libopenblas\.so\.0' || need+=(libopenblas0-pthread)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    apt-get install -y -q "${need[@]}" \
      || { apt-get update -q && apt-get install -y -q "${need[@]}"; }
  else
    echo "install ${need[*]} (OpenBLAS's libopenblas.so.0, Python's venv) with your package manager" >&2
    exit 1
  fi
fi
if [ ! -x "$PEERS_VENV/bin/python" ]; then
  python3 -m venv "$PEERS_VENV"
fi
"$PEERS_VENV/bin/pip" install -q --upgrade pip
"$PEERS_VENV/bin/pip" install -q "devsim==$DEVSIM_VERSION" "fipy==$FIPY_VERSION" scipy numpy
# Check that both import (DEVSIM needs to be told which BLAS/LAPACK to load).
DEVSIM_MATH_LIBS=libopenblas.so.0 OPENBLAS_NUM_THREADS=1 "$PEERS_VENV/bin/python" -c '
import importlib.metadata as m
import devsim, fipy
print("peers ready: devsim", m.version("devsim"), "fipy", m.version("fipy"))
'
