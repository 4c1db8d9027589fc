"""Exception types shared by the kankei scraper, and the safe text they show.

Every exception derives from :class:`KankeiError`, and ``str(e)`` is always a
single human-readable line suitable for logs and CLI output, free of control
characters (a server's reason phrase or a page's text cannot drive a terminal)
and of the user name and password of a URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1


def printable(text: str) -> str:
    """``text`` without control characters (tab and newline kept): for everything printed, logged or sent.

    Stored text keeps its characters; this is applied where text leaves kankei.
    """
    return _CONTROL.sub("", text)


def public_url(url: str) -> str:
    """``url`` without the user name and password it may carry (``http://user:secret@host/`` → ``http://host/``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class KankeiError(Exception):
    """Base of all kankei errors; ``str(e)`` is a one-line human message without control characters."""

    def __str__(self) -> str:
        text = super().__str__()
        text = " ".join(text.split()) if "\n" in text or "\r" in text else text
        return printable(text)


class FetchError(KankeiError):
    """A fetch failed (after retries, where retrying applies).

    Attributes:
        url: the URL whose fetch failed (the redirect target when a hop failed).
        cause: a short description of the failure, e.g. ``"connection refused"``.
        status: the HTTP status involved, or ``None`` when there was no response.
    """

    def __init__(self, url: str, cause: str, status: int | None = None) -> None:
        url = public_url(url)
        self.url = url
        self.cause = cause
        self.status = status
        super().__init__(f"{url}: {cause}")


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
