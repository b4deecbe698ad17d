  /* lwip-tap (patches/tcp_no_sanity_walk.c): no tcp_pcbs_sane() here. Our
     debug build makes it a real function (lwipopts.h keeps the TCP_DEBUG
     blocks for --debug) that walks every pcb: O(connections) per segment,
     half the CPU with 10,000 connections. The tests and the fuzzer run it,
     and more, in lwiptap_pcb_hash_check(). */
