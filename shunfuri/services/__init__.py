"""The only layer that joins the domain, the database and the bank gateway."""
