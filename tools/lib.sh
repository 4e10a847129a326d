# tools/lib.sh - shared by run.sh and test.sh: root check, Debian packages, build.
# Sourced, not run.

die() { echo "tapir: $*" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die "this needs root (it installs packages and creates a TAP device): run it with sudo"
}

# Installs the Debian packages that are missing, and only those.
install_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install them by hand"
	echo "tapir: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
}

BUILD_PACKAGES=(build-essential cmake pkg-config libpcap-dev iproute2)
TEST_PACKAGES=(check clang libclang-rt-14-dev iputils-ping arping tcpdump python3 curl dnsutils netcat-openbsd nftables procps)

# build DIR [cmake args...]
build() {
	local dir=$1; shift
	cmake -S "$TAPIR_ROOT" -B "$dir" "$@" >/dev/null || die "cmake configure failed"
	cmake --build "$dir" -j "$(nproc)" || die "build failed"
}

TAPIR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
