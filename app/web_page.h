/* The --web page (app/web/), embedded at build time by cmake/web_embed.cmake. */
#ifndef LWIPTAP_WEB_PAGE_H
#define LWIPTAP_WEB_PAGE_H

#include <stddef.h>

extern const unsigned char web_page_html[];
extern const size_t web_page_html_len;

#endif
