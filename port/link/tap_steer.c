/* RPS on the tap's receive queue, and lwip-tap kept off the CPUs it names
 * (see tap_steer.h). */
#include "lwiptap/tap_steer.h"

#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int tap_steer_mask(const cpu_set_t *allowed, int own, char *mask, size_t masklen)
{
    int highest = -1, count = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (cpu != own && CPU_ISSET(cpu, allowed)) {
            highest = cpu;
            count++;
        }
    }
    if (masklen == 0) {
        return -1;
    }
    mask[0] = '\0';
    if (count == 0) {
        return 0;
    }
    size_t used = 0;
    for (int group = highest / 32; group >= 0; group--) {
        uint32_t bits = 0;
        for (int bit = 0; bit < 32; bit++) {
            int cpu = group * 32 + bit;
            if (cpu != own && CPU_ISSET(cpu, allowed)) {
                bits |= 1u << bit;
            }
        }
        int n = snprintf(mask + used, masklen - used, group == highest / 32 ? "%x" : ",%08x", bits);
        if (n < 0 || (size_t)n >= masklen - used) {
            return -1;
        }
        used += (size_t)n;
    }
    return count;
}

/* sysfs shows the devices of the namespace it was mounted in, which need not
 * be ours (nsenter without a remount): name's entry there must be our tap. */
static int sysfs_is_ours(const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/net/%s/ifindex", name);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    unsigned index = 0;
    int read = fscanf(f, "%u", &index);
    fclose(f);
    return read == 1 && index != 0 && index == if_nametoindex(name);
}

static int write_rps(const char *name, const char *mask, char *err, size_t errlen)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/net/%s/queues/rx-0/rps_cpus", name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = fprintf(f, "%s\n", mask) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        snprintf(err, errlen, "cannot write %s to %s: %s", mask, path, strerror(errno));
        return -1;
    }
    return 0;
}

int tap_steer(const char *name, int *own, char *mask, size_t masklen, char *err, size_t errlen)
{
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        snprintf(err, errlen, "cannot read the CPUs lwip-tap may run on: %s", strerror(errno));
        return -1;
    }
    int cpu = sched_getcpu();
    if (cpu < 0 || !CPU_ISSET(cpu, &allowed)) {
        snprintf(err, errlen, "cannot tell which CPU lwip-tap runs on");
        return -1;
    }
    int others = tap_steer_mask(&allowed, cpu, mask, masklen);
    if (others <= 0) {
        if (others < 0) {
            snprintf(err, errlen, "too many CPUs for the mask");
        }
        return others;
    }
    if (!sysfs_is_ours(name)) {
        snprintf(err, errlen, "/sys/class/net/%s is not this namespace's %s (sysfs mounted elsewhere)", name,
                 name);
        return -1;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        snprintf(err, errlen, "cannot keep lwip-tap on CPU %d: %s", cpu, strerror(errno));
        return -1;
    }
    if (write_rps(name, mask, err, errlen) != 0) {
        sched_setaffinity(0, sizeof allowed, &allowed);
        return -1;
    }
    *own = cpu;
    return others;
}
