"""Browser-facing hardening: security headers on every response, a Content-Security-Policy that
allows no script at all, and signed double-submit CSRF tokens for the web forms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Pages and JSON alike: nothing may run, load from elsewhere, or frame us. Web pages widen it in
# page_csp() to their own stylesheet (and the report's hashed inline styles).
DEFAULT_CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_STATIC_PREFIX = "/static/"
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S | re.I)


def page_csp(document: str) -> str:
    """The CSP for one HTML document: its own <style> blocks by hash (the report is one
    self-contained file for print and PDF, so its CSS stays inline), style attributes allowed
    (the report's column widths and legend colours use them; CSS in an attribute cannot run script), script never."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"
        for css in _STYLE.findall(document))
    if not hashes:
        return DEFAULT_CSP
    return DEFAULT_CSP.replace("style-src 'self';", f"style-src 'self' {hashes}; style-src-attr 'unsafe-inline';")


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every HTTP response. A response that
    set its own Content-Security-Policy (a web page with hashed styles) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith(_STATIC_PREFIX)

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = [
                    (b"content-security-policy", DEFAULT_CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    # cases and results must not sit in a shared or browser cache; only our CSS may
                    (b"cache-control", b"public, max-age=3600" if static else b"no-store"),
                ]
                headers += [(name, value) for name, value in wanted if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)


# ------------------------------------------------------------------ CSRF (signed double submit)

CSRF_COOKIE = "alknav_csrf"
CSRF_FIELD = "csrf"


class CsrfTokens:
    """A token is ``nonce.mac`` with mac = HMAC-SHA256(secret, nonce). The page puts it in a cookie
    (SameSite=Strict, HttpOnly) and in a hidden form field; a POST is accepted only when both are
    present, equal and correctly signed. Another site can neither read the cookie nor mint a
    signed token, so it cannot forge the pair."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _mac(self, nonce: str) -> str:
        return hmac.new(self._secret, nonce.encode("ascii"), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._mac(nonce)}"

    def signed(self, token: str | None) -> bool:
        if not token or len(token) > 200 or token.count(".") != 1 or not token.isascii():
            return False
        nonce, mac = token.split(".")
        return hmac.compare_digest(mac, self._mac(nonce))

    def seal(self, text: str) -> str:
        """The signature of a text the server wrote into a page (the case a result page carries), so
        that a changed or damaged copy coming back is refused before it is read."""
        return hmac.new(self._secret, b"carried-case\0" + text.encode("utf-8"), hashlib.sha256).hexdigest()

    def sealed(self, text: str, mac: str | None) -> bool:
        return bool(mac) and hmac.compare_digest(str(mac).encode("ascii", "replace"), self.seal(text).encode("ascii"))

    def valid(self, cookie: str | None, field: str | None) -> bool:
        if not cookie or not field:
            return False
        return hmac.compare_digest(cookie.encode("ascii", "replace"), field.encode("ascii", "replace")) \
            and self.signed(cookie)


def web_secret(data_dir: Path | None, env: str | None = None) -> bytes:
    """The CSRF signing secret: ALKNAV_SECRET_KEY when set, else a random key kept in the data
    folder (0600) so that every worker process signs alike; random per process without a folder."""
    if env:
        return env.encode("utf-8")
    if data_dir is None:
        return secrets.token_bytes(32)
    try:
        return _shared_key(data_dir / "web-secret.key")
    except OSError:  # a read-only folder (e.g. PostgreSQL deployments): tokens then hold per process
        return secrets.token_bytes(32)


def _shared_key(path: Path) -> bytes:
    data_dir = path.parent
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # written whole to a private file, then linked into place: a worker never reads half a key
    tmp = data_dir / f".web-secret.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)
    except FileExistsError:  # another worker won the race: use its key
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()
