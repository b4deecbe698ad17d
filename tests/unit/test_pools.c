/* lwIP's pool geometry as this build compiled it. Debian's prebuilt liblwip0
 * had memp.c see glibc's TCP_MSS (512) while pbuf.c used 1460, so PBUF_POOL
 * elements were smaller than pbuf.c filled them and received frames overran
 * the heap; these tests keep our build from splitting the same way. */
#include <check.h>
#include <string.h>

#include "fixture.h"
#include "lwip/memp.h"
#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "suites.h"

#define FULL_FRAME 1514

START_TEST(tcp_mss_is_1460)
{
    ck_assert_int_eq(TCP_MSS, 1460);
}
END_TEST

START_TEST(pbuf_pool_element_size_agrees_between_memp_and_pbuf)
{
    /* pbuf.c fills the first buffer of a chain to the pool's payload size. */
    struct pbuf *p = pbuf_alloc(PBUF_RAW, 10000, PBUF_POOL);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(p->next);
    unsigned pbuf_view = (unsigned)(LWIP_MEM_ALIGN_SIZE(sizeof(struct pbuf)) + p->len);
    unsigned memp_view = memp_pools[MEMP_PBUF_POOL]->size;
    ck_assert_uint_eq(memp_view, pbuf_view);
    ck_assert_uint_eq(p->len, LWIP_MEM_ALIGN_SIZE(PBUF_POOL_BUFSIZE));
    pbuf_free(p);
}
END_TEST

START_TEST(full_size_frame_fits_one_pool_buffer)
{
    struct pbuf *p = pbuf_alloc(PBUF_RAW, FULL_FRAME, PBUF_POOL);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(p->next);
    ck_assert_uint_eq(p->len, FULL_FRAME);
    pbuf_free(p);
}
END_TEST

/* Fills every pool buffer to the brim: were elements smaller than pbuf.c
 * thinks, each fill would overwrite its neighbour's header or data. */
START_TEST(filling_every_pool_buffer_leaves_neighbours_intact)
{
    static struct pbuf *all[PBUF_POOL_SIZE];
    static uint8_t expected[LWIP_MEM_ALIGN_SIZE(PBUF_POOL_BUFSIZE)];
    const u16_t size = (u16_t)LWIP_MEM_ALIGN_SIZE(PBUF_POOL_BUFSIZE);
    ck_assert_uint_eq(lwip_stats.memp[MEMP_PBUF_POOL]->used, 0);
    for (size_t i = 0; i < PBUF_POOL_SIZE; i++) {
        all[i] = pbuf_alloc(PBUF_RAW, size, PBUF_POOL);
        ck_assert_ptr_nonnull(all[i]);
        ck_assert_ptr_null(all[i]->next);
    }
    for (size_t i = 0; i < PBUF_POOL_SIZE; i++) {
        memset(all[i]->payload, (int)(i % 251), size);
    }
    for (size_t i = 0; i < PBUF_POOL_SIZE; i++) {
        ck_assert_ptr_null(all[i]->next);
        ck_assert_uint_eq(all[i]->len, size);
        ck_assert_uint_eq(all[i]->tot_len, size);
        ck_assert_uint_eq(all[i]->ref, 1);
        memset(expected, (int)(i % 251), size);
        ck_assert_msg(memcmp(all[i]->payload, expected, size) == 0, "pool buffer %zu was overwritten", i);
    }
    for (size_t i = 0; i < PBUF_POOL_SIZE; i++) {
        pbuf_free(all[i]);
    }
}
END_TEST

Suite *pools_suite(void)
{
    Suite *s = suite_create("pools");
    fixture_add_test(s, tcp_mss_is_1460);
    fixture_add_test(s, pbuf_pool_element_size_agrees_between_memp_and_pbuf);
    fixture_add_test(s, full_size_frame_fits_one_pool_buffer);
    fixture_add_test(s, filling_every_pool_buffer_leaves_neighbours_intact);
    return s;
}
