"""Errors the CLI reports as one line and exit code 1."""


class HarnessError(Exception):
    """A failure with a message fit to show the user as it is."""
