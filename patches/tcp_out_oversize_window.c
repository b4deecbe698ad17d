    /* lwip-tap: never size below the tail segment being extended. mss_local
       is half the largest window seen, or the whole MSS while that is 0 (a
       SYN with a zero window): the tail segment was then built, with its
       oversized pbuf, for the whole MSS, and the first small window that
       follows would leave it more oversize than space ("inconsistent oversize
       vs. space", "mss_local is too small"). */
    if (mss_local < last_unsent->len + unsent_optlen + pcb->unsent_oversize) {
      mss_local = (u16_t)(last_unsent->len + unsent_optlen + pcb->unsent_oversize);
    }
