"""What the host routing (``kasane.app.KasaneApp``) reads of a request before Litestar's
router: its Host header, a url-encoded form body (handed on again by a replaying
``receive``), and whether it carries a NUL character.
"""

from __future__ import annotations

from litestar.types import Message, Receive, Scope

FORM_BODY = b"application/x-www-form-urlencoded"
MAX_CHECKED_BODY = 1 << 20  # form posts are small; larger bodies are uploads (not checked)


async def read_form(scope: Scope, receive: Receive) -> tuple[Receive, bytes | None, bool]:
    """A url-encoded form body (None for any other request; its first megabyte when larger,
    then ``whole`` is False) and a ``receive`` that replays what was read. Kasane reads it
    before routing for two checks: NUL characters and the one-time submission key."""
    content_type = next((v for k, v in scope.get("headers", []) if k == b"content-type"), b"")
    if not bytes(content_type).lower().startswith(FORM_BODY):
        return receive, None, False
    messages: list[Message] = []
    size, body = 0, b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_CHECKED_BODY:
            body += chunk
        if not message.get("more_body"):
            break
    if size > MAX_CHECKED_BODY:  # not a form a person typed: passed on untouched
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        return replayed, body, False
    return replaying(receive, body), body, True


def replaying(receive: Receive, body: bytes) -> Receive:
    """``receive`` that first gives ``body`` as the whole request body."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def has_nul(scope: Scope, form: bytes | None) -> bool:
    """A NUL character in the query string or a form: a malformed request. It has no place
    in any text Kasane keeps or searches, and PostgreSQL refuses it in text (a 500)."""
    query = bytes(scope.get("query_string") or b"").lower()
    if b"%00" in query or b"\x00" in query:
        return True
    return form is not None and (b"%00" in form.lower() or b"\x00" in form)


def host_header(scope: Scope) -> str:
    """The Host header, or "" when there is none."""
    for key, value in scope.get("headers", []):
        if key == b"host":
            return str(value.decode("latin-1"))
    return ""
