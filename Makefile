# chatrelay - one GNU Makefile (STYLE.md: objects out of tree, -MMD -MP, pkg-config).
#
#   make            release build: build/release/chatrelay
#   make run        install missing deps, build, serve with built-in defaults
#   make test       install missing deps, ASan/UBSan build, cmocka + pytest
#   make analyze    gcc -fanalyzer, clang-tidy, cppcheck
#   make fuzz       libFuzzer targets, bounded run
#   make bench      release build, chatrelay vs Postfix + Dovecot (bench/README.md)
#   make SAN=1      sanitizer build into build/asan

PKGS := libevent_core libevent_openssl libevent_pthreads libevent_extra openssl libcrypt sqlite3 \
	libcurl libcares zlib
PYTHON ?= /usr/bin/python3
FUZZ_SECONDS ?= 20

# -Wno-format-truncation: bounded snprintf truncation is the intended behaviour.
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wcast-qual -Wwrite-strings -Wformat=2 -Wvla -Wimplicit-fallthrough -Werror \
	-Wno-format-truncation
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -g -MMD -MP -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SAN),1)
BUILD := build/asan
OPT := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD := build/release
OPT := -O2
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CFLAGS += $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) -DCHATRELAY_VERSION='"$(VERSION)"'
LDFLAGS += $(OPT) -pthread
LDLIBS += $(PKG_LIBS)

SRCS := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
# Helper programs of the tests (e.g. the crash-test child) and benchmarks: linked like unit tests.
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/%)
BENCH_SRCS := $(wildcard bench/store_*.c)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
PURE_SRCS := $(wildcard src/core/*.c)

.PHONY: all deps dc-deps run test unit unit-bins e2e analyze fuzz bench store-bench clean format

all: $(BUILD)/chatrelay

deps:
	@scripts/install-deps

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(BUILD)/chatrelay: $(OBJS)
	@echo "  LD    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC    $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  TEST  $@"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lcmocka

$(TOOL_BINS): $(BUILD)/tests/%: tests/tools/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  TOOL  $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS)

$(BENCH_BINS): $(BUILD)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  BENCH $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS)

# store-bench: deliveries per second with and without fsync (printed, not a test).
store-bench: $(BENCH_BINS)
	$(BUILD)/bench/store_bench

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-default build/release/chatrelay

test: deps dc-deps
	@$(MAKE) --no-print-directory SAN=1 all unit-bins
	@$(MAKE) --no-print-directory SAN=1 unit e2e

unit-bins: $(UNIT_BINS) $(TOOL_BINS)

unit: $(UNIT_BINS)
	@scripts/run-unit $(UNIT_BINS)

# The real Delta Chat core, pinned by tests/deltachat/package-lock.json.
DC_RPC := tests/deltachat/node_modules/@deltachat/stdio-rpc-server-linux-x64/deltachat-rpc-server
dc-deps: $(DC_RPC)

$(DC_RPC): tests/deltachat/package-lock.json
	cd tests/deltachat && npm ci --no-audit --no-fund
	@touch $@

e2e: $(BUILD)/chatrelay $(TOOL_BINS)
	CHATRELAY_BIN=$(CURDIR)/$(BUILD)/chatrelay $(PYTHON) -m pytest -q tests/e2e tests/deltachat

analyze:
	@scripts/analyze $(SRCS)

fuzz:
	@scripts/fuzz $(FUZZ_SECONDS)

# Benchmarks are not tests: never part of `make test` or CI. Knobs are
# BENCH_* environment variables (bench/README.md).
bench: deps dc-deps
	@$(MAKE) --no-print-directory SAN= all
	$(PYTHON) bench/run.py --bin $(CURDIR)/build/release/chatrelay

format:
	clang-format -i $(SRCS) $(shell find src -name '*.h') $(UNIT_SRCS) $(FUZZ_SRCS)

clean:
	rm -rf build

-include $(OBJS:.o=.d) $(UNIT_BINS:=.d) $(TOOL_BINS:=.d) $(BENCH_BINS:=.d)
