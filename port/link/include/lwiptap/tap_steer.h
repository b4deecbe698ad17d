/* Which CPU does the host's work for the frames lwip-tap writes to its tap.
 * A tap write runs the host's whole receive path (its TCP, the client's
 * socket) in the writer's context, so under load that work takes most of
 * lwip-tap's core, while another core idles (docs/benchmark-burst.md).
 * Receive packet steering (RPS) on the tap's receive queue moves it to the
 * other CPUs, as long as lwip-tap itself stays off them. */
#ifndef LWIPTAP_TAP_STEER_H
#define LWIPTAP_TAP_STEER_H

#include <sched.h>
#include <stddef.h>

/* The allowed CPUs but own, as rps_cpus writes them: 32-bit hex groups,
 * highest first, comma-separated. Returns how many CPUs that is (0: none
 * left, mask is ""), or -1 when mask is too short. */
int tap_steer_mask(const cpu_set_t *allowed, int own, char *mask, size_t masklen);

/* Keeps lwip-tap on the CPU it runs on now and steers name's receive work to
 * the other CPUs it may use. Returns how many CPUs that is (0: lwip-tap may
 * run on only one, nothing changed), or -1 with err, nothing changed. On
 * success *own is lwip-tap's CPU and mask the CPUs steered to. */
int tap_steer(const char *name, int *own, char *mask, size_t masklen, char *err, size_t errlen);

#endif
