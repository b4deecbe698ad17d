# Turns the page (app/web/index.html, with style.css and app.js put in place of
# its /*STYLE*/ and /*SCRIPT*/ markers) into a C array, so the binary serves it
# with no file beside it. Run as: cmake -DWEB_DIR=... -DOUT=... -P web_embed.cmake
file(READ ${WEB_DIR}/index.html page)
file(READ ${WEB_DIR}/style.css style)
file(READ ${WEB_DIR}/app.js script)
string(REPLACE "/*STYLE*/" "${style}" page "${page}")
string(REPLACE "/*SCRIPT*/" "${script}" page "${page}")
file(WRITE ${OUT}.page "${page}")
file(READ ${OUT}.page hex HEX)
file(REMOVE ${OUT}.page)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){24})" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT}.tmp "/* Generated from app/web/ by cmake/web_embed.cmake: do not edit. */\n"
  "#include \"web_page.h\"\n\n"
  "const unsigned char web_page_html[] = {\n${bytes}\n0};\n"
  "const size_t web_page_html_len = ${size};\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
