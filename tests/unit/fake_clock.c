#include "fake_clock.h"

#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "tcp_statelog.h"

static u32_t now_ms;

u32_t sys_now(void)
{
    return now_ms;
}

uint64_t fake_clock_now_us(void)
{
    return (uint64_t)now_ms * 1000u;
}

static void run_due_timers(void)
{
    tcp_statelog_set_context(STATELOG_CAUSE_TIMER);
    sys_check_timeouts();
    tcp_statelog_set_context(STATELOG_CAUSE_APP);
}

void fake_clock_advance(uint32_t ms)
{
    u32_t target = now_ms + ms;
    /* Jump from one due timer to the next: lwIP re-arms a timer relative to
     * the time it runs, so one big jump would fire each timer only once. */
    for (;;) {
        u32_t sleep = sys_timeouts_sleeptime();
        if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE || sleep > target - now_ms) {
            break;
        }
        now_ms += sleep;
        run_due_timers();
    }
    now_ms = target;
    run_due_timers();
}
