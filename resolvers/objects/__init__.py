"""Objects: linking accounts and contracts, receipts, contract access review, tech connections from grid companies."""
