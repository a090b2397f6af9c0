/* demo.c — demo data generator (placeholder, filled in by the demo-data work). */
#include "postgres.h"
