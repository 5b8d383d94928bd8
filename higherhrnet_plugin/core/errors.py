"""The error of bad inference input, as one line for the user."""


class InferenceError(ValueError):
    """Input (image, folder, config, checkpoint, option) that inference
    cannot use; ``str()`` is one line naming the input at fault."""


class ImageReadError(InferenceError):
    """One image that cannot be read; a folder run skips it."""


def first_line(exc: BaseException) -> str:
    """``Type: message`` of an exception, on one line."""
    msg = str(exc).strip().splitlines()
    return f'{type(exc).__name__}: {msg[0]}' if msg else type(exc).__name__
