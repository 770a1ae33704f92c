"""What the admin-client modules' tests share: a failure that raises, and a settled future."""

from __future__ import annotations

from concurrent.futures import Future


class Failed(Exception):
    pass


def fail(**kwargs):
    """A module's fail_json in a unit test: raises with the message."""
    raise Failed(kwargs["msg"])


def done(value=None, error=None) -> Future:
    """A future already answered, with a value or an error, as the AdminClient returns them."""
    future: Future = Future()
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
    return future
