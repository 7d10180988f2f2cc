# ticket-milter - build, test and run.
#
#   make            build/ticket-milter, build/ticketctl, build/ticket-parse, build/ticket-api
#   make asan       the same with AddressSanitizer + UBSan, in build/asan/
#   make check      install what is missing, build with sanitizers, run every test
#   make run        install, build, start the embedded default under ./var/
#   make stop       stop what `make run` started
#   make fuzz       run the parser fuzzer (FUZZ_SECONDS, default 600)
#   make bench      benchmarks; writes BENCHMARKS.md
#   make install    install under DESTDIR and PREFIX (default /usr/local)
#   make deb        the Debian package, build/ticket-milter_VERSION_ARCH.deb
#   make package-check  build, install, try and purge the package

# Each program links its own list, so that a forbidden dependency fails to
# link: ticket-parse neither libpq nor libmilter, ticketctl no libmilter
# (tests/layout/t_layers.sh checks the built programs with ldd).
# libspf2, libopendmarc and libytnef ship no pkg-config file.
# JSON: ticket-parse writes with parser/util/json_out.c alone; json-glib
# reads the database's answers in ticketctl and the daemon.
PARSER_PKGS := gmime-3.0 libxml-2.0 libcrypto libseccomp
PARSER_LIBS := $(shell pkg-config --libs $(PARSER_PKGS) 2>/dev/null) -lytnef
CTL_PKGS    := $(PARSER_PKGS) json-glib-1.0 libpq
# libarchive: ticketctl privacy export writes a tar (the daemon never does).
CTL_LIBS    := $(shell pkg-config --libs $(CTL_PKGS) libarchive 2>/dev/null) -lytnef
MILTER_PKGS := $(CTL_PKGS) milter opendkim libpsl libcurl
MILTER_LIBS := $(shell pkg-config --libs $(MILTER_PKGS) 2>/dev/null) \
               -lspf2 -lopendmarc -lytnef -lresolv -pthread
# ticket-api: the HTTP side is libmicrohttpd; no libmilter, no libcurl.
API_PKGS    := $(CTL_PKGS) libmicrohttpd
API_LIBS    := $(shell pkg-config --libs $(API_PKGS) 2>/dev/null) -lytnef -pthread
PKG_CFLAGS  := $(shell pkg-config --cflags $(MILTER_PKGS) libmicrohttpd 2>/dev/null)

CC        ?= cc
WARN      := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow -Wno-unused-parameter -Wno-comment
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(WARN) $(PKG_CFLAGS)
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
BASE_CFLAGS += -DTM_VERSION='"$(VERSION)"'

# Build flavours: the plain build, and the sanitizer build the tests use.
B         ?= build
OPT       ?= -O2 -g
SAN       ?=
CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(SAN) $(CPPFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

# parser/: the library, with parser/util/ below it; parser/cli/: the
# ticket-parse command.
PARSER_SRC := $(wildcard parser/*.c parser/util/*.c)
# milter/: one folder a layer (README.md, "Layout"); each is one library.
UTIL_SRC   := $(wildcard milter/util/*.c)
CORE_SRC   := $(wildcard milter/core/*.c)
DAEMON_SRC := $(filter-out milter/daemon/milter_main.c,$(wildcard milter/daemon/*.c))
CTL_SRC    := $(wildcard milter/ctl/*.c)
# api/: ticket-api, beside milter/ (it links milter/core and milter/util).
API_SRC    := $(wildcard api/*.c)
SQL_FILES  := $(sort $(wildcard sql/[0-9]*.sql))
# sql/functions/: the current functions, views and triggers, in this order
# (views last: they are checked against the functions when created).
SQL_CODE   := $(addprefix sql/functions/,util.sql threading.sql autoreply.sql closing.sql status.sql agent_reply.sql \
              agent_commands.sql ingest.sql outbox.sql queue_mail.sql reports.sql retention.sql privacy.sql region.sql \
              api.sql webhook.sql)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGRAMS := $(B)/ticket-milter $(B)/ticketctl $(B)/ticket-parse $(B)/ticket-api

.SECONDARY:
.PHONY: all asan check run stop clean fuzz bench deps unit-tests
all: $(PROGRAMS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

# The SQL migrations are compiled into the programs, so ticketctl needs no
# data directory to find them. The directory is a prerequisite too: its
# time changes when a migration is added or removed, whatever the file's.
$(B)/obj/sql_embedded.c: $(SQL_FILES) $(SQL_CODE) sql sql/functions scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-sql.sh $(SQL_FILES) -- $(SQL_CODE) > $@
$(B)/obj/sql_embedded.o: $(B)/obj/sql_embedded.c
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(B)/libparser.a: $(call obj,$(PARSER_SRC))
	@rm -f $@; ar rcs $@ $^
$(B)/libutil.a: $(call obj,$(UTIL_SRC))
	@rm -f $@; ar rcs $@ $^
$(B)/libcore.a: $(call obj,$(CORE_SRC)) $(B)/obj/sql_embedded.o
	@rm -f $@; ar rcs $@ $^

$(B)/libdaemon.a: $(call obj,$(DAEMON_SRC))
	@rm -f $@; ar rcs $@ $^

MILTER_A := $(B)/libdaemon.a $(B)/libcore.a $(B)/libutil.a $(B)/libparser.a
$(B)/ticket-milter: $(call obj,milter/daemon/milter_main.c) $(MILTER_A)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MILTER_LIBS)
$(B)/ticketctl: $(call obj,$(CTL_SRC)) $(B)/libcore.a $(B)/libutil.a $(B)/libparser.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $^ $(CTL_LIBS)
$(B)/ticket-api: $(call obj,$(API_SRC)) $(B)/libcore.a $(B)/libutil.a $(B)/libparser.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $^ $(API_LIBS)
$(B)/ticket-parse: $(call obj,parser/cli/ticket_parse.c) $(B)/libparser.a
	@echo "  LD $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PARSER_LIBS)

# Unit tests: one cmocka program per tests/unit/test_*.c.
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(MILTER_A)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(LDFLAGS_ALL) -o $@ $^ $(MILTER_LIBS) -lcmocka
unit-tests: $(UNIT_BINS)

ASAN_B    ?= build/asan
ASAN_VARS := B=$(ASAN_B) OPT="-O1 -g -fno-omit-frame-pointer" \
             SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
asan:
	$(MAKE) $(ASAN_VARS) all unit-tests

deps:
	bash scripts/install-deps.sh

check: deps
	$(MAKE) asan
	TM_BUILD=$(CURDIR)/$(ASAN_B) bash tests/run.sh

run: deps all
	bash scripts/run.sh start

stop:
	bash scripts/run.sh stop

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# --- parser: fuzz and bench ---
# The libFuzzer target builds with clang straight from the parser sources;
# make fuzz runs it for FUZZ_SECONDS (tests/parser/t_fuzz.sh: 60 s).
FUZZ_SECONDS ?= 600
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
build/fuzz/fuzz_parser: tests/fuzz/fuzz_parser.c $(PARSER_SRC) $(wildcard parser/*.h parser/util/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_parser.c $(PARSER_SRC) $(PARSER_LIBS)
fuzz: build/fuzz/fuzz_parser
	bash tests/parser/fuzz-run.sh $(FUZZ_SECONDS)

# make bench runs every bench/bench_*.sh section (bench/run.sh).
build/bench/parse_bench: bench/parse_bench.c build/libparser.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -g -o $@ $< build/libparser.a $(PARSER_LIBS)
# bench/bench_auth.sh: auth_bench, and the daemon for the throughput with and without verification.
build/bench/auth_bench: bench/auth_bench.c build/libdaemon.a build/libcore.a build/libutil.a build/libparser.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -g -o $@ $^ $(MILTER_LIBS)
# bench/bench_mta.sh: null_milter, the floors any libmilter milter costs.
build/bench/null_milter: bench/null_milter.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -o $@ $< $(shell pkg-config --libs milter) -pthread
# bench/bench_mta.sh: bind_source.so gives smtp-source a source address that is not loopback.
build/bench/bind_source.so: bench/bind_source.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O2 -shared -fPIC -o $@ $< -ldl
bench: build/bench/parse_bench build/bench/auth_bench build/bench/null_milter build/bench/bind_source.so all
	bash bench/run.sh

# --- packaging: install, deb, package-check ---
# make install is what debian/rules calls (PREFIX=/usr SYSCONFDIR=/etc). The
# programs look for /etc/ticket-milter/ticket-milter.conf; an existing config
# is never overwritten.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/ticket-milter
SYSCONFDIR ?= /etc
MAN_PAGES  := $(wildcard packaging/man/*.[158])
.PHONY: install deb package-check
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/sql/functions \
		$(DESTDIR)$(SYSCONFDIR)/ticket-milter
	install -m 755 $(B)/ticket-milter $(B)/ticketctl $(B)/ticket-api $(DESTDIR)$(SBINDIR)/
	install -m 755 $(B)/ticket-parse $(DESTDIR)$(BINDIR)/
	install -m 644 $(SQL_FILES) $(DESTDIR)$(DATADIR)/sql/
	install -m 644 $(SQL_CODE) $(DESTDIR)$(DATADIR)/sql/functions/
	for page in $(MAN_PAGES); do \
		dir=$(DESTDIR)$(MANDIR)/man$${page##*.}; \
		install -d $$dir && install -m 644 $$page $$dir/ || exit 1; \
	done
	test -e $(DESTDIR)$(SYSCONFDIR)/ticket-milter/ticket-milter.conf || \
		install -m 644 packaging/ticket-milter.conf $(DESTDIR)$(SYSCONFDIR)/ticket-milter/
deb: deps
	bash packaging/build-deb.sh
package-check: deps
	bash tests/packaging/t_package.sh
