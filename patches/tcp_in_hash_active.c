  /* lwip-tap (patches/tcp_in_hash_active.c): the 4-tuple hash (port/pcb_hash.c)
     names the one pcb this segment belongs to. The walk starts there and, as
     that pcb matches, stops there: no walk of every connection per segment. */
  struct tcp_pcb *lwiptap_hit = lwiptap_pcb_hash_find(ip_data.current_input_netif, ip_current_dest_addr(),
                                                      tcphdr->dest, ip_current_src_addr(), tcphdr->src);
  for (pcb = (lwiptap_hit != NULL && lwiptap_hit->state != TIME_WAIT) ? lwiptap_hit : NULL; pcb != NULL;
       pcb = pcb->next) {
