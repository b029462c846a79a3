#!/usr/bin/env bash
# Builds captest's container image (deploy/Dockerfile, FROM scratch).
#
#   deploy/image.sh [--binary PATH] [--tag TAG]
#
# Without --binary: builds the static release binary (target x86_64-unknown-linux-musl, symbols
# stripped; needs `rustup target add x86_64-unknown-linux-musl` and Debian's musl-tools, whose
# musl-gcc compiles ring's C code), 15-30 min on two cores.
# With --binary PATH: puts that binary in the image as it is; when it is dynamically linked (a
# debug build of the gnu target, as the test suite has), the libraries `ldd` lists are copied
# beside it at their own paths, so the image is still FROM scratch. The tag defaults to
# captest:local. Prints the image's tag and size on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
tag="captest:local"
while (($# > 0)); do
  case "$1" in
    --binary) binary="${2:?--binary needs a path}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a name}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "image.sh: unknown argument $1; expected --binary PATH or --tag TAG" >&2; exit 2 ;;
  esac
done

if [ -z "$binary" ]; then
  target=x86_64-unknown-linux-musl
  if ! command -v musl-gcc >/dev/null 2>&1; then
    echo "image.sh: musl-gcc is missing (it compiles ring's C code for $target); apt-get install musl-tools" >&2
    exit 2
  fi
  CC_x86_64_unknown_linux_musl=musl-gcc CARGO_PROFILE_RELEASE_STRIP=symbols \
    cargo build --release --locked --target "$target" --bin captest
  binary="${CARGO_TARGET_DIR:-target}/$target/release/captest"
fi
if [ ! -x "$binary" ]; then
  echo "image.sh: $binary is not an executable file; expected a captest binary" >&2
  exit 2
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/etc" "$rootfs/work" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
chmod 1777 "$rootfs/work" # a relative --csv writes here, as user 65532
cp "$binary" "$rootfs/captest"
printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/work:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"

# A dynamically linked binary: its loader and libraries at the paths it looks them up at.
# (`ldd` prints "not a dynamic executable" / "statically linked" for a static one.)
# ldd's output is read whole before it is searched: `ldd | grep -q` under `pipefail` fails when
# grep exits before ldd has written its last line (SIGPIPE), which copied no libraries at all
# on a loaded machine and gave an image whose binary could not start.
libraries=$(ldd "$binary" 2>/dev/null || true)
if [[ "$libraries" == */* ]]; then
  grep -o '/[^ ]*' <<<"$libraries" | while read -r library; do
    mkdir -p "$rootfs$(dirname "$library")"
    cp -L "$library" "$rootfs$library"
  done
fi

cp deploy/Dockerfile "$context/Dockerfile"
docker build --quiet --tag "$tag" "$context" >/dev/null
# The image must start its binary: a dynamic binary without its loader fails here, not later.
if ! started=$(docker run --rm --network none "$tag" --version 2>&1); then
  echo "image.sh: the image $tag does not run $binary: $started" >&2
  exit 1
fi
size=$(docker image inspect --format '{{.Size}}' "$tag")
echo "$tag $size bytes ($((size / 1000000)) MB)"
