/*
 * core_time.h - the monotonic clock in the unit timers and rate limits use.
 */
#ifndef CHATRELAY_CORE_TIME_H
#define CHATRELAY_CORE_TIME_H

#include <stdint.h>

/* core_monotonic_ms - CLOCK_MONOTONIC in milliseconds (only differences mean anything). */
int64_t core_monotonic_ms(void);

#endif
