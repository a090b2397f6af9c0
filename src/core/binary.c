/*
 * core/binary.c — bounds-checked reading of binary input and array send/receive (see binary.h).
 */
#include "postgres.h"

#include "libpq/pqformat.h"

#include "core/binary.h"

/* Checks that a binary message still holds at least `needed` bytes. */
void
SmRecvCheckRemaining(StringInfo buf, int64 needed, const char *typname)
{
	if (needed < 0 || needed > (int64) (buf->len - buf->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: truncated data", typname)));
}

/* Rejects bytes left over after a value was read. */
void
SmRecvCheckEnd(StringInfo buf, const char *typname)
{
	if (buf->cursor != buf->len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary input for type %s: trailing data", typname)));
}

/* Reads n float8 values, checking first that the message holds them. */
void
SmRecvFloat8Array(StringInfo buf, float8 *out, int64 n, const char *typname)
{
	SmRecvCheckRemaining(buf, n < 0 || n > PG_INT64_MAX / 8 ? -1 : n * 8, typname);
	for (int64 i = 0; i < n; i++)
		out[i] = pq_getmsgfloat8(buf);
}

/* Reads n int64 values, checking first that the message holds them. */
void
SmRecvInt64Array(StringInfo buf, int64 *out, int64 n, const char *typname)
{
	SmRecvCheckRemaining(buf, n < 0 || n > PG_INT64_MAX / 8 ? -1 : n * 8, typname);
	for (int64 i = 0; i < n; i++)
		out[i] = pq_getmsgint64(buf);
}

/* Sends n float8 values. */
void
SmSendFloat8Array(StringInfo buf, const float8 *v, int64 n)
{
	for (int64 i = 0; i < n; i++)
		pq_sendfloat8(buf, v[i]);
}

/* Sends n int64 values. */
void
SmSendInt64Array(StringInfo buf, const int64 *v, int64 n)
{
	for (int64 i = 0; i < n; i++)
		pq_sendint64(buf, v[i]);
}
