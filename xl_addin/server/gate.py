"""The VP server's front door: sign-in, role and size checks before xlwings Server sees a request.

An ASGI middleware around xlwings Server's app (asgi.py). In order, before any body is read:

1. a declared `Content-Length` over `MAX_BODY` -> 413 (Swedish text);
2. with sign-in on, every route not in `PUBLIC` needs a valid token (`signin.validate_token`) ->
   otherwise 401, so nobody without sign-in makes the server parse a workbook; a role-protected
   button (`behorighet.toml`) without its role -> 403 with the Swedish reason;

then, reading the body:

3. more than `MAX_BODY` bytes (a body sent without a length) -> 413, the rest is not read;
4. the body not complete within `body_timeout` seconds -> 408 (a slow client cannot hold the
   request forever);
5. JSON nested deeper than `MAX_DEPTH` -> 400 (Python's json parser would otherwise recurse until
   it fails with a server error).

A function call's answer is held until complete and then sent at once (`_whole_response`), so
that the reverse proxy can retry it on another replica whenever a replica dies mid-call.

Why 5 MB: the largest request Excel sends is a button's whole workbook (values only, no
formatting or pictures): the example workbook is 40 kB as Office.js sends it, its largest function
call (a goal formula with the named range Indikatortabell) 18 kB. 5 MB leaves room for a plan a
hundred times larger, still refuses what no VP workbook is, and bounds what one request costs a
worker: 5 MB of cell values is about 40 MB of Python objects once parsed. Depth 32: Office.js
sends 5 levels (book, sheets, values, row, cell).
"""

import asyncio
import json
import os
import re
import urllib.parse
from itertools import accumulate

from fastapi import HTTPException
from starlette.datastructures import Headers

from . import signin

MAX_BODY = 5 * 1024 * 1024
MAX_DEPTH = 32
BODY_TIMEOUT = 30.0  # seconds for the whole body; nginx's client_body_timeout is per read

TOO_LARGE = ("Begäran är för stor för VP-servern: {size} byte, gränsen är {limit} byte (5 MB). "
             "En VP-arbetsbok är långt mindre; ta bort stora tabeller eller blad som inte hör till planen, "
             "eller kontakta IT.")
TOO_DEEP = ("Begäran har data i fler än {limit} nivåer och tas inte emot av VP-servern "
            "(Excel skickar aldrig så). Kontakta IT om det här kom från Excel.")
TOO_SLOW = ("Begäran kom inte fram inom {seconds:g} sekunder och avbröts. Kontrollera nätverket och "
            "försök igen.")
BAD_LENGTH = "Begäran har ett ogiltigt huvud Content-Length: '{value}'."

# What anyone may fetch without sign-in: what Excel loads before a user has signed in (the
# manifest, the task pane page, the functions' names and code, the scripts' names, icons and other
# static files), the health check of the proxy, and xlwings' alert dialog page (it shows the text
# it is given). Everything else, including routes added later, needs sign-in.
PUBLIC_PATHS = {
    "/", "/favicon.ico", "/manifest", "/manifest.xml", "/manifest/download", "/taskpane", "/taskpane.html",
    "/xlwings/alert", "/xlwings/custom-functions-meta", "/xlwings/custom-functions-meta.json",
    "/xlwings/custom-functions-code", "/xlwings/custom-functions-code.js", "/xlwings/custom-scripts-meta",
    "/xlwings/custom-scripts-meta.json", "/vp/health",
}
PUBLIC_PREFIXES = ("/static/",)
PUBLIC_METHODS = {"GET", "HEAD"}
SCRIPT_PREFIX = "/xlwings/custom-scripts-call/"
FUNCTIONS_CALL = "/xlwings/custom-functions-call"


def app_path():
    from xlwings_server.config import settings

    return settings.app_path or ""


def signin_required():
    from xlwings_server.config import settings

    return bool(settings.auth_providers)


def is_public(method, path):
    """Whether a request may be answered without sign-in (method and path below the app path)."""
    if method == "OPTIONS":  # CORS preflight: carries no token, answers no data
        return True
    prefix = app_path()
    if prefix and path.startswith(prefix):
        path = path[len(prefix):] or "/"
    return method in PUBLIC_METHODS and (path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES))


def script_tag(path):
    """The custom script a path calls (`uppdatera` of /xlwings/custom-scripts-call/uppdatera), or None."""
    prefix = app_path() + SCRIPT_PREFIX
    return urllib.parse.unquote(path[len(prefix):]).strip("/") if path.startswith(prefix) else None


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(body):
    """How deeply a JSON text nests arrays and objects (strings are skipped), without parsing it."""
    structure = _STRINGS.sub(b"", body).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, structure)), default=0)


async def respond(send, status_code, text, headers=None):
    """A JSON answer {"detail": text}, as FastAPI gives HTTPException (the task pane shows `detail`)."""
    body = json.dumps({"detail": text}, ensure_ascii=False).encode("utf-8")
    raw = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()),
           (b"cache-control", b"no-store")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if status_code in (408, 413):
        raw.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status_code, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class Refusal(Exception):
    def __init__(self, status_code, text):
        self.status_code, self.text = status_code, text


class Gate:
    """ASGI middleware: see the module docstring."""

    def __init__(self, app, max_body=MAX_BODY, max_depth=MAX_DEPTH, body_timeout=None):
        self.app = app
        self.max_body = max_body
        self.max_depth = max_depth
        self.body_timeout = float(os.environ.get("VP_BODY_TIMEOUT", BODY_TIMEOUT)) if body_timeout is None \
            else body_timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return await respond(send, 400, BAD_LENGTH.format(value=declared[:40]))
            if int(declared) > self.max_body:
                return await respond(send, 413, TOO_LARGE.format(size=int(declared), limit=self.max_body))
        if signin_required() and not is_public(method, path):
            try:
                user = await signin.validate_token(headers.get("authorization", ""))
            except HTTPException as exc:
                return await respond(send, exc.status_code, exc.detail, exc.headers)
            tag = script_tag(path)
            refusal = signin.script_refusal(tag, user) if tag else None
            if refusal:
                signin.logger.warning("Knappen %s nekad för %s: saknar rollen", tag, signin.log_name(user))
                return await respond(send, 403, refusal)
        if method in ("POST", "PUT", "PATCH"):
            try:
                body = await self.read_body(receive)
                self.check_depth(body, headers.get("content-type", ""))
            except Refusal as refusal:
                return await respond(send, refusal.status_code, refusal.text)
            receive = _replay(body, receive)
        if path == app_path() + FUNCTIONS_CALL:
            send = _whole_response(send)
        await self.app(scope, receive, send)

    async def read_body(self, receive):
        chunks, size = [], 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout=max(deadline - loop.time(), 0.001))
            except asyncio.TimeoutError:
                raise Refusal(408, TOO_SLOW.format(seconds=self.body_timeout)) from None
            if message["type"] == "http.disconnect":
                raise Refusal(400, "Begäran avbröts av klienten.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise Refusal(413, TOO_LARGE.format(size=f"mer än {self.max_body}", limit=self.max_body))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def check_depth(self, body, content_type):
        if not body:
            return
        text = urllib.parse.unquote_to_bytes(body) if "form-urlencoded" in content_type else body
        if json_depth(text) > self.max_depth:
            raise Refusal(400, TOO_DEEP.format(limit=self.max_depth))


def _replay(body, receive):
    """The body once more for the app, then the original channel (for a disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _whole_response(send):
    """Hold a response until its last part, then send it in one go: the reverse proxy retries a
    function call on another replica only while it has no response header yet, so a replica that
    dies must not have sent the header of an answer it never finishes (xlwings Server's own
    middleware sends header and body at different moments). For function calls (small JSON)."""
    held = []

    async def whole(message):
        if message["type"] == "http.response.start":
            held.append(message)
            return
        if message["type"] == "http.response.body" and held:
            held.append(message)
            if message.get("more_body", False):
                return
            start, *parts = held
            held.clear()
            await send(start)
            await send({"type": "http.response.body", "body": b"".join(p.get("body", b"") for p in parts)})
            return
        await send(message)

    return whole
