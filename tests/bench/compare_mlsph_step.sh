#!/usr/bin/env bash
# The MLSPH training step in C++ against its Python twin: compare_step.sh mlsph (see there).
# Usage: tests/bench/compare_mlsph_step.sh BUILD_DIR [THREADS...]
exec "$(dirname "$0")/compare_step.sh" mlsph "${1:?usage: compare_mlsph_step.sh BUILD_DIR}" "${@:2}"
