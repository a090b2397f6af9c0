/*
 * demo/demo.h — the demo-data generator: shared declarations.
 */
#ifndef SUPPLYMKT_DEMO_H
#define SUPPLYMKT_DEMO_H

#include "postgres.h"

#include "fmgr.h"

#include "core/validate.h"

#endif							/* SUPPLYMKT_DEMO_H */
