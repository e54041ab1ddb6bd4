"""The URL opener OdooRPC talks through: its sockets are put under the call's deadline.

OdooRPC passes its `timeout` to urllib as a socket timeout, which bounds each
read but not the call, so a server dripping its answer byte by byte could hold a
sync for hours. OdooRPC accepts an opener of our own (`ODOO(opener=...)`): ours
keeps the cookie jar OdooRPC would build (the session cookie lives there) and
opens connections whose sockets register with the current
`officebridge.deadline.Deadline`, armed by the adapter around each call.
"""

from __future__ import annotations

import http.client
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

from officebridge import deadline


class _WatchedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        deadline.watch(self.sock)


class _WatchedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        deadline.watch(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_WatchedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_WatchedHTTPSConnection, req)


def opener() -> urllib.request.OpenerDirector:
    """A fresh opener (one cookie jar per client, as OdooRPC's own)."""
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar()), _HTTPHandler(), _HTTPSHandler()
    )
