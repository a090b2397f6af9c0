/*
 * core/options.h — options values: the tuning arguments of an aggregate as one value.
 *
 * PostgreSQL aggregates cannot take named arguments, so an aggregate with more than a couple of knobs also
 * takes an options value made by a function with named, defaulted arguments
 * (supplymkt.kmeans_options(k => 8, seed => 1)).  The value is validated when it is made (and when it is read
 * from text or binary), prints as JSON ({"options":"kmeans_options","version":1,"k":8,...}, every field), and
 * can be stored.  A family describes each options type with an SmOptionsKind (field names, types, ranges,
 * defaults) and makes its I/O and maker functions with SM_OPTIONS_FUNCTIONS.  Text input may leave out a
 * field that has a default, so a value written before a field was added still reads.
 *
 * The defaults live here, in the descriptor; the SQL maker repeats them in its signature (so \df shows them),
 * and each family's regression test checks that `maker()` equals the JSON with every default left out.
 */
#ifndef SUPPLYMKT_CORE_OPTIONS_H
#define SUPPLYMKT_CORE_OPTIONS_H

#include "postgres.h"

#include "fmgr.h"

#include "core/state.h"

#define SM_OPTIONS_MAX 12
#define SM_OPTIONS_VERSION 1

typedef enum SmOptionType
{
	SM_OPT_INT,					/* int4 argument, whole number in [min, max] */
	SM_OPT_FLOAT,				/* float8 argument, finite, in [min, max] */
	SM_OPT_BOOL,				/* boolean argument, stored as 0 / 1 */
	SM_OPT_CHOICE				/* text argument, one of `choices` (case-insensitive), stored as its index */
} SmOptionType;

/* One named field of an options type. */
typedef struct SmOptionField
{
	const char *name;
	SmOptionType type;
	double		min,
				max;			/* SM_OPT_INT, SM_OPT_FLOAT: the accepted range */
	bool		has_default;	/* false: the maker requires it, and so does text input */
	double		default_value;	/* choices: the index */
	const char *const *choices; /* SM_OPT_CHOICE: the names, NULL-terminated */
} SmOptionField;

/* Optional cross-field check of a made or read options value; ereports on failure. */
typedef void (*SmOptionsValidator) (const double *values);

/* An options type, described by the family that owns it. */
typedef struct SmOptionsKind
{
	const char *typname;		/* SQL type name, e.g. "kmeans_options" */
	uint8		id;				/* stored in every value (stable across versions) */
	int			nfields;
	SmOptionField fields[SM_OPTIONS_MAX];
	SmOptionsValidator validate;
} SmOptionsKind;

typedef struct SmOptions
{
	int32		vl_len_;
	uint8		version;		/* SM_OPTIONS_VERSION */
	uint8		kind;			/* the id of its SmOptionsKind */
	uint16		nfields;
	int32		reserved;		/* 0 */
	double		values[SM_OPTIONS_MAX];
} SmOptions;

extern const SmOptions *SmOptionsArg(FunctionCallInfo fcinfo, int argno, const SmOptionsKind *kind);

extern Datum SmOptionsMake(FunctionCallInfo fcinfo, const SmOptionsKind *kind);
extern Datum SmOptionsIn(FunctionCallInfo fcinfo, const SmOptionsKind *kind);
extern Datum SmOptionsOut(FunctionCallInfo fcinfo, const SmOptionsKind *kind);
extern Datum SmOptionsRecv(FunctionCallInfo fcinfo, const SmOptionsKind *kind);
extern Datum SmOptionsSend(FunctionCallInfo fcinfo, const SmOptionsKind *kind);

/* The maker name_make and the four I/O functions name_in, name_out, name_recv, name_send of an options type. */
#define SM_OPTIONS_FUNCTIONS(name, kind) \
	SM_KIND_WRAPPER(name##_make, SmOptionsMake, kind) \
	SM_KIND_WRAPPER(name##_in, SmOptionsIn, kind) \
	SM_KIND_WRAPPER(name##_out, SmOptionsOut, kind) \
	SM_KIND_WRAPPER(name##_recv, SmOptionsRecv, kind) \
	SM_KIND_WRAPPER(name##_send, SmOptionsSend, kind)

#endif							/* SUPPLYMKT_CORE_OPTIONS_H */
