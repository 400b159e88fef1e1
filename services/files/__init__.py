"""Files: one storage interface, content sniffing, capped uploads and short-lived signed download links."""
