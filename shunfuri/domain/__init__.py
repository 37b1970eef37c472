"""Pure rules: calendar, windows, banks, credit, orders, interest, input. No I/O; `now` is
always an argument."""
