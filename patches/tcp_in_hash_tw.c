    /* lwip-tap (patches/tcp_in_hash_tw.c): the same for TIME_WAIT pcbs. */
    for (pcb = (lwiptap_hit != NULL && lwiptap_hit->state == TIME_WAIT) ? lwiptap_hit : NULL; pcb != NULL;
         pcb = pcb->next) {
