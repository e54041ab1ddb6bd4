"""Two-way sync: one pair of records kept in step by two directional runs sharing one link."""
