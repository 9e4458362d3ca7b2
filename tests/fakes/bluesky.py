"""A fake Bluesky PDS (XRPC): sessions, records, blobs, handle resolution, point rate limits.

What it does as the PDS does (docs.bsky.app, atproto lexicons):

* ``createSession`` with handle (or DID) and app password returns JWT-shaped access and
  refresh tokens with ``exp`` (the SDK reads it to refresh early); ``refreshSession`` with
  the refresh token issues new ones and revokes the old refresh token; an expired access
  token is ``400 ExpiredToken``, an unknown one ``401 InvalidToken``;
* ``createRecord`` of an ``app.bsky.feed.post`` validates the record (300 graphemes, 3000
  bytes, facet byte ranges inside the text, a card thumbnail of at most 1,000,000 bytes) and
  gives it a TID record key (time-sortable); there is no duplicate check;
* ``listRecords`` lists a collection newest first (descending record key), ``limit`` 1–100
  (default 50), ``cursor`` = the last record key of the previous page (returned whenever a
  page has records, as the reference PDS does);
* writes cost points (3 per created record) against an hourly and a daily budget; every
  answer to a write carries ``ratelimit-limit/-remaining/-reset/-policy``, and a spent budget
  is ``429 RateLimitExceeded``; ``createSession`` has its own limit (30 per 5 minutes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from datetime import UTC, datetime
from typing import Any

import regex

from tests.fakes.base import FakeServer, Recorded, Reply

S32 = "234567abcdefghijklmnopqrstuvwxyz"
POST = "app.bsky.feed.post"
CREATE_COST = 3


def xrpc_error(status: int, error: str, message: str, headers: dict[str, str] | None = None,
               ) -> Reply:
    return Reply(status, {"error": error, "message": message}, headers or {})


def tid(micros: int, clock: int = 0) -> str:
    """A record key as the PDS makes them: 13 base32-sortable characters of time and clock."""
    n = (micros << 10) | (clock & 0x3FF)
    out = ""
    for _ in range(13):
        out = S32[n & 31] + out
        n >>= 5
    return out


def jwt(payload: dict[str, Any]) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'typ': 'at+jwt', 'alg': 'ES256K'})}.{b64(payload)}.c2lnbmF0dXJl"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeBluesky(FakeServer):
    platform = "bluesky"
    post_paths = r"/xrpc/com\.atproto\.repo\.createRecord$"

    def __init__(
        self, *, handle: str = "news.example.org", app_password: str = "abcd-efgh-ijkl-mnop",
        did: str = "did:plc:fakenews0000000000000001", access_ttl: float = 7200,
        refresh_ttl: float = 90 * 86400, points_per_hour: int = 5000,
        points_per_day: int = 35000, session_limit: tuple[int, float] = (30, 300.0),
        handles: dict[str, str] | None = None, **kw: Any,
    ) -> None:
        self.handle, self.app_password, self.did = handle, app_password, did
        self.access_ttl, self.refresh_ttl = access_ttl, refresh_ttl
        self.points_per_hour, self.points_per_day = points_per_hour, points_per_day
        self.session_limit = session_limit
        self.handles = {handle: did, **(handles or {})}
        self.access: dict[str, float] = {}  # token -> expiry
        self.refresh: dict[str, float] = {}
        self.spent: list[tuple[float, int]] = []  # (when, points)
        self.sessions_made: list[float] = []
        self.blobs: dict[str, dict[str, Any]] = {}
        self.clock = 0
        super().__init__(**kw)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "spent": self.spent, "clock": self.clock}

    def restore(self, data: dict[str, Any]) -> None:
        super().restore(data)
        self.spent = [tuple(x) for x in data.get("spent", [])]  # type: ignore[misc]
        self.clock = int(data.get("clock", 0))

    def revoke(self) -> None:
        """Every token stops working and the app password is revoked (the user deleted it)."""
        self.access.clear()
        self.refresh.clear()
        self.app_password = "revoked-" + self.app_password

    # -- shapes ----------------------------------------------------------------------------
    def _budget(self, now: float) -> tuple[int, float, int, float]:
        """(hour points left, hour reset, day points left, day reset)."""
        hour = [(t, p) for t, p in self.spent if t > now - 3600]
        day = [(t, p) for t, p in self.spent if t > now - 86400]
        hour_reset = (hour[0][0] + 3600) if hour else now + 3600
        day_reset = (day[0][0] + 86400) if day else now + 86400
        return (self.points_per_hour - sum(p for _, p in hour), hour_reset,
                self.points_per_day - sum(p for _, p in day), day_reset)

    def limit_headers(self, now: float | None = None) -> dict[str, str]:
        """The tighter of the hourly and daily windows, as the PDS reports it."""
        now = time.time() if now is None else now
        h_left, h_reset, d_left, d_reset = self._budget(now)
        if d_left < h_left:
            return {"ratelimit-limit": str(self.points_per_day),
                    "ratelimit-remaining": str(max(0, d_left)),
                    "ratelimit-reset": str(int(d_reset) + 1),
                    "ratelimit-policy": f"{self.points_per_day};w=86400"}
        return {"ratelimit-limit": str(self.points_per_hour),
                "ratelimit-remaining": str(max(0, h_left)),
                "ratelimit-reset": str(int(h_reset) + 1),
                "ratelimit-policy": f"{self.points_per_hour};w=3600"}

    def error_reply(self, kind: str, req: Recorded | None) -> Reply:
        if kind == "429":
            headers = {**self.limit_headers(), "ratelimit-remaining": "0",
                       "ratelimit-reset": str(int(time.time()) + 60)}
            return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        return xrpc_error(500, "InternalServerError", "Internal Server Error")

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A post on the account made by hand in the app (not by the bot)."""
        self.clock += 1
        rkey = tid(int(now * 1_000_000) + self.clock, self.clock)
        text = f"Posted from the app, number {n}: https://elsewhere.example/{n}"
        record = {"$type": POST, "text": text, "createdAt": iso(now), "langs": ["en"]}
        return self._stored(rkey, record, now)

    def _stored(self, rkey: str, record: dict[str, Any], now: float) -> dict[str, Any]:
        uri = f"at://{self.did}/{POST}/{rkey}"
        cid = "bafyrei" + hashlib.sha256(json.dumps(record).encode()).hexdigest()[:52]
        return {"id": uri, "rkey": rkey, "cid": cid, "record": record,
                "text": record.get("text", ""), "created_ts": now}

    # -- auth ------------------------------------------------------------------------------
    def _tokens(self, now: float) -> dict[str, Any]:
        n = self.new_id()
        access = jwt({"scope": "com.atproto.appPass", "sub": self.did, "iat": int(now),
                      "exp": int(now + self.access_ttl), "aud": "did:web:pds.fake"})
        refresh = jwt({"scope": "com.atproto.refresh", "sub": self.did, "iat": int(now),
                       "exp": int(now + self.refresh_ttl), "jti": f"refresh-{n}",
                       "aud": "did:web:pds.fake"})
        self.access[access] = now + self.access_ttl
        self.refresh[refresh] = now + self.refresh_ttl
        return {"did": self.did, "handle": self.handle, "accessJwt": access,
                "refreshJwt": refresh, "active": True,
                "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": self.did,
                           "alsoKnownAs": [f"at://{self.handle}"],
                           "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                        "serviceEndpoint": self.url}]}}

    def _bearer(self, req: Recorded) -> str:
        header = req.header("authorization") or ""
        return header[7:] if header.startswith("Bearer ") else ""

    def check_access(self, req: Recorded) -> Reply | None:
        token = self._bearer(req)
        if not token:
            return xrpc_error(401, "AuthMissing", "Authentication Required")
        expiry = self.access.get(token)
        if expiry is None:
            return xrpc_error(401, "InvalidToken", "Token could not be verified")
        if expiry <= time.time():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return None

    def create_session(self, req: Recorded) -> Reply:
        now = time.time()
        limit, span = self.session_limit
        self.sessions_made = [t for t in self.sessions_made if t > now - span]
        if len(self.sessions_made) >= limit:
            reset = int(self.sessions_made[0] + span) + 1
            return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", {
                "ratelimit-limit": str(limit), "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset), "ratelimit-policy": f"{limit};w={int(span)}"})
        body = req.json or {}
        who = str(body.get("identifier") or "").lstrip("@").lower()
        if who not in (self.handle.lower(), self.did) or body.get("password") != self.app_password:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.sessions_made.append(now)
        return Reply(200, self._tokens(now))

    def refresh_session(self, req: Recorded) -> Reply:
        token = self._bearer(req)
        expiry = self.refresh.pop(token, None)
        if expiry is None:
            return xrpc_error(400, "InvalidToken", "Token has been revoked")
        if expiry <= time.time():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return Reply(200, self._tokens(time.time()))

    # -- routes ----------------------------------------------------------------------------
    def route(self, req: Recorded) -> Reply:
        nsid = req.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession" and req.method == "POST":
            return self.create_session(req)
        if nsid == "com.atproto.server.refreshSession" and req.method == "POST":
            return self.refresh_session(req)
        if nsid == "com.atproto.identity.resolveHandle":
            did = self.handles.get((req.q("handle") or "").lower())
            return Reply(200, {"did": did}) if did else xrpc_error(
                400, "InvalidRequest", "Unable to resolve handle")
        denied = self.check_access(req)
        if denied:
            return denied
        if nsid == "com.atproto.server.getSession":
            return Reply(200, {"handle": self.handle, "did": self.did, "active": True,
                               "email": "desk@example.org", "emailConfirmed": True})
        if nsid == "com.atproto.repo.uploadBlob" and req.method == "POST":
            return self.upload_blob(req)
        if nsid == "com.atproto.repo.createRecord" and req.method == "POST":
            return self.create_record(req)
        if nsid == "com.atproto.repo.listRecords" and req.method == "GET":
            return self.list_records(req)
        return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")

    def upload_blob(self, req: Recorded) -> Reply:
        mime = (req.header("content-type") or "").split(";")[0].strip()
        if not req.body:
            return xrpc_error(400, "InvalidRequest", "Request encoding (Content-Type) required")
        cid = "bafkrei" + hashlib.sha256(req.body).hexdigest()[:52]
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(req.body)}
        self.blobs[cid] = {"mime": mime, "size": len(req.body), "data": req.body}
        return Reply(200, {"blob": blob})

    def invalid(self, record: Any) -> str | None:
        """Why the lexicon refuses the record (None: valid)."""
        if not isinstance(record, dict) or record.get("$type") != POST:
            return "Invalid app.bsky.feed.post record: Record/$type must be app.bsky.feed.post"
        text = record.get("text")
        invalid = "Invalid app.bsky.feed.post record: "
        if not isinstance(text, str) or "createdAt" not in record:
            return invalid + "Record must have the properties text, createdAt"
        if len(regex.findall(r"\X", text)) > 300:
            return invalid + "Record/text must not be longer than 300 graphemes"
        size = len(text.encode("utf-8"))
        if size > 3000:
            return invalid + "Record/text must not be longer than 3000 characters"
        for facet in record.get("facets") or []:
            index = facet.get("index") or {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size):
                return "Invalid app.bsky.feed.post record: facet index out of range"
        thumb = ((record.get("embed") or {}).get("external") or {}).get("thumb")
        if thumb:
            known = self.blobs.get(((thumb.get("ref") or {}).get("$link")) or "")
            if known is None:
                return "Could not find blob"
            if known["size"] > 1_000_000:
                return invalid + "Record/embed/external/thumb file too large. 1000000 bytes maximum"
        return None

    def create_record(self, req: Recorded) -> Reply:
        body = req.json or {}
        if body.get("repo") not in (self.did, self.handle):
            return xrpc_error(401, "InvalidToken", "Could not find repo")
        if body.get("collection") != POST:
            return xrpc_error(400, "InvalidRequest", "Unsupported collection in this fake")
        why = self.invalid(body.get("record"))
        if why:
            return xrpc_error(400, "InvalidRequest", why)
        now = time.time()
        h_left, _, d_left, _ = self._budget(now)
        wait = self.rate_limited()
        if min(h_left, d_left) < CREATE_COST or wait is not None:
            headers = self.limit_headers(now)
            if wait is not None:
                headers.update({"ratelimit-remaining": "0",
                                "ratelimit-reset": str(int(now + wait) + 1)})
            return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
        self.spent.append((now, CREATE_COST))
        self.clock += 1
        rkey = str(body.get("rkey") or tid(int(now * 1_000_000) + self.clock, self.clock))
        if any(p["rkey"] == rkey for p in self.posts):
            return xrpc_error(400, "InvalidRequest", f"Record already exists at {rkey}")
        post = self.add_post(self._stored(rkey, body["record"], now))
        return Reply(200, {"uri": post["id"], "cid": post["cid"],
                           "commit": {"cid": "bafyreicommit" + rkey, "rev": rkey},
                           "validationStatus": "valid"}, self.limit_headers(now))

    def list_records(self, req: Recorded) -> Reply:
        if req.q("repo") not in (self.did, self.handle) or req.q("collection") != POST:
            return Reply(200, {"records": []})
        raw = req.q("limit") or "50"
        if not re.fullmatch(r"\d+", raw) or not 1 <= int(raw) <= 100:
            return xrpc_error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        items = sorted(self.posts, key=lambda p: p["rkey"], reverse=req.q("reverse") != "true")
        cursor = req.q("cursor")
        if cursor:
            items = [p for p in items if (p["rkey"] < cursor if req.q("reverse") != "true"
                                          else p["rkey"] > cursor)]
        page = self.listed(items[:int(raw)])
        body: dict[str, Any] = {"records": [{"uri": p["id"], "cid": p["cid"],
                                             "value": p["record"]} for p in page]}
        if page:
            body["cursor"] = page[-1]["rkey"]
        return Reply(200, body)
