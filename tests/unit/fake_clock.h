/* lwIP's clock for the unit tests: time moves only when a test moves it, so
 * TCP timers (delayed ACK, retransmission, TIME_WAIT) run without sleeping. */
#ifndef UNIT_FAKE_CLOCK_H
#define UNIT_FAKE_CLOCK_H

#include <stdint.h>

/* Moves the clock forward by ms, firing each lwIP timer when it falls due,
 * with the TCP state log blaming what changes on "timer" as app/main.c does. */
void fake_clock_advance(uint32_t ms);

/* The same clock in microseconds, for the link stages that keep their own time. */
uint64_t fake_clock_now_us(void);

#endif
