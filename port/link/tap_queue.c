/* The host side of the tap's queue toward lwip-tap (see tap_queue.h). */
#include "lwiptap/tap_queue.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwiptap/log.h"

#define WARN_INTERVAL_MS 10000u

static struct {
    int active;
    char name[IFNAMSIZ];
    unsigned long long base;   /* the counter when watching began */
    unsigned long long seen;   /* at the last check */
    unsigned long long warned; /* up to the last WARN */
    uint32_t last_warn_ms;
    int ever_warned;
} q;

/* ifr holds what request takes, besides the name. */
static int queue_ioctl(const char *name, unsigned long request, struct ifreq *ifr)
{
    snprintf(ifr->ifr_name, sizeof ifr->ifr_name, "%s", name);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int rc = ioctl(fd, request, ifr);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int tap_queue_set_len(const char *name, unsigned len, char *err, size_t errlen)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_qlen = (int)len;
    if (queue_ioctl(name, SIOCSIFTXQLEN, &ifr) != 0) {
        snprintf(err, errlen, "cannot set %s's txqueuelen to %u: %s", name, len, strerror(errno));
        return -1;
    }
    return 0;
}

static int queue_len(void)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    return queue_ioctl(q.name, SIOCGIFTXQLEN, &ifr) == 0 ? ifr.ifr_qlen : -1;
}

static int read_counter(unsigned long long *value)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/tx_dropped", q.name);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        return -1;
    }
    int ok = fscanf(f, "%llu", value) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

void tap_queue_watch(const char *name)
{
    memset(&q, 0, sizeof q);
    snprintf(q.name, sizeof q.name, "%s", name);
    q.active = read_counter(&q.base) == 0;
    q.seen = q.warned = q.base;
}

void tap_queue_check(uint32_t now_ms)
{
    unsigned long long now_count;
    if (!q.active || read_counter(&now_count) != 0 || now_count < q.seen) {
        return;
    }
    q.seen = now_count;
    if (now_count == q.warned || (q.ever_warned && (uint32_t)(now_ms - q.last_warn_ms) < WARN_INTERVAL_MS)) {
        return;
    }
    const int len = queue_len();
    const unsigned suggest = len > 0 ? (unsigned)len * 4u : TAP_QUEUE_BURST_LEN;
    log_warn("lwip-tap",
             "the host dropped %llu frames bound for lwip-tap at %s (%llu since start): its queue toward "
             "lwip-tap (txqueuelen %d) was full, lwip-tap did not read it fast enough; each drop costs a "
             "sender a retransmission timeout. Fix: ip link set %s txqueuelen %u",
             now_count - q.warned, q.name, now_count - q.base, len, q.name, suggest);
    q.warned = now_count;
    q.last_warn_ms = now_ms;
    q.ever_warned = 1;
}

long long tap_queue_dropped(void)
{
    unsigned long long v;
    if (!q.active || read_counter(&v) != 0 || v < q.base) {
        return -1;
    }
    return (long long)(v - q.base);
}

void tap_queue_log_stats(void)
{
    if (q.name[0] == '\0') {
        return;
    }
    long long dropped = tap_queue_dropped();
    if (dropped < 0) {
        log_info("stats", "tap %s txqueuelen=%d host_dropped=unknown (no /sys/class/net/%s/statistics)",
                 q.name, queue_len(), q.name);
    } else {
        log_info("stats", "tap %s txqueuelen=%d host_dropped=%lld", q.name, queue_len(), dropped);
    }
}
