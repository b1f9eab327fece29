"""The Linked Data server's parts: content negotiation, the SPARQL protocol, pages, VoID, worker processes."""
