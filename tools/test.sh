#!/usr/bin/env bash
# Quick start, part 2: install what the tests need, build with AddressSanitizer
# and UndefinedBehaviorSanitizer (warnings are errors), run the whole suite:
# unit, vectors, simulation and (as root) integration in network namespaces.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
# The optimiser sees warnings the debug build cannot (maybe-uninitialized...):
# the release build the first Quick-start command makes must stay clean too.
build "$TAPIR_ROOT/build-release" -DCMAKE_BUILD_TYPE=Release -DTAPIR_WERROR=ON -DTAPIR_TESTS=OFF
build "$TAPIR_ROOT/build-test" -DCMAKE_BUILD_TYPE=Debug -DTAPIR_SANITIZE=ON -DTAPIR_WERROR=ON
cd "$TAPIR_ROOT/build-test"
exec ctest --output-on-failure -j "$(nproc)" --timeout 300 "$@"
