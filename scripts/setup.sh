#!/usr/bin/env bash
# Bootstrap this checkout on a Debian/Ubuntu machine. Idempotent: a second run
# installs nothing and takes about a second.
#
#   bash scripts/setup.sh [--with-browser] [--native-only]
#
# * system packages, only those missing: PostgreSQL server, Java 17, Maven;
#   Chromium too with --with-browser or CUSTODES_BROWSER=1 (browser tests);
# * .venv (Python >= 3.11) with this project installed editable with its dev
#   extra; reinstalled only when pyproject.toml changes (stamp .venv/.custodes-stamp);
# * a check that the native pieces import (crc32c, psycopg, kafka);
# * the optional native extension custodes_native (native/, Rust) when cargo is
#   there: rebuilt only when its sources change (stamp .venv/.custodes-native-stamp);
#   --native-only does just that step (the venv must exist).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

with_browser="${CUSTODES_BROWSER:-0}"
native_only=0
for arg in "$@"; do
    case "$arg" in
        --with-browser) with_browser=1 ;;
        --native-only) native_only=1 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# The optional native extension (native/, Rust + PyO3): custodes_native, copied
# into the venv's site-packages. Rebuilt only when its sources, cargo or Python
# change (stamp .venv/.custodes-native-stamp). The sources' hash is
# custodes.native.sources_hash() (Cargo.toml, Cargo.lock, build.rs, src/**/*.rs),
# embedded in the build (CUSTODES_NATIVE_SOURCES -> custodes_native.SOURCES):
# custodes/native.py refuses a module built from other sources (a pull without
# this step). Without cargo, or if the build fails, the pure-Python paths are
# used (same results, slower).
build_native() {
    local native_so native_stamp cargo_bin native_src native_want
    native_so="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])')/custodes_native.abi3.so"
    native_stamp=".venv/.custodes-native-stamp"
    cargo_bin="$(command -v cargo || true)"
    if [ -z "$cargo_bin" ] && [ -x "$HOME/.cargo/bin/cargo" ]; then
        cargo_bin="$HOME/.cargo/bin/cargo"
    fi
    # CUSTODES_NATIVE=0: computing the hash must not load (and judge) the old module.
    native_src="$(CUSTODES_NATIVE=0 .venv/bin/python -c \
        'from custodes.native import sources_hash; print(sources_hash())')"
    if [ -z "$cargo_bin" ]; then
        if [ -f "$native_so" ] && [ "$(cut -d' ' -f1 "$native_stamp" 2>/dev/null)" = "$native_src" ]; then
            say "cargo not found: keeping the native extension built earlier from the same sources"
        else
            rm -f "$native_so" "$native_stamp"
            say "cargo not found: native extension not built; the pure-Python paths are used (same results, slower replay)"
        fi
        return 0
    fi
    native_want="$native_src $("$cargo_bin" --version 2>&1) $(.venv/bin/python -V 2>&1)"
    if [ -f "$native_so" ] && [ "$(cat "$native_stamp" 2>/dev/null)" = "$native_want" ]; then
        say "native extension up to date (custodes_native)"
        return 0
    fi
    say "building the native extension (cargo build --release --locked in native/, log .venv/native-build.log)"
    if (cd native && CUSTODES_NATIVE_SOURCES="$native_src" PYO3_PYTHON="$PWD/../.venv/bin/python" \
            "$cargo_bin" build --release --locked) > .venv/native-build.log 2>&1; then
        install -m 0755 native/target/release/libcustodes_native.so "$native_so"
        printf '%s\n' "$native_want" > "$native_stamp"
        say "installed the native extension as $native_so"
    else
        rm -f "$native_so" "$native_stamp"
        tail -n 20 .venv/native-build.log >&2
        say "WARNING: the native extension did not build (log .venv/native-build.log); the pure-Python paths are used"
    fi
}
report_native() {
    .venv/bin/python -c 'from custodes.native import NATIVE, STATUS
print("[setup] native extension in use:", "yes" if NATIVE else f"no, {STATUS} (pure-Python paths)")'
}
if [ "$native_only" = 1 ]; then
    [ -x .venv/bin/python ] || { echo "setup.sh: --native-only needs .venv (run setup.sh once)" >&2; exit 1; }
    build_native
    report_native
    exit 0
fi

java_major() {
    java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1
}

missing=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then
    missing+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null || missing+=(maven)
browser_missing=0
if [ "$with_browser" = 1 ] && ! command -v chromium >/dev/null \
        && ! command -v chromium-browser >/dev/null; then
    browser_missing=1
fi
apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ ${#missing[@]} -gt 0 ] || [ "$browser_missing" = 1 ]; then
    as_root apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    apt_install "${missing[@]}"
fi
if [ "$browser_missing" = 1 ]; then
    say "installing chromium (browser tests)"
    apt_install chromium || say "WARNING: chromium could not be installed; browser tests will fail"
fi
say "system packages present (PostgreSQL, Java $(java_major), Maven$(
    [ "$with_browser" = 1 ] && echo ', Chromium'))"

python="${PYTHON:-}"
if [ -z "$python" ]; then
    python=$(command -v python3.11 || command -v python3)
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup.sh: $python is $("$python" --version 2>&1); Custodes needs Python >= 3.11" \
         "(set PYTHON=/path/to/python3.11)" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c '' 2>/dev/null; then
    say "creating .venv with $("$python" --version)"
    rm -rf .venv
    if ! "$python" -m venv .venv; then
        say "venv support missing: installing python3-venv"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$python" -m venv .venv
    fi
fi

stamp=".venv/.custodes-stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) $(.venv/bin/python -V 2>&1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the project into .venv (pip install -e '.[dev]', log .venv/pip-install.log)"
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip \
           && .venv/bin/python -m pip install --disable-pip-version-check -e '.[dev]'; } \
           > .venv/pip-install.log 2>&1; then
        tail -n 40 .venv/pip-install.log >&2
        echo "setup.sh: pip install failed (full log: .venv/pip-install.log)" >&2
        exit 1
    fi
    printf '%s\n' "$want" > "$stamp"
else
    say ".venv up to date with pyproject.toml"
fi

.venv/bin/python -c 'import crc32c, kafka, psycopg, sqlalchemy' \
    || { echo "setup.sh: the installed packages do not import (see above)" >&2; exit 1; }

build_native
report_native
say "ready: .venv/bin/custodes"
