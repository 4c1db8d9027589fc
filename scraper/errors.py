"""Exception types shared by the kankei scraper.

Every exception derives from :class:`KankeiError`, and ``str(e)`` is always a
single human-readable line suitable for logs and CLI output.
"""

from __future__ import annotations


class KankeiError(Exception):
    """Base of all kankei errors; ``str(e)`` is a one-line human message."""

    def __str__(self) -> str:
        text = super().__str__()
        return " ".join(text.split()) if "\n" in text or "\r" in text else text


class FetchError(KankeiError):
    """A fetch failed (after retries, where retrying applies).

    Attributes:
        url: the URL whose fetch failed (the redirect target when a hop failed).
        cause: a short description of the failure, e.g. ``"connection refused"``.
        status: the HTTP status involved, or ``None`` when there was no response.
    """

    def __init__(self, url: str, cause: str, status: int | None = None) -> None:
        self.url = url
        self.cause = cause
        self.status = status
        super().__init__(f"{url}: {cause}")

    def __reduce__(self):  # keep pickling (e.g. multiprocessing) working
        return (type(self), (self.url, self.cause, self.status))


class RedirectRefused(FetchError):
    """A redirect pointed to a host not in ``allowed_hosts``; the foreign host was not contacted."""


class RobotsDisallowed(FetchError):
    """robots.txt forbids our user agent from fetching the URL."""


class BodyTooLarge(FetchError):
    """The response body exceeded ``max_bytes``."""


class DecodeError(KankeiError):
    """Response bytes could not be decoded to text."""


class ParseError(KankeiError):
    """A page could not be parsed into the expected structure."""


class ConfigError(KankeiError):
    """Invalid or missing configuration."""
