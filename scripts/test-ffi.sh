#!/usr/bin/env bash
# The C library as its users meet it: installed into a temporary prefix, found through
# pkg-config, called from C (-Wall -Wextra -Werror; plain, ASan+UBSan, valgrind, static) and
# from Go through cgo (GOPATH mode, no module downloads).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
prefix=$(mktemp -d /tmp/nydus-overlay-ffi.XXXXXX)
trap 'rm -rf "$prefix"' EXIT

make --no-print-directory install PREFIX="$prefix" SBINDIR="$prefix/sbin" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
dynamic=$(readelf -d "$prefix/lib/libnydus_overlay.so")
grep -q 'SONAME.*libnydus_overlay.so.0' <<<"$dynamic" \
  || { echo "ffi: wrong or missing soname" >&2; exit 1; }
cflags=$(pkg-config --cflags nydus_overlay)
libs=$(pkg-config --libs nydus_overlay)
rpath="-Wl,-rpath,$prefix/lib"
data=$root/tests/data

# test_ffi: every function on the fixtures; test_abi_contract: the ABI contract (sentinel-filled
# out structs on failing calls, exactly sized buffers with guard bytes, every span inside the
# caller's buffer on every fixture and every JSON member left out in turn, NUL refused).
for t in test_ffi test_abi_contract; do
  src=tests/c/$t.c
  echo "-- C $t, shared library"
  gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$prefix/${t}_plain" "$src" $cflags $libs $rpath
  "$prefix/${t}_plain" "$data"

  echo "-- C $t, ASan + UBSan"
  gcc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=all \
    -o "$prefix/${t}_san" "$src" $cflags $libs $rpath
  "$prefix/${t}_san" "$data"

  echo "-- C $t, valgrind (no error, no leak)"
  valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=1 \
    "$prefix/${t}_plain" "$data"

  echo "-- C $t, static library"
  gcc -std=c11 -Wall -Wextra -Werror -O2 -o "$prefix/${t}_static" "$src" $cflags \
    "$prefix/lib/libnydus_overlay.a" -lpthread -ldl -lm
  "$prefix/${t}_static" "$data"
done

echo "-- Go through cgo, compared with encoding/base64 + encoding/json"
gopath=$prefix/gopath
mkdir -p "$gopath/src/ffitest"
cp tests/go/ffitest/main.go "$gopath/src/ffitest/"
(cd "$gopath/src/ffitest" && GO111MODULE=off GOPATH=$gopath GOCACHE=$prefix/gocache GOFLAGS= \
  CGO_LDFLAGS="$rpath" go build -o "$prefix/ffitest" .)
"$prefix/ffitest" "$data"
