"""schemathesis checks of hub-server's authentication, loaded by scripts/api-fuzz (SCHEMATHESIS_HOOKS).

They replace schemathesis' own `ignored_auth`, which expects 401 or 403 to every wrong credential:
hub-server answers 429 (with Retry-After) to wrong credentials from an address that failed more
than 10 times within 60 s, and a fuzzing run sends hundreds. That throttle stays at its real
settings during the run, so these checks also prove issue 13 item 4 from outside: the right
credential is never refused, whatever the run's own wrong ones did to the throttle.

  right_credentials_never_refused
      every response to a request that carries the right Basic credentials (the run's --auth)
      is neither 401 nor 429
  refused_without_a_valid_credential
      once per protected operation, the same request again without credentials (401
      UNAUTHORIZED), with a made-up X-API-Key, a wrong Basic password and a made-up session
      token (each 401 UNAUTHORIZED, or 429 TOO_MANY_REQUESTS once the throttle holds): never
      anything else, and never a success
"""

import base64
import json
import os
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import schemathesis

RIGHT_BASIC = "Basic " + base64.b64encode(os.environ["HUB_API_FUZZ_AUTH"].encode()).decode()
PUBLIC_PATHS = {"/api/health"}
CREDENTIAL_HEADERS = {"authorization", "x-api-key"}

_probed: set[str] = set()
_probed_lock = threading.Lock()


def _path(response) -> str:
    return requests.utils.urlparse(response.request.url).path


def _error_code(response) -> str | None:
    try:
        return json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


@schemathesis.check
def right_credentials_never_refused(ctx, response, case):
    if response.request.headers.get("Authorization") != RIGHT_BASIC:
        return None
    if response.status_code in (401, 429):
        raise AssertionError(
            f"the right Basic credentials were refused with {response.status_code} "
            f"({_error_code(response)}): a correct credential must always pass"
        )
    return None


@schemathesis.check
def refused_without_a_valid_credential(ctx, response, case):
    path = _path(response)
    if path in PUBLIC_PATHS or response.status_code in (401, 429):
        return None
    key = f"{case.operation.method.upper()} {case.operation.path}"
    with _probed_lock:
        if key in _probed:
            return None
        _probed.add(key)
    sent = response.request
    headers = {name: value for name, value in sent.headers.items() if name.lower() not in CREDENTIAL_HEADERS}
    # The live feed's ?token= is a credential too (a session token; the document lists it).
    parts = urlsplit(sent.url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"])
    url = urlunsplit(parts._replace(query=query))
    wrong_basic = "Basic " + base64.b64encode(b"operator:not-the-password").decode()
    probes = [
        ("no credentials", {}, {401}),
        ("a made-up X-API-Key", {"X-API-Key": "made-up-api-key-0123456789"}, {401, 429}),
        ("a wrong Basic password", {"Authorization": wrong_basic}, {401, 429}),
        ("a made-up session token", {"Authorization": "Bearer 1.AAAA.00"}, {401, 429}),
    ]
    for name, extra, expected in probes:
        probe = requests.request(sent.method, url, headers={**headers, **extra}, data=sent.body, timeout=30)
        code = _error_code(probe)
        if probe.status_code not in expected or code not in ("UNAUTHORIZED", "TOO_MANY_REQUESTS"):
            raise AssertionError(
                f"{sent.method} {path} with {name} answered {probe.status_code} ({code}), "
                f"expected {' or '.join(map(str, sorted(expected)))}: {probe.text[:200]}"
            )
    return None
