# Thin wrapper: installs the Debian packages cnisim needs (when missing),
# configures and builds with meson, and runs the quickstart or the tests.
# Our builds are strict (-Dwerror=true); the meson default is not, so a
# distribution's release build does not fail on a new compiler's warning.
#   make quickstart   set up, build, run scenarios/quickstart.ini, write CSV and plots
#   make test         set up, build, run every test (also under ASan/UBSan and valgrind),
#                     with the Slurm, GNU parallel, Kubernetes-manifest and .deb tests
#   make golden-update  rewrite the pinned golden outputs after a deliberate model change
BUILD ?= build
ASAN_BUILD ?= build-asan
RELEASE_BUILD ?= build-release
PKGS = meson ninja-build pkg-config gcc libglib2.0-dev libgsl-dev libcmocka-dev gnuplot-nox valgrind \
       scdoc man-db
# Only for `make test`: the Slurm, GNU parallel, Kubernetes-manifest and .deb tests.
TEST_PKGS = slurm-wlm munge parallel python3-yaml debhelper dpkg-dev clang

.PHONY: deps build quickstart test test-asan test-valgrind test-release golden-update clean

deps:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "cnisim needs these Debian packages; install them with:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) -Dwerror=true >/dev/null
	ninja -C $(BUILD)

quickstart: build
	$(BUILD)/app/cnisim run scenarios/quickstart.ini -o out/quickstart --force
	$(BUILD)/app/cnisim report out/quickstart

# --setup ci adds the tests that need root and the packages above: a
# single-node Slurm, GNU parallel, the Kubernetes manifests, the .deb.
test: build
	@$(MAKE) --no-print-directory deps PKGS="$(PKGS) $(TEST_PKGS)"
	meson test -C $(BUILD) --setup ci --print-errorlogs
	$(MAKE) --no-print-directory test-asan test-valgrind test-release

# The whole suite again with AddressSanitizer and UndefinedBehaviorSanitizer.
# float-to-integer conversions that overflow are undefined but not in
# -fsanitize=undefined: added here (issue 9).
ASAN_FLAGS = -fsanitize=float-cast-overflow
test-asan: deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dc_args='$(ASAN_FLAGS)' -Dc_link_args='$(ASAN_FLAGS)' >/dev/null
	@grep -q -- '$(ASAN_FLAGS)' $(ASAN_BUILD)/build.ninja || meson configure $(ASAN_BUILD) \
	  -Dc_args='$(ASAN_FLAGS)' -Dc_link_args='$(ASAN_FLAGS)' 
	ninja -C $(ASAN_BUILD)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C $(ASAN_BUILD) --print-errorlogs --timeout-multiplier 4

# A small scenario under valgrind memcheck: no errors, no definitely-lost bytes.
test-valgrind: build
	tests/valgrind.sh $(BUILD)/app/cnisim

# A distribution's build (-O3, NDEBUG) with gcc and with clang: not one
# warning (-Dwerror=true turns one into a failed build).
test-release: deps
	@for cc in gcc clang; do \
	  [ -f $(RELEASE_BUILD)-$$cc/build.ninja ] || \
	    CC=$$cc meson setup $(RELEASE_BUILD)-$$cc --buildtype=release -Dwerror=true >/dev/null || exit 1; \
	  ninja -C $(RELEASE_BUILD)-$$cc || exit 1; \
	done

# Rewrite the pinned golden outputs (tests/golden/NAME/*.csv) after a
# deliberate model change; say why and which numbers moved in the commit.
golden-update: build
	tests/golden/check.sh $(BUILD)/app/cnisim --update

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(RELEASE_BUILD)-gcc $(RELEASE_BUILD)-clang
