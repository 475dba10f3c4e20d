#!/usr/bin/env bash
# The C library as its users meet it: installed into a temporary prefix, found through
# pkg-config, called from C (-Wall -Wextra -Werror; plain, ASan+UBSan, valgrind, static) and
# from Go through the package in go/ (cgo over the static library, no module downloads).
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
# caller's buffer on every fixture and every JSON member left out in turn, NUL refused);
# test_walk: the one-pass calls against the per-item ones; test_selection: every entry point
# that picks an extraoption= item gives each row of tests/data/selection.tsv its one verdict.
for t in test_ffi test_abi_contract test_walk test_selection; do
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

# Twice: Debian's default Go (1.19: the package must build and pass without log/slog) and a Go
# >= 1.21 (bookworm-backports' golang-1.22-go, scripts/deps.sh), which also builds the
# go1.21-tagged files: Secret.LogValue and the slog redaction tests. A missing toolchain fails.
go_new=${NYDUS_OVERLAY_GO_NEW:-/usr/lib/go-1.22/bin/go}
gopass=0
gofail=0
for gobin in "$(command -v go)" "$go_new"; do
  [ -x "$gobin" ] || { echo "ffi: Go toolchain $gobin is missing (run scripts/deps.sh)" >&2; exit 1; }
  gover=$("$gobin" env GOVERSION)
  echo "-- Go package (go/) with $gover: go vet, go test with its examples, static link, nothing downloaded"
  # The package links libnydus_overlay.a by name; pkg-config gives the prefix's include and lib
  # directories (README "The Go package"). GOPROXY=off and GOTOOLCHAIN=local: any download fails.
  gotest_log=$prefix/gotest-$gover.log
  (cd go && export PATH="$(dirname "$gobin"):$PATH" \
      CGO_CFLAGS="$(pkg-config --cflags nydus_overlay)" \
      CGO_LDFLAGS="$(pkg-config --libs-only-L nydus_overlay)" GOPROXY=off GOTOOLCHAIN=local \
      GOFLAGS= GOWORK=off GO111MODULE=on GOCACHE=$prefix/gocache NYDUS_OVERLAY_FIXTURES=$data \
    && test -z "$(gofmt -l .)" \
    && go vet ./... \
    && go test -count=1 -v ./... > "$gotest_log" \
    && go test -c -o "$prefix/go.test" .) \
    || { cat "$gotest_log" 2>/dev/null; echo "ffi: the Go package failed with $gover" >&2; exit 1; }
  if grep -q 'NEEDED.*libnydus_overlay' <<<"$(readelf -d "$prefix/go.test")"; then
    echo "ffi: the Go package linked the shared library, not libnydus_overlay.a" >&2; exit 1
  fi
  # The slog tests run exactly when the toolchain has log/slog; the newer one must have it.
  slog_ran=$(grep -cE '^ *--- PASS: TestSecretSlog' "$gotest_log" || true)
  case "$gobin:$slog_ran" in
    "$go_new:0") echo "ffi: $gover ran no slog test (is it older than Go 1.21?)" >&2; exit 1 ;;
  esac
  gopass=$((gopass + $(grep -cE '^ *--- PASS' "$gotest_log")))
  gofail=$((gofail + $(grep -cE '^ *--- FAIL' "$gotest_log" || true)))
done
echo "$gopass passed, $gofail failed"
