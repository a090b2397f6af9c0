/*
 * core/json.h — type text I/O: flat JSON objects parsed with PostgreSQL's own JSON lexer (values are scalars
 * or arrays of scalars, kept as strings until a typed getter reads them), and exact number output.
 */
#ifndef SUPPLYMKT_CORE_JSON_H
#define SUPPLYMKT_CORE_JSON_H

#include "postgres.h"

#include "lib/stringinfo.h"

typedef struct SmJsonField
{
	char	   *key;
	bool		is_array;
	int			nvalues;
	int			maxvalues;
	char	  **values;			/* NULL entry for a JSON null */
	bool		seen;			/* set by the getters, to reject unknown keys */
} SmJsonField;

typedef struct SmJsonObject
{
	const char *typname;		/* for error messages */
	int			nfields;
	int			maxfields;
	SmJsonField *fields;
} SmJsonObject;

extern SmJsonObject *SmJsonParse(const char *text, const char *typname);
extern SmJsonField *SmJsonFind(SmJsonObject *obj, const char *key, bool required);
extern int64 SmJsonGetInt64(SmJsonObject *obj, const char *key);
extern float8 SmJsonGetFloat8(SmJsonObject *obj, const char *key);
extern char *SmJsonGetString(SmJsonObject *obj, const char *key);
extern void SmJsonRejectUnknown(SmJsonObject *obj);
extern bool SmJsonOptFloat8(SmJsonObject *obj, const char *key, float8 *out);
extern bool SmJsonOptInt64(SmJsonObject *obj, const char *key, int64 *out);
extern bool SmJsonOptBool(SmJsonObject *obj, const char *key, bool *out);
extern bool SmJsonOptFloat8Array(SmJsonObject *obj, const char *key, int64 n, float8 *out);
extern void SmJsonCheckHeader(SmJsonObject *obj, const char *tag_key, int version);
extern int	SmJsonCheckHeaderVersions(SmJsonObject *obj, const char *tag_key, int oldest, int current);
extern int64 SmParseInt64(const char *s, const char *typname);
extern uint64 SmParseUInt64(const char *s, const char *typname);
extern float8 SmParseFloat8(const char *s, const char *typname);

/* Exact text output of numbers, arrays and JSON keys. */
extern void SmAppendFloat8(StringInfo buf, float8 value);
extern void SmAppendJsonKey(StringInfo buf, const char *key, bool first);
extern void SmAppendFloat8Array(StringInfo buf, const float8 *v, int64 n);
extern void SmAppendInt64Array(StringInfo buf, const int64 *v, int64 n);

#endif							/* SUPPLYMKT_CORE_JSON_H */
