/*
 * core/json.c — flat JSON objects for type text input, and exact number output (see json.h).
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "core/json.h"
#include "core/validate.h"

/* Appends a float8 in its shortest form that reads back to the identical bit pattern. */
void
SmAppendFloat8(StringInfo buf, float8 value)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(value, tmp);
	appendStringInfoString(buf, tmp);
}

/* Appends ,"key": (or "key": for the first key) to a JSON object being written. */
void
SmAppendJsonKey(StringInfo buf, const char *key, bool first)
{
	if (!first)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
}

/* Parses a whole int64, raising invalid_text_representation for anything else. */
int64
SmParseInt64(const char *s, const char *typname)
{
	char	   *end;
	long long	v;

	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: null where a number is required", typname)));
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" is not an integer", typname, s)));
	return (int64) v;
}

/* Parses a whole uint64 (hash keys). */
uint64
SmParseUInt64(const char *s, const char *typname)
{
	char	   *end;
	unsigned long long v;

	if (s == NULL || *s == '-')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: a key must be an unsigned integer", typname)));
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" is not an unsigned integer", typname, s)));
	return (uint64) v;
}

/* Parses a float8 with PostgreSQL's own reader (full precision). */
float8
SmParseFloat8(const char *s, const char *typname)
{
	if (s == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: null where a number is required", typname)));
	return float8in_internal(unconstify(char *, s), NULL, typname, s);
}

typedef struct SmJsonParseState
{
	SmJsonObject *obj;
	int			depth;			/* 1 inside the top-level object, 2 inside a field's array */
	SmJsonField *current;
} SmJsonParseState;

/* JSON callback: objects may only appear at the top level. */
static void
SmJsonObjectStart(void *arg)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;

	if (ps->depth != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: nested objects are not allowed", ps->obj->typname)));
	ps->depth = 1;
}

/* JSON callback: a new key at the top level; duplicates are rejected. */
static void
SmJsonFieldStart(void *arg, char *fname, bool isnull)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;
	SmJsonObject *obj = ps->obj;
	SmJsonField *f;

	for (int i = 0; i < obj->nfields; i++)
		if (strcmp(obj->fields[i].key, fname) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: duplicate key \"%s\"", obj->typname, fname)));
	if (obj->nfields == obj->maxfields)
	{
		obj->maxfields *= 2;
		obj->fields = repalloc(obj->fields, sizeof(SmJsonField) * obj->maxfields);
	}
	f = &obj->fields[obj->nfields++];
	memset(f, 0, sizeof(*f));
	f->key = fname;
	ps->current = f;
}

/* JSON callback: arrays are allowed only as a field's value, one level deep. */
static void
SmJsonArrayStart(void *arg)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;

	if (ps->depth != 1 || ps->current == NULL || ps->current->is_array)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: arrays are allowed only as values of top-level keys",
						ps->obj->typname)));
	ps->current->is_array = true;
	ps->depth = 2;
}

/* JSON callback: leaving a field's array. */
static void
SmJsonArrayEnd(void *arg)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;

	ps->depth = 1;
}

/* JSON callback: a scalar, stored as text on the current field. */
static void
SmJsonScalar(void *arg, char *token, JsonTokenType tokentype)
{
	SmJsonParseState *ps = (SmJsonParseState *) arg;
	SmJsonField *f = ps->current;

	if (ps->depth == 0 || f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: a JSON object is required", ps->obj->typname)));
	if (!f->is_array && f->nvalues > 0)
		elog(ERROR, "JSON scalar after a field value");
	if (f->nvalues == f->maxvalues)
	{
		f->maxvalues = f->maxvalues ? f->maxvalues * 2 : 4;
		if ((Size) f->maxvalues * sizeof(char *) >= MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("input for type %s is too large", ps->obj->typname)));
		f->values = f->values
			? repalloc_huge(f->values, sizeof(char *) * f->maxvalues)
			: palloc(sizeof(char *) * f->maxvalues);
	}
	f->values[f->nvalues++] = (tokentype == JSON_TOKEN_NULL) ? NULL : token;
}

/* Parses a flat JSON object (scalars or arrays of scalars as values) with PostgreSQL's JSON lexer. */
SmJsonObject *
SmJsonParse(const char *text, const char *typname)
{
	JsonLexContext *lex;
	JsonSemAction sem;
	SmJsonParseState ps;
	JsonParseErrorType rc;
	SmJsonObject *obj = palloc0(sizeof(SmJsonObject));

	obj->typname = typname;
	obj->maxfields = 8;
	obj->fields = palloc(sizeof(SmJsonField) * obj->maxfields);
	memset(&ps, 0, sizeof(ps));
	ps.obj = obj;
	memset(&sem, 0, sizeof(sem));
	sem.semstate = &ps;
	sem.object_start = SmJsonObjectStart;
	sem.object_field_start = SmJsonFieldStart;
	sem.array_start = SmJsonArrayStart;
	sem.array_end = SmJsonArrayEnd;
	sem.scalar = SmJsonScalar;

	lex = makeJsonLexContextCstringLen(unconstify(char *, text), strlen(text), GetDatabaseEncoding(), true);
	rc = pg_parse_json(lex, &sem);
	if (rc != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s", typname),
				 errdetail("%s", json_errdetail(rc, lex))));
	if (ps.depth == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: a JSON object is required", typname)));
	return obj;
}

/* Finds a key; a missing required key is an input syntax error naming it. */
SmJsonField *
SmJsonFind(SmJsonObject *obj, const char *key, bool required)
{
	for (int i = 0; i < obj->nfields; i++)
	{
		if (strcmp(obj->fields[i].key, key) == 0)
		{
			obj->fields[i].seen = true;
			return &obj->fields[i];
		}
	}
	if (required)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" is missing", obj->typname, key)));
	return NULL;
}

/* Returns the single scalar value of a required key. */
static const char *
SmJsonScalarValue(SmJsonObject *obj, const char *key)
{
	SmJsonField *f = SmJsonFind(obj, key, true);

	if (f->is_array || f->nvalues != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" must hold a single value",
						obj->typname, key)));
	return f->values[0];
}

/* Reads a required integer key. */
int64
SmJsonGetInt64(SmJsonObject *obj, const char *key)
{
	return SmParseInt64(SmJsonScalarValue(obj, key), obj->typname);
}

/* Reads a required float key. */
float8
SmJsonGetFloat8(SmJsonObject *obj, const char *key)
{
	return SmParseFloat8(SmJsonScalarValue(obj, key), obj->typname);
}

/* Reads a required string key. */
char *
SmJsonGetString(SmJsonObject *obj, const char *key)
{
	const char *v = SmJsonScalarValue(obj, key);

	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" must not be null", obj->typname, key)));
	return unconstify(char *, v);
}

/* Rejects keys that no getter asked for (a typo must not be silently ignored). */
void
SmJsonRejectUnknown(SmJsonObject *obj)
{
	for (int i = 0; i < obj->nfields; i++)
		if (!obj->fields[i].seen)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: unknown key \"%s\"",
							obj->typname, obj->fields[i].key)));
}

/* Reads an optional scalar float key; false when absent. */
bool
SmJsonOptFloat8(SmJsonObject *obj, const char *key, float8 *out)
{
	if (SmJsonFind(obj, key, false) == NULL)
		return false;
	*out = SmParseFloat8(SmJsonScalarValue(obj, key), obj->typname);
	return true;
}

/* Reads an optional scalar integer key; false when absent. */
bool
SmJsonOptInt64(SmJsonObject *obj, const char *key, int64 *out)
{
	if (SmJsonFind(obj, key, false) == NULL)
		return false;
	*out = SmParseInt64(SmJsonScalarValue(obj, key), obj->typname);
	return true;
}

/* Reads an optional boolean key; false when absent. */
bool
SmJsonOptBool(SmJsonObject *obj, const char *key, bool *out)
{
	SmJsonField *f = SmJsonFind(obj, key, false);

	if (f == NULL)
		return false;
	if (f->is_array || f->nvalues != 1 || f->values[0] == NULL ||
		(strcmp(f->values[0], "true") != 0 && strcmp(f->values[0], "false") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: key \"%s\" must be true or false", obj->typname, key)));
	*out = strcmp(f->values[0], "true") == 0;
	return true;
}

/* Reads an optional array of exactly n numbers (JSON null = absent); false when absent. */
bool
SmJsonOptFloat8Array(SmJsonObject *obj, const char *key, int64 n, float8 *out)
{
	SmJsonField *f = SmJsonFind(obj, key, false);

	if (f == NULL || (!f->is_array && f->nvalues == 1 && f->values[0] == NULL))
		return false;
	if (!f->is_array || f->nvalues != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be null or an array of " INT64_FORMAT " numbers",
						obj->typname, key, n)));
	for (int64 i = 0; i < n; i++)
		out[i] = SmParseFloat8(f->values[i], obj->typname);
	return true;
}


/*
 * Checks the header every state's text form starts with: tag_key names the value's own type and "version"
 * is the one this build writes (an older or newer value is rejected naming its version).
 */
void
SmJsonCheckHeader(SmJsonObject *obj, const char *tag_key, int version)
{
	(void) SmJsonCheckHeaderVersions(obj, tag_key, version, version);
}

/*
 * Checks the type tag and that "version" is one this build reads (oldest..current); returns the version, for
 * types whose older versions are read by conversion.
 */
int
SmJsonCheckHeaderVersions(SmJsonObject *obj, const char *tag_key, int oldest, int current)
{
	int64		given;

	if (strcmp(SmJsonGetString(obj, tag_key), obj->typname) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\" must be \"%s\"", obj->typname, tag_key,
						obj->typname)));
	given = SmJsonGetInt64(obj, "version");
	if (given < oldest || given > current)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("unsupported %s version %lld", obj->typname, (long long) given),
				 oldest == current ?
				 errhint("This build of supplymkt reads version %d.", current) :
				 errhint("This build of supplymkt reads versions %d to %d.", oldest, current)));
	return (int) given;
}

/* Appends a JSON array of floats in shortest exact form. */
void
SmAppendFloat8Array(StringInfo buf, const float8 *v, int64 n)
{
	appendStringInfoChar(buf, '[');
	for (int64 i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(buf, ',');
		SmAppendFloat8(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* Appends a JSON array of integers. */
void
SmAppendInt64Array(StringInfo buf, const int64 *v, int64 n)
{
	appendStringInfoChar(buf, '[');
	for (int64 i = 0; i < n; i++)
	{
		if (i)
			appendStringInfoChar(buf, ',');
		appendStringInfo(buf, INT64_FORMAT, v[i]);
	}
	appendStringInfoChar(buf, ']');
}
