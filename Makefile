# supplymkt — PGXS build.  `make && make install`, then `make installcheck` against a running server.
EXTENSION = supplymkt
EXTVERSION = 0.1.0
MODULE_big = supplymkt

# One C file per function family, plus the shared helpers in common.c.
OBJS = src/common.o src/supply.o src/demo.o src/customers.o src/clv.o src/kmeans.o src/recommend.o

# The install script is assembled from one SQL source per family, in this order.
SQL_SOURCES = src/sql/header.sql src/sql/common.sql src/sql/supply.sql src/sql/demo.sql src/sql/customers.sql src/sql/clv.sql src/sql/kmeans.sql src/sql/recommend.sql src/sql/recommend_eval.sql src/sql/dashboards.sql
DATA_built = $(EXTENSION)--$(EXTVERSION).sql

# pg_regress tests: every sql/*.sql, setup first.
REGRESS = setup $(filter-out setup,$(sort $(basename $(notdir $(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)
EXTRA_CLEAN = results regression.diffs regression.out

GSL_CFLAGS := $(shell gsl-config --cflags 2>/dev/null || pkg-config --cflags gsl)
GSL_LIBS := $(shell gsl-config --libs 2>/dev/null || pkg-config --libs gsl)
PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare $(GSL_CFLAGS)
SHLIB_LINK += $(GSL_LIBS)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES)
	cat $^ > $@

# Every family includes the shared header (PGXS does not track header dependencies).
$(OBJS) $(OBJS:.o=.bc): src/common.h
