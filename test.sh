#!/usr/bin/env bash
# The whole test suite in one command, on a fresh Debian machine too: installs what the tests
# need where it is missing, then runs `cargo test --workspace` with any extra arguments given
# (`./test.sh report_`, `./test.sh -- --nocapture`). `./test.sh --install-only` only installs.
set -euo pipefail
cd "$(dirname "$0")"

# What the tests run, one "COMMAND DEBIAN-PACKAGE" pair a line: the package is installed when the
# command is missing (`command -v`; COMMAND may be a path, for tools outside a user's PATH). Add a
# line for each new tool.
PACKAGES=(
  "chromium chromium"       # renders the HTML reports in the browser tests
  "/usr/sbin/nginx nginx"   # a real third-party server (TLS, HTTP/2, gzip) for the client tests
  "prometheus prometheus"   # scrapes --metrics in tests/cli/metrics.rs (promtool comes with it)
  "chromedriver chromium-driver"  # drives Chromium through WebDriver in tests/cli/web_chromium.rs
  "pip3 python3-pip"        # installs pandas, below
)

missing=()
for pair in "${PACKAGES[@]}"; do
  read -r command package <<<"$pair"
  command -v "$command" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
  echo "test.sh: installing ${missing[*]}" >&2
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# pandas, for the test that runs the seed recipe's script itself (tests/cli/steady_window.rs).
if ! python3 -c 'import pandas' >/dev/null 2>&1; then
  echo "test.sh: installing pandas" >&2
  python3 -m pip install --quiet pandas 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages pandas
fi

# kubernetes-validate, for tests/cli/k8s.rs: validates `captest k8s render`'s manifests offline
# (the Kubernetes schemas ship in the package).
if ! python3 -c 'import kubernetes_validate' >/dev/null 2>&1; then
  echo "test.sh: installing kubernetes-validate" >&2
  python3 -m pip install --quiet kubernetes-validate 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages kubernetes-validate
fi

# The formatter and the linter (.ci/run checks with them before the tests).
for component in rustfmt clippy; do
  subcommand=${component/rustfmt/fmt}
  cargo "$subcommand" --version >/dev/null 2>&1 || rustup component add "$component"
done

if [ "${1:-}" = "--install-only" ]; then exit 0; fi
# Most end-to-end tests wait on fixed-duration runs (light loads on loopback), so five at a time
# on two cores take 146-148 s instead of 183 s on four (and 245 s on two) for the one test binary
# of 166 tests (bench/RESULTS.md, "Test suite threads"); tests/cli/support/cores.rs still keeps load
# and the headless browser apart. RUST_TEST_THREADS=N overrides it.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-5}"
exec cargo test --workspace "$@"
