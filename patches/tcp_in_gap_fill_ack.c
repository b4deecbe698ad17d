        /* lwip-tap: RFC 5681 4.2 SHOULD acknowledge at once a segment that
           fills all or part of a gap. An in-order segment that arrives while
           out-of-order data is queued does exactly that, but lwIP's
           tcp_ack() below delays it like any other. TF_ACK_NOW survives
           tcp_ack(), so the ACK leaves with this input, as Linux's does. */
        if (pcb->ooseq != NULL) {
          tcp_ack_now(pcb);
        }
