# Tinyx. `make` builds the tool; `make check` installs what the tests need and
# runs every test; `make check-unikernels` the unikernel rows too long for it;
# `make fuzz` runs the fuzz targets longer; `make bench`.
CC      ?= cc
CLANG   ?= clang
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE
LDLIBS  := -lelf -lm -pthread
B       := build

LIB_SRC  := $(filter-out src/cli/% src/guest/%,$(wildcard src/*/*.c))
LIB_HDR  := $(wildcard src/*/*.h)
CLI_SRC  := $(wildcard src/cli/*.c)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(B)/obj/%.o)
CLI_ASAN := $(CLI_SRC:src/%.c=$(B)/asan/%.o)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:src/%.c=$(B)/asan/%.o)
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SRC := $(wildcard tests/unit/test-*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
UNIT_ASAN:= $(UNIT_SRC:tests/unit/%.c=$(B)/tests-asan/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
GUEST_SRC:= $(wildcard src/guest/*.c)

.PHONY: all check check-unikernels unit unit-asan fuzz fuzz-check bench clean deps-test format
all: $(B)/tinyx $(B)/tinyx-init

$(B)/obj/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Isrc -c -o $@ $<

$(B)/asan/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -c -o $@ $<

$(B)/libtinyx.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libtinyx-asan.a: $(ASAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/tinyx: $(CLI_OBJ) $(B)/libtinyx.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# the CLI under ASan and UBSan: tests/t600 runs the bad-input table against it
$(B)/tinyx-asan: $(CLI_ASAN) $(B)/libtinyx-asan.a
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

# The guest init: static, small. musl when available, else glibc static.
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
GUEST_CC := $(if $(MUSL_GCC),musl-gcc,$(CC))
# It shares one source with the host library: the app.conf reader. Unused
# sections dropped: 54.5 KB with musl (58.7 KB without, as libc's unused
# malloc and strtol paths stay in).
GUEST_SHARED := src/formats/appconf.c src/formats/dhcp.c src/formats/ifaces.c \
		src/formats/sysctl.c
$(B)/tinyx-init: $(GUEST_SRC) $(GUEST_SHARED) $(wildcard src/guest/*.h) $(GUEST_SHARED:.c=.h)
	@mkdir -p $(@D)
	$(GUEST_CC) -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Os -static -s -Isrc \
		-ffunction-sections -fdata-sections -Wl,--gc-sections -o $@ \
		$(GUEST_SRC) $(GUEST_SHARED)

$(B)/tests/%: tests/unit/%.c tests/unit/t.h $(B)/libtinyx.a
	@mkdir -p $(@D)
	$(CC) $(WARN) $(CFLAGS) -Isrc -o $@ $< $(B)/libtinyx.a $(LDLIBS)

$(B)/tests-asan/%: tests/unit/%.c tests/unit/t.h $(B)/libtinyx-asan.a
	@mkdir -p $(@D)
	$(CC) $(WARN) -O1 -g $(SAN) -Isrc -o $@ $< $(B)/libtinyx-asan.a $(LDLIBS)

# the library is compiled once for all fuzz targets
FUZZ_OBJ := $(LIB_SRC:src/%.c=$(B)/fuzzobj/%.o)
$(B)/fuzzobj/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $(@D)
	$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined -Isrc -c -o $@ $<

$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(CLANG) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

unit: $(UNIT_BIN) $(B)/tinyx
	tests/run-unit.sh $(B)/tests

unit-asan: $(UNIT_ASAN) $(B)/tinyx
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 tests/run-unit.sh $(B)/tests-asan

FUZZ_SECONDS ?= 20
fuzz-check: $(FUZZ_BIN)
	tests/run-fuzz.sh $(B)/fuzz $(FUZZ_SECONDS)

fuzz: FUZZ_SECONDS = 600
fuzz: fuzz-check

deps-test:
	src/host-deps.sh test

NPROC := $(shell nproc 2>/dev/null || echo 2)
check: deps-test
	$(MAKE) -j$(NPROC) all $(B)/tinyx-asan $(UNIT_BIN) $(UNIT_ASAN) $(FUZZ_BIN)
	$(MAKE) unit
	$(MAKE) unit-asan
	ALONGSIDE_TEST=t700 ALONGSIDE="tests/run-fuzz.sh $(B)/fuzz $(FUZZ_SECONDS) 1" \
		PREFETCH_TEST=t100 PREFETCH="nice -n 19 tests/prefetch-roots.sh" tests/run-shell.sh

# the unikernel rows that take too long for make check (tests/u*.sh)
check-unikernels: deps-test all
	TEST_GLOB='tests/u[0-9][0-9][0-9]-*.sh' TESTS=u tests/run-shell.sh

bench: all $(B)/bench-elfscan
	bench/run.sh

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c bench/*.c

clean:
	rm -rf $(B)

# the rootfs stage alone, for t300 and bench/rootfs.sh
$(B)/rootfs-driver: tests/fixtures/rootfs-driver.c $(B)/libtinyx.a
	$(CC) $(WARN) $(CFLAGS) -Isrc -o $@ $< $(B)/libtinyx.a $(LDLIBS)

$(B)/bench-elfscan: bench/elfscan.c $(B)/libtinyx.a
	$(CC) $(WARN) $(CFLAGS) -Isrc -o $@ $< $(B)/libtinyx.a $(LDLIBS)
