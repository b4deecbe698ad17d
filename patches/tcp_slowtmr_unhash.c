      /* lwip-tap (patches/tcp_slowtmr_unhash.c): the timer unlinks this pcb by
         hand, not with TCP_RMV: take it out of the 4-tuple hash too. */
      lwiptap_pcb_hash_remove(pcb);
