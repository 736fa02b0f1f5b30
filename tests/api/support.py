"""Helpers for the API tests: a JSON client with a Bearer token (over the Flask test client or real
HTTP), valid request bodies, and the ways a token stops being honoured."""
import json
from http.client import HTTPConnection
from json import dumps
from urllib.parse import urlencode, urlsplit

import jwt
from flask_jwt_extended import create_access_token

from healthpal.api import tokens
from healthpal.domain import channels, users
from tests.toolkit import count


class Api:
    """The Flask test client speaking JSON, with a Bearer token when it has one."""

    def __init__(self, client, user=None):
        self.client = client
        self.user = user
        self.user_id = user.id if user is not None else None
        self.pair = tokens.issue(user) if user is not None else {}

    @property
    def access(self) -> str:
        return self.pair["access"]

    @property
    def refresh(self) -> str:
        return self.pair["refresh"]

    def headers(self, extra=None) -> dict:
        headers = {"Authorization": f"Bearer {self.access}"} if self.pair else {}
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, json=None, headers=None, **kwargs):
        return self.client.open(path, method=method, json=json, headers=self.headers(headers), **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


def patient_data(**fields) -> dict:
    return {"full_name": "John Doe", "gender": "m", "birthdate": "1980-05-17",
            "phone": "5551234567", "address": "ChIJN1t_tDeuEmsRUsoyG83frY4", **fields}


def assessment_data(patient_id: int, **fields) -> dict:
    return {"patient": patient_id, "type": "Cognitive test", "date": "2024-01-15", "score": 85,
            "qna_rounds": [{"question": "How do you feel?", "answer": "Fine"}], **fields}


class HttpResponse:
    """What `Http.open` answers: the parts of a Flask test response the tests read."""

    def __init__(self, status: int, headers, data: bytes):
        self.status_code, self.headers, self.data = status, headers, data

    @property
    def mimetype(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    @property
    def json(self):
        return json.loads(self.data) if self.mimetype == "application/json" else None


class Http:
    """A client for a live server with the Flask test client's `open` signature (no redirects followed)."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port

    def open(self, path: str, method: str = "GET", json=None, headers=None, data=None, content_type=None, **_):
        headers = dict(headers or {})
        if json is not None:
            data, content_type = dumps(json).encode(), "application/json"
        elif isinstance(data, dict):
            data, content_type = urlencode(data).encode(), "application/x-www-form-urlencoded"
        elif isinstance(data, str):
            data = data.encode()
        if content_type:
            headers["Content-Type"] = content_type
        connection = HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            return HttpResponse(response.status, response.headers, response.read())
        finally:
            connection.close()


def listed_count(client, clinician, path: str) -> int:
    """The `count` the API's list at `path` answers the clinician for a page of one (full, so that
    the total is not told by the page itself)."""
    response = Api(client, clinician).get(f"{path}{'&' if '?' in path else '?'}page_size=1")
    assert response.status_code == 200, response.json
    return response.json["count"]


def assert_counted(client, clinicians, *, path: str, model, total) -> None:
    """For each clinician, the list at `path` and their running count `total(id)` both tell how
    many rows of `model` are really theirs."""
    for clinician in clinicians:
        real = count(model, model.clinician_id == clinician.id)
        assert (listed_count(client, clinician, path), total(clinician.id)) == (real, real), clinician.username


TOKEN_NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}
USER_NOT_FOUND = {"detail": "User not found", "code": "user_not_found"}
NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}


def log_out(api: Api, _superuser) -> None:
    assert api.post("/api/auth/logout/", json={"refresh": api.refresh}).status_code in (200, 204)


def reset_password(api: Api, superuser) -> None:
    users.set_password(actor=superuser, via=channels.ADMIN, user_id=api.user_id, password="reset-by-admin-1")


def deactivate(api: Api, superuser) -> None:
    users.deactivate(actor=superuser, via=channels.ADMIN, user_id=api.user_id)


def delete_account(api: Api, superuser) -> None:
    users.delete(actor=superuser, via=channels.ADMIN, user_id=api.user_id)


# Each way a sign-in ends (`ending(api, superuser)`), and what its tokens then get.
ENDINGS = [(log_out, TOKEN_NOT_VALID), (reset_password, TOKEN_NOT_VALID),
           (deactivate, USER_NOT_FOUND), (delete_account, USER_NOT_FOUND)]


def forged(api: Api) -> str:
    """The client's access token signed with another key."""
    claims = jwt.decode(api.access, options={"verify_signature": False})
    return jwt.encode(claims, "another-secret-that-is-long-enough-for-hs256", algorithm="HS256")


# Authorization headers that fail (`header(api)`: None sends none), and what each gets.
FAILING_HEADERS = [
    (lambda api: None, NOT_PROVIDED),
    (lambda api: "Bearer abc", TOKEN_NOT_VALID),
    (lambda api: f"Bearer {api.refresh}", TOKEN_NOT_VALID),                      # not an access token
    (lambda api: f"Bearer {forged(api)}", TOKEN_NOT_VALID),
    (lambda api: f"Bearer {create_access_token(identity=str(api.user_id))}", TOKEN_NOT_VALID),  # not our claims
]
