# nydus-overlay: build, test, demo, install.
#   make demo    the main job: build the helper, mount sample layers through mount.fuse3
#   make test    everything CI runs
#   make bench   the benchmarks (see BENCHMARKS.md)
#   make install / uninstall   PREFIX, DESTDIR, SBINDIR honoured

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= /sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR ?=
CARGO ?= cargo

.PHONY: all deps build test check demo bench install uninstall clean

HELPER := target/release/nydus-overlayfs

all: build

deps:
	scripts/deps.sh

build:
	$(CARGO) build --release --workspace

check:
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

# The helper, and the name util-linux looks for: libmount runs /sbin/mount.fuse.<subtype> for
# fuse.<subtype> mounts and looks nowhere but /sbin, /sbin/fs.d and /sbin/fs.
install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(HELPER) $(DESTDIR)$(BINDIR)/nydus-overlayfs
	ln -sf $(BINDIR)/nydus-overlayfs $(DESTDIR)$(SBINDIR)/mount.fuse.nydus-overlayfs

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nydus-overlayfs $(DESTDIR)$(SBINDIR)/mount.fuse.nydus-overlayfs

clean:
	$(CARGO) clean
