"""The bound of the ids members and staff type or send (members, payees, transfers' rows).

Ids are BIGINT sequences, far below this: the largest integer every JSON parser reads
exactly (an IEEE double), so a client and a schema validator agree on the bound. An id
above it names no row and is refused before it reaches the database.
"""

MAX_ID = 2**53 - 1
