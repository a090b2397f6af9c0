# supplymkt — PGXS build.  `make && make install`, then `make installcheck` against a running server.
# `make WERROR=1` turns warnings into errors (the test suite sets it); packagers build without it.
EXTENSION = supplymkt
EXTVERSION = 0.2.0
MODULE_big = supplymkt

# The core (knows no family), the numeric library (optimiser, special functions), then one line per family.
CORE_OBJS = src/supplymkt.o src/core/validate.o src/core/json.o src/core/binary.o src/core/state.o \
	src/core/fixed_state.o src/core/count_map.o src/core/row_buffer.o src/core/features.o src/core/legacy.o
FAMILY_OBJS = src/supply/supply.o
FAMILY_OBJS += src/demo/util.o src/demo/world.o src/demo/inventory.o src/demo/emit.o src/demo/demo.o
FAMILY_OBJS += src/customers/rfm.o src/customers/time_decay.o
FAMILY_OBJS += src/clv/model.o src/clv/bgnbd.o src/clv/pareto_nbd.o src/clv/gamma_gamma.o src/clv/fit.o src/clv/readers.o
FAMILY_OBJS += src/kmeans/lloyd.o src/kmeans/fit.o src/kmeans/model.o src/kmeans/aggregates.o src/kmeans/readers.o src/kmeans/segment.o
FAMILY_OBJS += src/recommend/ids.o src/recommend/neighbors_model.o src/recommend/similarity.o src/recommend/neighbors.o src/recommend/rules_model.o src/recommend/rules.o
NUMERIC_OBJS = src/numeric/optimize.o src/numeric/special.o
OBJS = $(CORE_OBJS) $(NUMERIC_OBJS) $(FAMILY_OBJS)

# The install script is assembled from one SQL source per family, in this order.
SQL_SOURCES = src/sql/header.sql src/sql/common.sql src/sql/supply.sql src/sql/demo.sql src/sql/customers.sql src/sql/clv.sql src/sql/kmeans.sql src/sql/recommend.sql src/sql/recommend_eval.sql src/sql/dashboards.sql
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
SHLIB_LINK += $(GSL_LIBS) -lpthread

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES)
	cat $^ > $@

# PGXS does not track header dependencies: every object depends on every header of the tree.
$(OBJS) $(OBJS:.o=.bc): $(wildcard src/*/*.h)
