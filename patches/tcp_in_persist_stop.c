      /* lwip-tap: with nothing left to send there is nothing to probe with:
         stop the persist timer, or tcp_slowtmr asserts "persist ticking with
         empty send buffer" (the peer acknowledged a retransmission queued on
         ->unsent while it announced a zero window). */
      if (pcb->unsent == NULL) {
        pcb->persist_backoff = 0;
      }
