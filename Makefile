# nmemd — one non-recursive Makefile.
#
#   make            build bin/nmemd
#   make run        install missing packages, build, start nmemd (SQLite, ./data)
#   make test       install, build, run every test (unit + HTTP + browser)
#   make check      the same suite under AddressSanitizer + UBSan (build/asan)
#   make fuzz       libFuzzer targets (clang) for FUZZ_SECONDS each (build/fuzz)
#   make fuzz-regress  replay saved fuzz inputs (part of test and check)
#   make deps       install missing Debian and npm packages only
#   make install    PREFIX=/usr/local DESTDIR= : binary, conf, systemd unit
#   make clean
#
# Objects go to build/ (build/asan/ for `check`); lib/ objects are shared by
# the daemon and the unit tests. WERROR=1 adds -Werror (CI).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   ?= build
VERSION := 0.1.0

LIB_PKGS := sqlite3 jansson icu-uc libpcre2-8 libzstd libpq
SRV_PKGS := libuv libcrypto
PKGS    := $(LIB_PKGS) $(SRV_PKGS)
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
CFLAGS  += -std=c11 $(OPT) $(WARN) -D_GNU_SOURCE -DNMEMD_VERSION=\"$(VERSION)\" -MMD -MP -Iserver -Ilib
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
SAN     ?=
CFLAGS  += $(SAN)
LDFLAGS += $(SAN)

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
LIB_LIBS   = $(shell pkg-config --libs $(LIB_PKGS) 2>/dev/null) -lpthread -lm

LLHTTP_DIR  := /usr/share/llhttp
LLHTTP_INC  := /usr/share/include/llhttp
LLHTTP_SRC  := api.c http.c llhttp.c
LLHTTP_OBJ  := $(LLHTTP_SRC:%.c=$(BUILD)/llhttp/%.o)

LIB_SRC     := $(wildcard lib/*.c)
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o)
SRV_SRC     := $(wildcard server/*.c server/handlers/*.c)
SRV_OBJ     := $(SRV_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
ifeq ($(BUILD),build)
NMEMD       := bin/nmemd
else
NMEMD       := $(BUILD)/bin/nmemd
endif

.PHONY: all deps run test check unit http browser quality bench bench-1m install clean lint fuzz fuzz-build fuzz-regress
all: $(NMEMD)

deps:
	@sh scripts/install-deps.sh

# proto/openapi.json is linked in as data (served at /openapi.json).
OPENAPI_OBJ := $(BUILD)/openapi.o
$(OPENAPI_OBJ): proto/openapi.json
	@mkdir -p $(dir $@)
	ld -r -b binary -z noexecstack -o $@ $<

$(NMEMD): $(LIB_OBJ) $(SRV_OBJ) $(LLHTTP_OBJ) $(OPENAPI_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/server/%.o: server/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -I$(LLHTTP_INC) -c -o $@ $<

# llhttp is generated C: build it with its own, looser flags.
$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(OPT) $(SAN) -I$(LLHTTP_INC) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(LIB_LIBS) -lcriterion

run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p data
	./bin/nmemd --host 127.0.0.1 --port 8000 --data-dir ./data --storage sqlite

# PGTMP CMD: CMD with NMEMD_TEST_PG naming a PostgreSQL server started for
# it (and stopped after it); the tests make a fresh database per store/server.
PGTMP := python3 tests/pg/pgtmp.py run --

# Criterion binaries print their own "Synthesis:" line; the HTTP driver
# prints "N passed, M failed" last. Both run every backend (memory, sqlite,
# postgres) against one PostgreSQL server per target.
unit: $(UNIT_BIN)
	@$(PGTMP) sh -c 'fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t --jobs 2 || fail=1; done; exit $$fail'

http: $(NMEMD)
	$(PGTMP) python3 tests/http/run.py --bin $(NMEMD)

# /ui and /docs in Debian's headless Chromium (playwright-core from npm);
# screenshots go to build/test-output/.
browser: $(NMEMD)
	node tests/browser/run.mjs --bin $(NMEMD)

# Retrieval quality: recall@5 of default/compat/BM25 on two corpora, on
# SQLite, then on PostgreSQL.
quality: $(NMEMD)
	python3 tests/quality/run.py --bin $(NMEMD) --storage sqlite
	$(PGTMP) python3 tests/quality/run.py --bin $(NMEMD) --storage postgres

test: deps
	@$(MAKE) --no-print-directory lint unit fuzz-regress http browser quality

# lib/ stays free of libuv and llhttp (DESIGN.md).
lint:
	@if grep -rlE '#include *[<"](uv|llhttp)\.h' lib; then echo "lib/ must not include uv.h or llhttp.h" >&2; exit 1; fi

check: deps
	@$(MAKE) --no-print-directory BUILD=build/asan OPT="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		lint unit fuzz-regress http quality

# Speed goals live here, not in `make test`. `make bench` runs the suite
# (scripts/bench/suite.py) at BENCH_SIZES neurons and prints its tables;
# `make bench-1m` is the 1M-neuron run (under 30 min on 2 cores) and the
# lifecycle benchmark (import/export/decay/archive) at that size.
# BENCH_URL=http://host:port measures a running server or cluster (nginx)
# instead of starting one: `make bench BENCH_URL=http://127.0.0.1:8080`.
BENCH_SIZES ?= 10k,100k
BENCH_URL ?=
bench: all
	python3 scripts/bench/suite.py --bin $(NMEMD) --sizes $(BENCH_SIZES) --json build/bench.json \
		$(if $(BENCH_URL),--url $(BENCH_URL) --clients 16)

bench-1m: all
	python3 scripts/bench/suite.py --bin $(NMEMD) --sizes 1M --json build/bench-1m.json
	python3 scripts/bench/lifecycle.py --bin $(NMEMD) --neurons 1000000

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/etc/nmemd $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 bin/nmemd $(DESTDIR)$(PREFIX)/bin/nmemd
	install -m 0644 conf/nmemd.conf $(DESTDIR)$(PREFIX)/etc/nmemd/nmemd.conf
	sed 's,@PREFIX@,$(PREFIX),g' deploy/nmemd.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/nmemd.service
	install -d $(DESTDIR)$(PREFIX)/share/nmemd
	install -m 0644 proto/openapi.json $(DESTDIR)$(PREFIX)/share/nmemd/openapi.json
	@# the UI (page files and vendor/, not the npm install behind it): found by nmemd as ../share/nmemd/ui
	install -d $(DESTDIR)$(PREFIX)/share/nmemd/ui
	cd server/ui && find . -path ./node_modules -prune -o -type f ! -name 'package*.json' -print | \
		while read f; do install -D -m 0644 "$$f" "$(DESTDIR)$(PREFIX)/share/nmemd/ui/$$f"; done

clean:
	rm -rf build bin

# ---- fuzzing (tests/fuzz/README.md) ----
#
# `make fuzz FUZZ_SECONDS=60` builds each target of tests/fuzz/ with clang
# and libFuzzer + ASan + UBSan into build/fuzz/ (objects of its own: the daemon's
# build/ is untouched) and runs it for FUZZ_SECONDS on a copy of its corpus
# in build/fuzz/corpus-run/. A crash input is copied to
# tests/fuzz/regress/<target>/ and fails the run.
# `make fuzz-regress` replays tests/fuzz/regress/ and tests/fuzz/corpus/
# through the same targets linked with $(CC) and driver.c's main, against
# the objects of $(BUILD): plain in `make test`, ASan + UBSan in `make check`.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ         := build/fuzz
FUZZ_TARGETS := request extract import
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=c11 -O1 -g $(WARN) -D_GNU_SOURCE -DNMEMD_VERSION=\"$(VERSION)\" -MMD -MP -Iserver -Ilib \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ)/obj/%.o)
FUZZ_SRV_SRC := $(filter-out server/main.c,$(SRV_SRC))
FUZZ_SRV_OBJ := $(FUZZ_SRV_SRC:%.c=$(FUZZ)/obj/%.o)
FUZZ_LLHTTP  := $(LLHTTP_SRC:%.c=$(FUZZ)/obj/llhttp/%.o)
FUZZ_BIN     := $(FUZZ_TARGETS:%=$(FUZZ)/fuzz_%)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_BIN)

$(FUZZ)/obj/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ)/obj/server/%.o: server/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -I$(LLHTTP_INC) -c -o $@ $<

$(FUZZ)/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -I$(LLHTTP_INC) -c -o $@ $<

$(FUZZ)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) -I$(LLHTTP_INC) -c -o $@ $<

$(FUZZ)/openapi.o: proto/openapi.json
	@mkdir -p $(dir $@)
	ld -r -b binary -z noexecstack -o $@ $<

# request: the server's objects (no main.c, no loop is run) and llhttp
$(FUZZ)/fuzz_request: $(FUZZ)/obj/tests/fuzz/fuzz_request.o $(FUZZ_LIB_OBJ) $(FUZZ_SRV_OBJ) $(FUZZ_LLHTTP) $(FUZZ)/openapi.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

$(FUZZ)/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIB_LIBS)

# replay builds: the targets with driver.c's main, on $(BUILD)'s objects
REPLAY      := $(BUILD)/fuzz-replay
REPLAY_BIN  := $(FUZZ_TARGETS:%=$(REPLAY)/fuzz_%)

$(REPLAY)/obj/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -I$(LLHTTP_INC) -c -o $@ $<

$(REPLAY)/fuzz_request: $(REPLAY)/obj/fuzz_request.o $(REPLAY)/obj/driver.o $(LIB_OBJ) \
		$(filter-out $(BUILD)/server/main.o,$(SRV_OBJ)) $(LLHTTP_OBJ) $(OPENAPI_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(REPLAY)/fuzz_%: $(REPLAY)/obj/fuzz_%.o $(REPLAY)/obj/driver.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIB_LIBS)

# the targets' objects are intermediate for make: keep them
.SECONDARY: $(FUZZ_TARGETS:%=$(FUZZ)/obj/tests/fuzz/fuzz_%.o) $(FUZZ_TARGETS:%=$(REPLAY)/obj/fuzz_%.o) \
	$(REPLAY)/obj/driver.o

# on a failure, each file alone names the inputs that fail
fuzz-regress: $(REPLAY_BIN)
	@for t in $(FUZZ_TARGETS); do \
		$(REPLAY)/fuzz_$$t tests/fuzz/regress/$$t tests/fuzz/corpus/$$t && continue; \
		for f in tests/fuzz/regress/$$t/* tests/fuzz/corpus/$$t/*; do \
			$(REPLAY)/fuzz_$$t "$$f" >/dev/null 2>&1 || echo "fuzz-regress: fuzz_$$t fails on $$f" >&2; \
		done; \
		exit 1; \
	done

-include $(LIB_OBJ:.o=.d) $(SRV_OBJ:.o=.d) $(UNIT_BIN:=.d)
-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_SRV_OBJ:.o=.d) $(FUZZ_TARGETS:%=$(FUZZ)/obj/tests/fuzz/fuzz_%.d)
-include $(FUZZ_TARGETS:%=$(REPLAY)/obj/fuzz_%.d) $(REPLAY)/obj/driver.d
