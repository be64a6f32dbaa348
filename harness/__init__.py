"""omni-identity harness: CLI, embedded database, migrations and job loops.

The harness is thin: every rule of the package lives in SQL under migrations/ and
functions/; Python only orchestrates.
"""
