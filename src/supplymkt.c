/*
 * supplymkt.c — the library's entry point: the module magic and one _PG_init that sets GSL's error handler
 * off once (every GSL status is turned into ereport by the caller) and lets each family that has settings
 * define them.
 */
#include "postgres.h"

#include <gsl/gsl_errno.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "kmeans/kmeans.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Runs when the library is loaded: GSL reports errors by status, families define their settings. */
void
_PG_init(void)
{
	gsl_set_error_handler_off();
	SmKmeansInit();
	MarkGUCPrefixReserved("supplymkt");
}
