"""HTTP edge: translates requests into one service call each."""
