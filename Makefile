# nydus-overlay: build, test, demo, install.
#   make demo    the main job: build the helper, mount sample layers through mount.fuse3
#   make test    everything CI runs
#   make bench   the benchmarks (see BENCHMARKS.md)
#   make mutants / fuzz-coverage   how much the tests and the fuzz corpora catch (TESTING.md)
#   make install / uninstall   PREFIX, DESTDIR, SBINDIR, MANDIR honoured
#   make install-front / uninstall-front   the opt-in mount.fuse front (FRONTDIR, DESTDIR)
#   make man / man-check / man-lint   the man pages (generated, committed, checked)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= /sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=
CARGO ?= cargo

.PHONY: helper helper-path all deps build test check demo bench install uninstall clean header header-check
.PHONY: install-front uninstall-front
.PHONY: man man-check man-lint deb
.PHONY: mutants fuzz-coverage

# The helper users install: static (musl), its own profile (panic=abort, size-optimized).
# BENCHMARKS.md says what each of these levers gave.
HELPER_TARGET ?= x86_64-unknown-linux-musl
HELPER := target/$(HELPER_TARGET)/helper/nydus-overlayfs
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
ABI := 0
LIB := target/release/libnydus_overlay

all: build

deps:
	scripts/deps.sh

build: helper
	$(CARGO) build --release --workspace

helper:
	$(CARGO) build --profile helper --target $(HELPER_TARGET) -p nydus-overlayfs

helper-path:
	@echo $(CURDIR)/$(HELPER)

# cbindgen reads the macro-expanded ffi crate (`-Zunpretty=expanded`, a nightly flag, so this
# one call runs on the nightly toolchain that scripts/deps.sh installs for Miri and fuzzing):
# the entry points and codes come from macros.
header:
	RUSTUP_TOOLCHAIN=nightly cbindgen --quiet --config ffi/cbindgen.toml --crate nydus-overlay-ffi --output include/nydus_overlay.h ffi

# The committed header must be what the pinned cbindgen makes of the sources now.
header-check:
	RUSTUP_TOOLCHAIN=nightly cbindgen --quiet --config ffi/cbindgen.toml --crate nydus-overlay-ffi --output target/nydus_overlay.h.check ffi
	diff -u include/nydus_overlay.h target/nydus_overlay.h.check

# The man pages: prose in tests/examples/manpages.rs, word lists, limits, exit statuses, C
# functions and result codes from the code; generated and committed, checked like the header.
MANPAGES := man/nydus-overlayfs.8 man/libnydus_overlay.3
man:
	$(CARGO) run -q -p nydus-overlay-tests --example manpages -- man

man-check:
	$(CARGO) run -q -p nydus-overlay-tests --example manpages -- --check man

# Warnings are errors: groff prints nothing, mandoc finds nothing at warning level or above.
man-lint:
	@for p in $(MANPAGES); do \
	  out=$$(groff -ww -z -man "$$p" 2>&1) || exit 1; \
	  if [ -n "$$out" ]; then echo "$$p: groff: $$out" >&2; exit 1; fi; \
	done
	mandoc -T lint -W warning $(MANPAGES)
	@echo "man pages lint clean"

# The Debian package (dpkg-deb over a `make install` tree; scripts/deb.sh says why), in
# target/deb/. scripts/test-deb.sh lints, installs, mounts through and purges it.
deb: build
	scripts/deb.sh

check: header-check
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	$(CARGO) build -p nydus-overlay-core --target thumbv7em-none-eabihf

test: deps
	scripts/test.sh

bench: deps
	scripts/bench.sh

demo: deps build
	scripts/demo.sh

# Not part of `make test`: two to three hours. TESTING.md has the scores and what each set
# runs; cli-mounts (a minute a mutant) is sampled: every tenth mutant, round robin.
mutants:
	scripts/deps.sh mutants
	scripts/mutants.sh core ffi cli
	scripts/mutants.sh cli-mounts -- --shard 0/10 --sharding round-robin

fuzz-coverage: deps
	scripts/fuzz-coverage.sh

# The helper, and the name util-linux looks for: libmount runs /sbin/mount.fuse.<subtype> for
# fuse.<subtype> mounts and looks nowhere but /sbin, /sbin/fs.d and /sbin/fs.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(HELPER) $(DESTDIR)$(BINDIR)/nydus-overlayfs
	ln -sf $(BINDIR)/nydus-overlayfs $(DESTDIR)$(SBINDIR)/mount.fuse.nydus-overlayfs
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(LIB).so $(DESTDIR)$(LIBDIR)/libnydus_overlay.so.$(VERSION)
	ln -sf libnydus_overlay.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libnydus_overlay.so.$(ABI)
	ln -sf libnydus_overlay.so.$(ABI) $(DESTDIR)$(LIBDIR)/libnydus_overlay.so
	install -m 0644 $(LIB).a $(DESTDIR)$(LIBDIR)/libnydus_overlay.a
	install -m 0644 include/nydus_overlay.h $(DESTDIR)$(INCLUDEDIR)/nydus_overlay.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' ffi/nydus_overlay.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/nydus_overlay.pc
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 man/nydus-overlayfs.8 $(DESTDIR)$(MANDIR)/man8/nydus-overlayfs.8
	ln -sf nydus-overlayfs.8 $(DESTDIR)$(MANDIR)/man8/mount.fuse.nydus-overlayfs.8
	install -m 0644 man/libnydus_overlay.3 $(DESTDIR)$(MANDIR)/man3/libnydus_overlay.3

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nydus-overlayfs $(DESTDIR)$(SBINDIR)/mount.fuse.nydus-overlayfs
	rm -f $(DESTDIR)$(LIBDIR)/libnydus_overlay.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libnydus_overlay.so.$(ABI) \
	      $(DESTDIR)$(LIBDIR)/libnydus_overlay.so $(DESTDIR)$(LIBDIR)/libnydus_overlay.a \
	      $(DESTDIR)$(INCLUDEDIR)/nydus_overlay.h $(DESTDIR)$(PKGCONFIGDIR)/nydus_overlay.pc
	rm -f $(DESTDIR)$(MANDIR)/man8/nydus-overlayfs.8 $(DESTDIR)$(MANDIR)/man8/mount.fuse.nydus-overlayfs.8 \
	      $(DESTDIR)$(MANDIR)/man3/libnydus_overlay.3

# The opt-in mount.fuse / mount.fuse3 front (README "The mount.fuse front"): two links to the
# installed helper in FRONTDIR, a directory before the system's on containerd's PATH. Never
# into the directories the front takes the real programs from (REAL_DIRS in cli/src/front/mod.rs),
# and never over a file that is not already such a link. `make install` first.
FRONTDIR ?= /usr/local/sbin
FRONT_NAMES := mount.fuse mount.fuse3

install-front:
	@case "$(FRONTDIR)" in /usr/sbin|/sbin|/usr/bin|/bin|/usr/sbin/|/sbin/|/usr/bin/|/bin/) \
	  echo "install-front: FRONTDIR=$(FRONTDIR) holds the real mount.fuse3; use a directory before it on PATH" >&2; exit 1;; esac
	@test -x $(DESTDIR)$(BINDIR)/nydus-overlayfs || { \
	  echo "install-front: $(DESTDIR)$(BINDIR)/nydus-overlayfs is missing: run make install first" >&2; exit 1; }
	@for n in $(FRONT_NAMES); do f=$(DESTDIR)$(FRONTDIR)/$$n; \
	  if [ -e "$$f" -o -L "$$f" ] && [ "$$(readlink "$$f")" != $(BINDIR)/nydus-overlayfs ]; then \
	    echo "install-front: $$f exists and is not the front; not replacing it" >&2; exit 1; fi; done
	install -d $(DESTDIR)$(FRONTDIR)
	for n in $(FRONT_NAMES); do ln -sfn $(BINDIR)/nydus-overlayfs $(DESTDIR)$(FRONTDIR)/$$n; done

uninstall-front:
	@for n in $(FRONT_NAMES); do f=$(DESTDIR)$(FRONTDIR)/$$n; \
	  if [ "$$(readlink "$$f" 2>/dev/null)" = $(BINDIR)/nydus-overlayfs ]; then rm -f "$$f"; echo "removed $$f"; \
	  elif [ -e "$$f" -o -L "$$f" ]; then echo "uninstall-front: $$f is not the front; left alone" >&2; fi; done

clean:
	$(CARGO) clean
