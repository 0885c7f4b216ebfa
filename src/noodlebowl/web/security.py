"""Security middleware of the web service (pure ASGI: no per-request task group or memory stream).

- :class:`SecurityHeaders`: ``nosniff`` everywhere, a Content-Security-Policy on every HTML answer,
  ``Cache-Control: no-store`` on every answer to a request that carried an API key or a share-link
  token, HSTS when the request came over TLS (directly or as told by a trusted proxy).
- :class:`RefuseUnstorable`: 422 for a NUL character in the path, the query or a JSON body —
  PostgreSQL refuses NUL in text and JSON, so such a request could only end in a server error.
- :func:`redact_tokens`: share-link tokens never reach the access log.
"""

from __future__ import annotations

import json
import logging
import re

from noodlebowl.limits import MAX_NESTING, bracket_depth

# The /docs page is served with local assets (see noodlebowl.web.docs), so 'self' suffices.
CSP = (b"default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
       b"base-uri 'self'; form-action 'self'")
HSTS = b"max-age=31536000; includeSubDomains"
SECRET_PATHS = ("/statements/",)      # paths whose last segment is a credential (share links)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(n.lower() == b"content-type" and v.lower().startswith(b"text/html") for n, v in headers)


def _keyed(scope) -> bool:
    if scope["path"].startswith(SECRET_PATHS):
        return True
    return any(name.lower() == b"x-api-key" for name, _ in scope["headers"])


def _over_tls(scope) -> bool:
    # uvicorn sets the scheme from X-Forwarded-Proto only for --forwarded-allow-ips proxies
    return scope.get("scheme") == "https"


class SecurityHeaders:
    """Headers every answer carries (see the module's docstring and docs/web.md)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        keyed, tls = _keyed(scope), _over_tls(scope)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if _is_html(headers):
                    if b"content-security-policy" not in names:   # a page may set a stricter one
                        headers.append((b"content-security-policy", CSP))
                    headers.append((b"referrer-policy", b"no-referrer"))
                if keyed:
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                if tls:
                    headers.append((b"strict-transport-security", HSTS))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# A JSON escape \u0000 not itself escaped (an even number of backslashes before it).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)


def _refusal(where: str, what: str = "the NUL character is not accepted",
             accepted: str = "text without NUL (U+0000) characters"):
    body = json.dumps({"error": "ValidationError", "what": what, "where": where, "accepted": accepted,
                       "suggestions": []}).encode()

    async def reply(send) -> None:
        await send({"type": "http.response.start", "status": 422,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return reply


def has_nul_escape(body: bytes) -> bool:
    return b"\x00" in body or _JSON_NUL.search(body) is not None


class RefuseUnstorable:
    """422 for NUL in the path, the query string or a JSON body, and for a JSON body nested deeper
    than MAX_NESTING (read whole: JSON bodies are small, their size is capped before this runs)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if "\x00" in scope["path"]:
            return await _refusal("path")(send)
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            return await _refusal("query string")(send)
        ctype = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if scope["method"] not in ("POST", "PUT", "PATCH") or not ctype.endswith(b"json"):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay([message], receive), send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if has_nul_escape(body):
            return await _refusal("request body")(send)
        if bracket_depth(body) > MAX_NESTING:
            return await _refusal("request body", f"the JSON is nested more than {MAX_NESTING} levels deep",
                                  f"at most {MAX_NESTING} levels of nesting")(send)
        return await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive),
                              send)


def _replay(messages: list, receive):
    async def replayed():
        return messages.pop(0) if messages else await receive()

    return replayed


_TOKEN_IN_PATH = re.compile(r"(/statements/)(?!import\b)[^/?\s\"]+")


def redact_tokens(text: str) -> str:
    """``/statements/<token>`` → ``/statements/[redacted]``."""
    return _TOKEN_IN_PATH.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    """Keeps share-link tokens out of uvicorn's access log (its record's args hold the path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True


def install_log_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


BODY_TIMEOUT_SECONDS = 30.0     # longest wait for the next piece of a request body


class BodyTimeout:
    """408 when a client stops sending its request body for ``seconds`` (a slow client cannot hold
    a connection and a worker forever). Idle keep-alive connections are closed by uvicorn after
    ``timeout_keep_alive`` (see noodlebowl.web.server)."""

    def __init__(self, app, seconds: float = BODY_TIMEOUT_SECONDS) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        import asyncio

        started = False

        async def timed_receive():
            try:
                return await asyncio.wait_for(receive(), self.seconds)
            except asyncio.TimeoutError:
                raise _BodyTimedOut from None

        async def tracked_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracked_send)
        except _BodyTimedOut:
            if not started:
                body = json.dumps({"error": "RequestTimeout", "what": f"the request body did not arrive within "
                                   f"{self.seconds:g} s", "where": "request body",
                                   "accepted": "a body sent without pauses", "suggestions": []}).encode()
                await send({"type": "http.response.start", "status": 408,
                            "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})


class _BodyTimedOut(Exception):
    pass
