"""Request size and content-type limits, enforced before a body is parsed (pure ASGI, cheap)."""

from __future__ import annotations

import json

JSON_TYPES = ("application/json",)
BOM_UPLOAD = "/bom/parse"
BATCH_UPLOAD = "/batch/jobs"


def _reply(status: int, error: str, what: str, accepted: str):
    body = json.dumps({"error": error, "what": what, "where": "request body", "accepted": accepted,
                       "suggestions": []}).encode()

    async def send_reply(send) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return send_reply


class _TooLarge(Exception):
    pass


class BodyLimits:
    """413 for bodies over the limit (JSON, a BOM upload and a catalog upload each have their own),
    415 for a body whose content type the endpoint does not read."""

    def __init__(self, app, *, max_json: int, max_upload: int, max_batch: int) -> None:
        self.app, self.max_json = app, max_json
        self.uploads = {BOM_UPLOAD: max_upload, BATCH_UPLOAD: max_batch}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        ctype = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        length = headers.get(b"content-length")
        upload = scope["path"] in self.uploads
        limit = self.uploads.get(scope["path"], self.max_json)
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
        if has_body:
            if upload and ctype != "multipart/form-data":
                return await _reply(415, "UnsupportedMediaType", f"content type {ctype or 'none'} is not read here",
                                    "multipart/form-data with the file fields of this endpoint")(send)
            if not upload and not (ctype in JSON_TYPES or ctype.endswith("+json")):
                return await _reply(415, "UnsupportedMediaType", f"content type {ctype or 'none'} is not read here",
                                    "application/json")(send)
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                return await _reply(400, "BadRequest", "the Content-Length header is not a number",
                                    "a byte count")(send)
            if too_big:
                return await _reply(413, "PayloadTooLarge", f"the body is over {limit} bytes",
                                    f"at most {limit} bytes")(send)
            return await self.app(scope, receive, send)

        # No Content-Length (chunked): count while reading; once over the limit the app's own
        # answer (whatever it made of the cut-off body) is replaced by the 413.
        seen = 0
        exceeded = False

        async def counted_receive():
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message):
            if not exceeded:
                await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            pass
        if exceeded:
            await _reply(413, "PayloadTooLarge", f"the body is over {limit} bytes", f"at most {limit} bytes")(send)
