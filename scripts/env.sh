# Shared settings for the project's scripts (sourced, not run).
# Build outputs and installed tools live outside the clone, keyed by toolchain version,
# so a second run on the same machine (CI included) reuses them.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BERTH_CACHE="${BERTH_CACHE:-$HOME/.cache/berth}"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    log "installing the Rust toolchain (rustup, 1.95.0)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain 1.95.0
  fi
  local version
  version="$(rustc --version | awk '{print $2}')"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BERTH_CACHE/target-rust-$version}"
  mkdir -p "$CARGO_TARGET_DIR"
}

ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  fi
}

# podman is the real peer for the save/load interop test. Best effort: the test says so
# and passes where podman cannot be installed.
ensure_podman() {
  if command -v podman >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing podman (interop test peer)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman >/dev/null 2>&1; } \
      || log "podman could not be installed; the interop test will be skipped"
  fi
}

# What the native runtime's tests and benchmark run: Debian's static busybox, imported as
# a real image (the tests need root; elsewhere they say so and pass).
ensure_native_peers() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if ! { [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1; }; then
      log "installing busybox-static (native runtime tests)"
      apt_install busybox-static || log "busybox-static could not be installed; the native tests will fail"
    fi
    # The bridges' way out: user-mode networking and the masquerade table.
    for tool in slirp4netns:slirp4netns nft:nftables; do
      if ! command -v "${tool%%:*}" >/dev/null 2>&1 && [ ! -x "/usr/sbin/${tool%%:*}" ]; then
        log "installing ${tool#*:} (native bridge networks)"
        apt_install "${tool#*:}" || log "${tool#*:} could not be installed; native bridge networks will have no way out"
      fi
    done
    # newuidmap/newgidmap: rootless containers (the rootless test runs as a user it makes).
    if ! command -v newuidmap >/dev/null 2>&1; then
      log "installing uidmap (rootless native containers)"
      apt_install uidmap || log "uidmap could not be installed; the rootless test will be skipped"
    fi
  fi
}

# The registry client's real peers: Debian's docker-registry (CNCF distribution), skopeo,
# and htpasswd (apache2-utils) for the basic-auth registry. Root only, as apt is.
ensure_registry_peers() {
  if command -v docker-registry >/dev/null 2>&1 && command -v skopeo >/dev/null 2>&1 && command -v htpasswd >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing docker-registry, skopeo and apache2-utils (registry tests)"
    apt_install docker-registry skopeo apache2-utils openssl || log "the registry peers could not be installed; the registry tests will fail"
  fi
}

# A real Debian bookworm root filesystem (debootstrap --variant=minbase against Debian's
# mirror, about 1.5 minutes once), as a tarball cached outside the clone, for the native
# runtime's tests: exported as BERTH_DEBIAN_ROOTFS. Root only (debootstrap needs it).
ensure_debian_rootfs() {
  local tar="$BERTH_CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tar" ] && [ "$(id -u)" = 0 ]; then
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap || true
    if command -v debootstrap >/dev/null 2>&1; then
      log "debootstrap --variant=minbase bookworm (once; about 1.5 minutes)"
      local dir="$BERTH_CACHE/debian-bookworm.tmp"
      rm -rf "$dir"
      local mirror
      mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)"
      if debootstrap --variant=minbase bookworm "$dir" "${mirror:-http://deb.debian.org/debian}" >"$BERTH_CACHE/debootstrap.log" 2>&1; then
        tar -C "$dir" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
      else
        log "debootstrap failed (see $BERTH_CACHE/debootstrap.log); the Debian image test is skipped"
      fi
      rm -rf "$dir"
    fi
  fi
  if [ -s "$tar" ]; then export BERTH_DEBIAN_ROOTFS="$tar"; fi
}

# The browser sandbox's build tools, at the versions Trunk.toml names, so Trunk never
# downloads anything. Installed once into $CARGO_HOME/bin and skipped when present.
TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' "$ROOT/Cargo.lock")"

ensure_web_tools() {
  ensure_wasm_target
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    log "installing trunk $TRUNK_VERSION (once; several minutes)"
    CARGO_TARGET_DIR="$BERTH_CACHE/target-tools" cargo install --locked trunk --version "$TRUNK_VERSION"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once; a few minutes)"
    # Not --locked: its lock file names a webpki-roots version the registry no longer has.
    CARGO_TARGET_DIR="$BERTH_CACHE/target-tools" cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
  ensure_npm_packages
}

# npm packages (package-lock.json): binaryen's wasm-opt, xterm.js, playwright-core.
ensure_npm_packages() {
  if ! command -v npm >/dev/null 2>&1; then
    log "installing node and npm"
    apt_install nodejs npm
  fi
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    log "npm ci (binaryen, xterm.js, playwright-core)"
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  export PATH="$ROOT/node_modules/.bin:$PATH"
}

ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then return 0; fi
  log "installing chromium (browser tests)"
  apt_install chromium chromium-driver
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

ensure_python3() {
  command -v python3 >/dev/null 2>&1 || { log "installing python3"; apt_install python3; }
}

# The CPython-for-WASI build behind `python` (scripts/build-python; cached, so only the
# first run compiles it) and the wheelhouse pip installs pure-Python packages from
# (scripts/fetch-wheels). Exports BERTH_PYTHON_DIR and BERTH_WHEELHOUSE for the engine.
ensure_python_build() {
  BERTH_PYTHON_DIR="$("$ROOT/scripts/build-python" | tail -1)"
  BERTH_WHEELHOUSE="$("$ROOT/scripts/fetch-wheels" | tail -1)"
  export BERTH_PYTHON_DIR BERTH_WHEELHOUSE
}

# Debian's package index for apt (scripts/debian-index: generated once from
# deb.debian.org, cached). Exports BERTH_DEBIAN_INDEX for the engine.
ensure_debian_index() {
  BERTH_DEBIAN_INDEX="$("$ROOT/scripts/debian-index" | tail -1)"
  export BERTH_DEBIAN_INDEX
}

# PyPI's most downloaded projects for pip (scripts/pypi-index: generated once from PyPI's
# JSON API, cached). Exports BERTH_PYPI_INDEX for the engine.
ensure_pypi_index() {
  BERTH_PYPI_INDEX="$("$ROOT/scripts/pypi-index" | tail -1)"
  export BERTH_PYPI_INDEX
}

# Builds the browser sandbox into dist/ with Trunk, offline, with the tools on PATH, and
# puts the interpreter build next to it (fetched by the worker on the first `python`).
build_web() {
  log "building the browser sandbox (trunk build --release)"
  (cd "$ROOT" && trunk build --release --offline --skip-version-check)
  ensure_python_build
  mkdir -p "$ROOT/dist/python" "$ROOT/dist/wheels"
  cp "$BERTH_PYTHON_DIR/python.wasm" "$BERTH_PYTHON_DIR/python311.zip" "$BERTH_PYTHON_DIR/VERSION" "$ROOT/dist/python/"
  cp "$BERTH_WHEELHOUSE"/*.whl "$BERTH_WHEELHOUSE/index.json" "$ROOT/dist/wheels/"
  # The Debian index's shards, fetched by the worker one at a time when apt needs them.
  ensure_debian_index
  rm -rf "$ROOT/dist/debian"; mkdir -p "$ROOT/dist/debian"
  for release in "$BERTH_DEBIAN_INDEX"/*/; do
    cp -r "$release" "$ROOT/dist/debian/"
  done
  # The Python index's shards, fetched the same way when pip needs them.
  ensure_pypi_index
  rm -rf "$ROOT/dist/pypi"; mkdir -p "$ROOT/dist/pypi"
  cp "$BERTH_PYPI_INDEX"/*.jsonl "$BERTH_PYPI_INDEX/index.json" "$ROOT/dist/pypi/"
}
