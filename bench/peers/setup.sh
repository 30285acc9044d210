#!/usr/bin/env bash
# One-command set-up of the peer solvers that scripts/peer-ratio.sh compares fluxion with:
# DEVSIM and FiPy in a Python virtual environment, and the Debian package DEVSIM needs at
# run time (it loads BLAS/LAPACK dynamically: libopenblas0-pthread).
# Usage: bench/peers/setup.sh            (venv in $PEERS_VENV, default target/peers-venv)
# Needs python3 with venv; apt-get (as root) for the BLAS library if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
PEERS_VENV=${PEERS_VENV:-target/peers-venv}
# Versions of the measurements quoted in the README.
DEVSIM_VERSION=${DEVSIM_VERSION:-2.11.2}
FIPY_VERSION=${FIPY_VERSION:-4.0.3}

if ! ldconfig -p | grep -q 'libopenblas\.so\.0'; then
  if command -v apt-get >/dev/null; then
    apt-get install -y -q libopenblas0-pthread \
      || { apt-get update -q && apt-get install -y -q libopenblas0-pthread; }
  else
    echo "install OpenBLAS (libopenblas.so.0) with your package manager; DEVSIM needs it" >&2
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
