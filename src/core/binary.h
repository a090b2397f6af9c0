/*
 * core/binary.h — type binary I/O: every read is bounds-checked against the message, so a value received from
 * a client can never read past its end; arrays of numbers are sent and received in one call.
 */
#ifndef SUPPLYMKT_CORE_BINARY_H
#define SUPPLYMKT_CORE_BINARY_H

#include "postgres.h"

#include "lib/stringinfo.h"

extern void SmRecvCheckRemaining(StringInfo buf, int64 needed, const char *typname);
extern void SmRecvCheckEnd(StringInfo buf, const char *typname);
extern void SmRecvFloat8Array(StringInfo buf, float8 *out, int64 n, const char *typname);
extern void SmRecvInt64Array(StringInfo buf, int64 *out, int64 n, const char *typname);
extern void SmSendFloat8Array(StringInfo buf, const float8 *v, int64 n);
extern void SmSendInt64Array(StringInfo buf, const int64 *v, int64 n);

#endif							/* SUPPLYMKT_CORE_BINARY_H */
