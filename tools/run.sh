#!/usr/bin/env bash
# Quick start, part 1: install what tapir needs, build it, and run the
# virtual host on tap0 (10.0.0.2, host side 10.0.0.1) until Ctrl-C.
# Any flags are passed to `tapir run` (see `build/bin/tapir --help`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install_packages "${BUILD_PACKAGES[@]}"
build "$TAPIR_ROOT/build" -DCMAKE_BUILD_TYPE=Release -DTAPIR_TESTS=OFF
exec "$TAPIR_ROOT/build/bin/tapir" run "$@"
