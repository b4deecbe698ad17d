#include "lwiptap/mem_budget.h"

#include <stdlib.h>
#include <string.h>

#include "lwip/stats.h"

/* Frames up to this size are control traffic: they free memory (an ACK
 * releases acknowledged segments) far more often than they take it. */
#define SMALL_FRAME 128

static size_t limit_bytes = (size_t)MEM_BUDGET_DEFAULT_MIB << 20;

void mem_budget_set_limit(size_t bytes)
{
    limit_bytes = bytes;
}

size_t mem_budget_limit(void)
{
    return limit_bytes;
}

size_t mem_budget_used(void)
{
    return lwip_stats.mem.used;
}

int mem_budget_admits_rx(size_t len)
{
    return len <= SMALL_FRAME || mem_budget_used() + len <= limit_bytes / 4 * 3;
}

void *lwiptap_mem_malloc(size_t size)
{
    /* As lwIP's own heap: nothing for nothing. */
    if (size == 0 || size > limit_bytes || mem_budget_used() > limit_bytes - size) {
        return NULL;
    }
    return malloc(size);
}

void *lwiptap_mem_calloc(size_t count, size_t size)
{
    if (size != 0 && count > limit_bytes / size) {
        return NULL;
    }
    void *p = lwiptap_mem_malloc(count * size);
    if (p != NULL) {
        memset(p, 0, count * size);
    }
    return p;
}
