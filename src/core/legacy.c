/*
 * core/legacy.c — C entry points that only the 0.1.0 install script names.
 *
 * supplymkt 0.1.0 declared one generic C function for the I/O of every state type ('fixed_state_in', ...)
 * and found the kind by the SQL type's name.  Since 0.2.0 each state type has its own thin wrappers
 * (turnover_state_in, ...), so the kind is fixed by the function itself.  The 0.1.0 symbols stay so that
 * `CREATE EXTENSION supplymkt VERSION '0.1.0'` and a 0.1.0 catalog still work with this library until
 * `ALTER EXTENSION supplymkt UPDATE` re-points them: each forwards to the wrapper named after the SQL type the
 * calling function is declared with (its result type for input and combine, its argument type for output),
 * looked up in this library once per call site.  Nothing here knows a family.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

/*
 * The 0.2.0 wrapper for the function being called: <type><suffix>, where type is the SQL type the function
 * returns (by_result) or takes first, found in the library the function itself is loaded from.
 */
static PGFunction
SmLegacyTarget(FunctionCallInfo fcinfo, const char *suffix, bool by_result)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
		Form_pg_proc form;
		Oid			typid;
		HeapTuple	type;
		Datum		probin;
		bool		isnull;
		char	   *symbol;

		if (!HeapTupleIsValid(proc))
			elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
		form = (Form_pg_proc) GETSTRUCT(proc);
		typid = by_result ? form->prorettype : (form->pronargs > 0 ? form->proargtypes.values[0] : InvalidOid);
		probin = SysCacheGetAttr(PROCOID, proc, Anum_pg_proc_probin, &isnull);
		if (isnull)
			elog(ERROR, "function %u has no library", fcinfo->flinfo->fn_oid);
		type = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		if (!HeapTupleIsValid(type))
			elog(ERROR, "cache lookup failed for type %u", typid);
		symbol = psprintf("%s%s", NameStr(((Form_pg_type) GETSTRUCT(type))->typname), suffix);
		ReleaseSysCache(type);
		fcinfo->flinfo->fn_extra = (void *) load_external_function(TextDatumGetCString(probin), symbol, true, NULL);
		ReleaseSysCache(proc);
	}
	return (PGFunction) fcinfo->flinfo->fn_extra;
}

/* Defines the 0.1.0 entry point `name`, forwarding to <type><suffix>. */
#define SM_LEGACY_ENTRY(name, suffix, by_result) \
	PG_FUNCTION_INFO_V1(name); \
	Datum name(PG_FUNCTION_ARGS); \
	Datum name(PG_FUNCTION_ARGS) { return SmLegacyTarget(fcinfo, suffix, by_result)(fcinfo); }

SM_LEGACY_ENTRY(fixed_state_in, "_in", true)
SM_LEGACY_ENTRY(fixed_state_out, "_out", false)
SM_LEGACY_ENTRY(fixed_state_recv, "_recv", true)
SM_LEGACY_ENTRY(fixed_state_send, "_send", false)
SM_LEGACY_ENTRY(count_map_in, "_in", true)
SM_LEGACY_ENTRY(count_map_out, "_out", false)
SM_LEGACY_ENTRY(count_map_recv, "_recv", true)
SM_LEGACY_ENTRY(count_map_send, "_send", false)
SM_LEGACY_ENTRY(row_buffer_in, "_in", true)
SM_LEGACY_ENTRY(row_buffer_out, "_out", false)
SM_LEGACY_ENTRY(row_buffer_recv, "_recv", true)
SM_LEGACY_ENTRY(row_buffer_send, "_send", false)
SM_LEGACY_ENTRY(row_buffer_combine, "_combine", true)
