"""The browser login (`--auth USER:PASS`), slowed down after failures.

Gradio calls `auth(username, password)` without the request, so a small ASGI middleware
(`ClientAddress`) puts each request's client address in a context variable that the check
reads. Each failure doubles the wait before that client's (and that username's) next
attempt, up to a cap; attempts from one client, and for one user name, are checked one at a
time, so firing many at once, from one address or many, does not get around the wait. Every
failure is logged.

`SameOrigin` refuses requests a page of another site or port makes (see its docstring).
"""

from __future__ import annotations

import asyncio
import contextvars
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from qa import QAError

log = logging.getLogger("ui.auth")

CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("qa_client_address", default="unknown")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ClientAddress:
    """ASGI middleware: record the client's address for the login check."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http":
            client = scope.get("client")
            CLIENT.set(str(client[0]) if client else "unknown")
        await self.app(scope, receive, send)


class SameOrigin:
    """ASGI middleware: refuse (403) a request or websocket whose `Origin` is another host or
    port than the one it was sent to (`Host`: a proxy in front must pass the one it was asked for).

    Gradio answers any localhost origin with credentials allowed: a page on another local
    port could ask, read answers and delete articles as the logged-in user (two requests, no
    click), and any site could post files to the upload route. Browsers always send `Origin`
    with such requests; scripts (gradio_client, curl) send none and are not affected.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") in ("http", "websocket"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            origin = headers.get("origin")
            if origin is not None and not same_origin(origin, headers):
                log.warning("refused a request to %s from the page of another site: %s", scope.get("path"), origin)
                await _refuse(scope, receive, send)
                return
        await self.app(scope, receive, send)


def same_origin(origin: str, headers: Mapping[str, str]) -> bool:
    """Whether `origin` (a page's scheme://host[:port]) names the host the request went to.

    Example:
        >>> same_origin("http://127.0.0.1:7860", {"host": "127.0.0.1:7860"})
        True
        >>> same_origin("http://localhost:9999", {"host": "127.0.0.1:7860"})
        False
        >>> same_origin("https://chat.example.com", {"host": "chat.example.com"})  # a proxy that passes Host
        True
        >>> same_origin("https://chat.example.com:8443", {"host": "chat.example.com"})  # nginx's $host: use $http_host
        False
        >>> same_origin("http://localhost:9999", {"host": "localhost:7860"})
        False
    """
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:  # "null": a sandboxed page or a file
        return False
    default = ":443" if parts.scheme == "https" else ":80"
    wanted = parts.netloc.lower().removesuffix(default)
    # Host only, which a page cannot set: X-Forwarded-Host or Forwarded can be, and Gradio lets a
    # localhost page send any header. Port and all: a page on another port of the same host is
    # another site's (nginx's $host drops a port; $http_host keeps it, README).
    return headers.get("host", "").strip().lower().removesuffix(default) == wanted


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"Refused: this request came from a page of another site or port."
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


class LoginThrottle:
    """`auth=` for Gradio (its `check` method): the one user and password, with exponential delays after failures.

    Args:
        credentials: (user, password).
        base_delay: seconds to wait after the first failure; doubled after each further one.
        max_delay: the longest wait.
        forget_after: seconds without a failure after which a client starts afresh.
        clock, sleep: injectable for tests.
    """

    def __init__(
        self,
        credentials: tuple[str, str],
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        forget_after: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self._user = credentials[0].encode()
        self._password = credentials[1].encode()
        self.base_delay, self.max_delay, self.forget_after = base_delay, max_delay, forget_after
        self._clock, self._sleep = clock, sleep
        self._failures: dict[str, _Failures] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, username: str, password: str) -> bool:
        """Gradio's `auth=`: True for the right user and password, after any due wait.

        Pass this bound method, not the object: Gradio awaits `auth` only when
        `inspect.iscoroutinefunction(auth)`; an object with an async `__call__` would
        return an (always true) coroutine and let anyone in.
        """
        client = CLIENT.get()
        keys = (f"client {client}", f"user {username!r}")
        # One attempt at a time per client and per user name (taken in that order: no two
        # attempts wait for each other's): guesses from 60 addresses at once each slept the
        # user's 30 s side by side, then were all checked.
        async with self._lock(keys[0]), self._lock(keys[1]):
            wait = max(self.delay(key) for key in keys)
            if wait:
                await self._sleep(wait)
            # Compare both in constant time, and always both: timing tells nothing either.
            user_ok = hmac.compare_digest(username.encode("utf-8", "replace"), self._user)
            password_ok = hmac.compare_digest(password.encode("utf-8", "replace"), self._password)
            if user_ok and password_ok:
                for key in keys:
                    self._failures.pop(key, None)
                return True
            count = max(self._fail(key) for key in keys)
            log.warning(
                "login failed for user %r from %s (%d in a row); the next attempt waits %.1f s",
                username,
                client,
                count,
                max(self.delay(key) for key in keys),
            )
            return False

    def delay(self, key: str) -> float:
        """Seconds the next attempt for `key` waits: 0, then base, 2×base, ... up to the cap."""
        failures = self._failures.get(key)
        if failures is None:
            return 0.0
        if self._clock() - failures.last > self.forget_after:
            del self._failures[key]
            return 0.0
        return min(self.max_delay, self.base_delay * 2 ** (failures.count - 1))

    def _fail(self, key: str) -> int:
        if len(self._failures) > 10_000:  # a scan from many addresses: forget the stale ones
            cutoff = self._clock() - self.forget_after
            self._failures = {k: f for k, f in self._failures.items() if f.last >= cutoff}
        failures = self._failures.setdefault(key, _Failures())
        failures.count += 1
        failures.last = self._clock()
        return failures.count

    def _lock(self, key: str) -> asyncio.Lock:
        if len(self._locks) > 10_000:  # many clients: drop idle locks rather than grow for ever
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault(key, asyncio.Lock())


def access_options(
    credentials: tuple[str, str] | None, base_delay: float = 0.5, max_delay: float = 30.0
) -> dict[str, Any]:
    """`demo.launch` keyword arguments for who may use the app: only pages of its own origin
    (`SameOrigin`), and with `credentials` a login, throttled as `LoginThrottle(credentials,
    base_delay, max_delay)`."""
    from starlette.middleware import Middleware

    if credentials is None:
        return {"app_kwargs": {"middleware": [Middleware(SameOrigin)]}}
    return {
        "auth": LoginThrottle(credentials, base_delay, max_delay).check,
        "app_kwargs": {"middleware": [Middleware(SameOrigin), Middleware(ClientAddress)]},
    }


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> (user, password); None when not set."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise QAError("--auth / QA_AUTH must look like USER:PASSWORD.")
    return user, password


def exposure_warning(host: str, credentials: tuple[str, str] | None, read_only: bool = False) -> str | None:
    """A warning when the app is reachable from other machines without a login and lets
    anyone change the articles (a `--read-only` chat is meant to be asked by anyone)."""
    if host in ("127.0.0.1", "localhost", "::1") or credentials is not None or read_only:
        return None
    return (
        f"warning: serving on {host} without --auth: anyone who can reach this machine can read the "
        "articles and upload or delete them. Pass --auth USER:PASS (or set QA_AUTH), or --read-only "
        "for a chat that only answers."
    )
