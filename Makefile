# supplymkt — PGXS build.  `make && make install`, then `make installcheck` against a running server.
# `make WERROR=1` turns warnings into errors (the test suite sets it); packagers build without it.
EXTENSION = supplymkt
EXTVERSION = 0.2.0
MODULE_big = supplymkt

# The core (knows no family) and the numeric library (optimiser, special functions).
CORE_OBJS = src/supplymkt.o $(patsubst %.c,%.o,$(sort $(wildcard src/core/*.c)))
NUMERIC_OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/numeric/*.c)))
# One word per family: its C is src/<family>/*.c, its SQL src/sql/<family>.sql (installed in this order: a
# family's SQL may use the families before it). Adding a family adds its word here, nothing else.
FAMILIES = supply demo customers clv kmeans recommend inventory forecast
FAMILY_OBJS = $(patsubst %.c,%.o,$(foreach f,$(FAMILIES),$(sort $(wildcard src/$(f)/*.c))))
OBJS = $(CORE_OBJS) $(NUMERIC_OBJS) $(FAMILY_OBJS)

# The install script: the core's SQL (schemas, source checks, the dashboard catalog and engine), then each family's.
SQL_SOURCES = src/sql/header.sql src/sql/common.sql src/sql/dashboards.sql $(FAMILIES:%=src/sql/%.sql)
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Earlier releases: the frozen install script of 0.1.0 and the upgrade scripts from it (tested by test/upgrade.sh).
DATA = src/sql/versions/supplymkt--0.1.0.sql src/sql/versions/supplymkt--0.1.0--0.2.0.sql

# pg_regress tests: every sql/*.sql, setup first.
REGRESS = setup $(filter-out setup,$(sort $(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)
EXTRA_CLEAN = results regression.diffs regression.out

GSL_CFLAGS := $(shell gsl-config --cflags 2>/dev/null || pkg-config --cflags gsl)
GSL_LIBS := $(shell gsl-config --libs 2>/dev/null || pkg-config --libs gsl)
PG_CPPFLAGS = -I$(srcdir)/src -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare $(GSL_CFLAGS)
ifdef WERROR
PG_CPPFLAGS += -Werror
endif
SHLIB_LINK += $(GSL_LIBS) -lglpk -lpthread

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES)
	cat $^ > $@

# PGXS does not track header dependencies: every object depends on every header of the tree.
$(OBJS) $(OBJS:.o=.bc): $(wildcard src/*/*.h)
