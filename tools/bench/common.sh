# tools/bench/common.sh - what the benchmarks share, sourced after ../lib.sh:
# a Release build of their own, namespaces named PREFIX-PID-* that only they
# use, a work directory, clean-up of exactly what they started, and bounded
# waits.

# bench_build: a Release tapir (no sanitizers) in build-bench/; sets TAPIR.
bench_build() {
	BUILD="$TAPIR_ROOT/build-bench"
	echo "building a Release tapir in $BUILD ..." >&2
	cmake -S "$TAPIR_ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DTAPIR_SANITIZE=OFF \
		-DTAPIR_TESTS=OFF >/dev/null || die "cmake configure failed"
	cmake --build "$BUILD" -j "$(nproc)" --target tapir_app >/dev/null || die "build failed"
	TAPIR="$BUILD/bin/tapir"
}

# bench_setup PREFIX: NS_TAP, NS_A, NS_B, WORK and PIDS (append what you
# start), all undone at exit.
bench_setup() {
	NS_TAP="$1-$$-tap" NS_A="$1-$$-a" NS_B="$1-$$-b"
	PIDS=()
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapir-$1.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
}

bench_cleanup() {
	local p ns
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for ns in "$NS_TAP" "$NS_A" "$NS_B"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$WORK"
}

# wait_for TRIES CMD...: CMD every 0.1 s until it succeeds, at most TRIES times.
wait_for() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
