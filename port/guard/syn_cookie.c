/* The values of SYN cookies (layout in lwiptap/syn_cookie.h): made and
 * checked here, sent and taken in by cookie_handshake.c. Pure functions of
 * the secret, the segment and the clock, so the unit tests can run them on
 * the fake clock. */
#include "lwiptap/syn_cookie.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lwiptap/siphash.h"

#define PERIOD_BITS 3
#define PERIOD_SHIFT 29
#define MSS_SHIFT 27
#define MAC_MASK ((1u << MSS_SHIFT) - 1u)
#define TS_OPTION_BITS 5
#define TS_SACK_BIT 0x10u
/* RFC 7323 2.3: a larger shift is taken as 14; we make it "none" instead, as a forged value. */
#define MAX_WSCALE 14

/* 48 is the guard's MSS floor (anything smaller is refused before this),
 * 536 the default without an MSS option, 1440 and 1460 what IPv6 and IPv4
 * clients announce on a 1500-byte link. */
const uint16_t syn_cookie_mss_table[SYN_COOKIE_MSS_COUNT] = {48, 536, 1440, 1460};

static uint8_t secret[16];
static int have_secret;

void syn_cookie_init(void)
{
    if (getrandom(secret, sizeof secret, GRND_NONBLOCK) != (ssize_t)sizeof secret) {
        /* Only before the kernel's pool is ready: a weak secret is better than no cookies. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        for (size_t i = 0; i < sizeof secret; i++) {
            secret[i] ^= (uint8_t)((uint64_t)ts.tv_nsec >> (i % 4 * 8)) ^ (uint8_t)(ts.tv_sec >> (i % 8));
        }
    }
    have_secret = 1;
}

void syn_cookie_set_secret(const uint8_t key[16])
{
    memcpy(secret, key, sizeof secret);
    have_secret = 1;
}

static size_t put_addr(uint8_t *out, const ip_addr_t *a)
{
    if (IP_IS_V6(a)) {
        memcpy(out, ip_2_ip6(a)->addr, 16);
        return 16;
    }
    memcpy(out, &ip_2_ip4(a)->addr, 4);
    return 4;
}

static size_t put_u32(uint8_t *out, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
    return 4;
}

static uint32_t cookie_mac(const struct syn_cookie_tuple *t, uint32_t client_isn, uint32_t period,
                           unsigned mss_index)
{
    if (!have_secret) {
        syn_cookie_init();
    }
    uint8_t msg[16 + 16 + 4 + 4 + 4 + 2];
    size_t n = 0;
    msg[n++] = IP_IS_V6(t->local) ? 6 : 4;
    n += put_addr(msg + n, t->local);
    n += put_addr(msg + n, t->remote);
    n += put_u32(msg + n, ((uint32_t)t->local_port << 16) | t->remote_port);
    n += put_u32(msg + n, client_isn);
    n += put_u32(msg + n, period);
    msg[n++] = (uint8_t)mss_index;
    return (uint32_t)siphash24(secret, msg, n) & MAC_MASK;
}

static uint32_t assemble(uint32_t period, unsigned mss_index, uint32_t mac)
{
    return ((period & ((1u << PERIOD_BITS) - 1u)) << PERIOD_SHIFT) | ((uint32_t)mss_index << MSS_SHIFT) | mac;
}

uint32_t syn_cookie_make(const struct syn_cookie_tuple *t, uint32_t client_isn, unsigned client_mss,
                         uint32_t now_ms, uint16_t *mss_out)
{
    unsigned want = client_mss != 0 ? client_mss : 536u;
    unsigned index = 0;
    while (index + 1 < SYN_COOKIE_MSS_COUNT && syn_cookie_mss_table[index + 1] <= want) {
        index++;
    }
    *mss_out = syn_cookie_mss_table[index];
    uint32_t period = now_ms / SYN_COOKIE_PERIOD_MS;
    return assemble(period, index, cookie_mac(t, client_isn, period, index));
}

enum syn_cookie_verdict syn_cookie_check(const struct syn_cookie_tuple *t, uint32_t client_isn,
                                         uint32_t cookie, uint32_t now_ms, uint16_t *mss_out,
                                         unsigned *age_out)
{
    uint32_t now_period = now_ms / SYN_COOKIE_PERIOD_MS;
    unsigned mss_index = (cookie >> MSS_SHIFT) & 3u;
    /* The 3 period bits name one period of the last 8: the MAC over the whole
     * number tells ours from a forgery, and the age valid from stale. */
    unsigned age = (unsigned)((now_period - (cookie >> PERIOD_SHIFT)) & ((1u << PERIOD_BITS) - 1u));
    uint32_t period = now_period - age;
    if (age > now_period || cookie_mac(t, client_isn, period, mss_index) != (cookie & MAC_MASK)) {
        return SYN_COOKIE_FORGED;
    }
    if (age > 1) {
        *age_out = age;
        return SYN_COOKIE_STALE;
    }
    *mss_out = syn_cookie_mss_table[mss_index];
    return SYN_COOKIE_VALID;
}

uint32_t syn_cookie_tsval(uint32_t now_ms, int wscale, int sack_permitted)
{
    uint32_t bits = (wscale >= 0 && wscale <= MAX_WSCALE) ? (uint32_t)wscale : SYN_COOKIE_NO_WSCALE;
    if (sack_permitted) {
        bits |= TS_SACK_BIT;
    }
    uint32_t tsval = (now_ms & ~((1u << TS_OPTION_BITS) - 1u)) | bits;
    if ((int32_t)(tsval - now_ms) > 0) {
        tsval -= 1u << TS_OPTION_BITS;
    }
    return tsval;
}

void syn_cookie_ts_options(uint32_t tsecr, int *wscale_out, int *sack_permitted_out)
{
    unsigned ws = tsecr & 0xfu;
    *wscale_out = ws <= MAX_WSCALE ? (int)ws : -1;
    *sack_permitted_out = (tsecr & TS_SACK_BIT) != 0;
}
