"""The rules of omni-identity stated once in Python; the SQL is compared against them."""
