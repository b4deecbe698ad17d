/* lwIP's heap and pools on malloc(), with one limit over all of them: memory
 * grows with the load (10 connections or 10,000) up to what the user allows
 * (--mem-limit). Counted in lwIP's own MEM_STATS "used", so the number a
 * test or `stats` reads is the number the limit applies to. */
#ifndef LWIPTAP_MEM_BUDGET_H
#define LWIPTAP_MEM_BUDGET_H

#include <stddef.h>

#define MEM_BUDGET_DEFAULT_MIB 48
#define MEM_BUDGET_MIN_MIB 4
#define MEM_BUDGET_MAX_MIB 4096

void mem_budget_set_limit(size_t bytes);
size_t mem_budget_limit(void);
size_t mem_budget_used(void);
/* Whether a received frame of len bytes may still take memory: above three
 * quarters of the limit only small frames (ACKs, control) get in, so that
 * queued input can never take the memory that sending it back needs. */
int mem_budget_admits_rx(size_t len);
/* A frame size that mem_budget_admits_rx() never counts as control traffic. */
#define MEM_BUDGET_LARGE_FRAME 1514

/* lwIP's MEM_CUSTOM_MALLOC and MEM_CUSTOM_CALLOC (see lwipopts.h). */
void *lwiptap_mem_malloc(size_t size);
void *lwiptap_mem_calloc(size_t count, size_t size);

#endif
