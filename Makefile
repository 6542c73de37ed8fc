# Builds and installs the C library of dlp (dlp-ffi): libdlp.so, libdlp.a,
# include/dlp.h and the pkg-config file dlp.pc.
#
#   make install PREFIX=/usr/local     build (release) and install
#   make uninstall PREFIX=/usr/local   remove the installed files
#   make test-ffi                      run scripts/test-ffi.sh

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CARGO ?= cargo
CARGO_TARGET_DIR ?= target
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR := $(firstword $(subst ., ,$(VERSION)))
# The system libraries that the Rust standard library in libdlp.a needs,
# as `rustc --print native-static-libs` lists them for Linux with glibc.
NATIVE_LIBS ?= -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

RELEASE := $(CARGO_TARGET_DIR)/release

.PHONY: ffi install uninstall test-ffi

ffi:
	$(CARGO) build --release -p dlp-ffi --lib

install: ffi
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/dlp.h $(DESTDIR)$(INCLUDEDIR)/dlp.h
	install -m 644 $(RELEASE)/libdlp.a $(DESTDIR)$(LIBDIR)/libdlp.a
	install -m 755 $(RELEASE)/libdlp.so \
		$(DESTDIR)$(LIBDIR)/libdlp.so.$(VERSION)
	ln -sf libdlp.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libdlp.so.$(MAJOR)
	ln -sf libdlp.so.$(MAJOR) $(DESTDIR)$(LIBDIR)/libdlp.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@NATIVE_LIBS@|$(NATIVE_LIBS)|' dlp-ffi/dlp.pc.in \
		> $(DESTDIR)$(PKGCONFIGDIR)/dlp.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/dlp.h $(DESTDIR)$(LIBDIR)/libdlp.a \
		$(DESTDIR)$(LIBDIR)/libdlp.so $(DESTDIR)$(LIBDIR)/libdlp.so.$(MAJOR) \
		$(DESTDIR)$(LIBDIR)/libdlp.so.$(VERSION) \
		$(DESTDIR)$(PKGCONFIGDIR)/dlp.pc

test-ffi:
	scripts/test-ffi.sh
