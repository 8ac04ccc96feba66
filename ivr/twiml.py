"""TwiML documents and webhook-security helpers for the Twilio voice routes, pure functions.

`POST /twilio/voice` answers `voice_twiml` (a bidirectional `<Connect><Stream>` to
`/twilio/media` whose `<Connect action>` is `/twilio/after-stream`); when the bot closes the
stream Twilio fetches that action URL, which answers `transfer_twiml` (`<Enqueue>` into the
department queue) or `hangup_twiml`. `validate_twilio_signature` checks X-Twilio-Signature
(HMAC-SHA1 over URL + sorted POST parameters). XML is written by hand with full escaping so the
output is byte-exact and predictable (`<Hangup/>`, no `<Hangup />`). See docs/twilio.md.
No I/O here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

VOICE_PATH = "/twilio/voice"
MEDIA_PATH = "/twilio/media"
AFTER_STREAM_PATH = "/twilio/after-stream"
DIAL_ENDED_PATH = "/twilio/dial-ended"  # Twilio reports here how a dialled agent's call ended

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
SAY_LANGUAGE = "zh-CN"

# Characters XML 1.0 cannot carry at all, even escaped; dropped rather than emitted invalid.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# In attributes, whitespace controls are escaped too: a parser would normalise them to spaces.
_ATTR_ESCAPES = str.maketrans({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
    "\n": "&#10;", "\r": "&#13;", "\t": "&#9;",
})
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
_DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}


# ---- XML --------------------------------------------------------------------------------------


def _text(value: str) -> str:
    return _XML_INVALID.sub("", value).translate(_TEXT_ESCAPES)


def _attrs(attrs: Mapping[str, str | None]) -> str:
    return "".join(
        f' {name}="{_XML_INVALID.sub("", value).translate(_ATTR_ESCAPES)}"'
        for name, value in attrs.items()
        if value is not None
    )


def _element(tag: str, attrs: Mapping[str, str | None], content: str | None = None) -> str:
    """`content` is already-serialised XML; None makes an empty element `<tag/>`."""
    if content is None:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{content}</{tag}>"


def _document(children: Iterable[str]) -> str:
    return XML_DECLARATION + _element("Response", {}, "".join(children))


# ---- TwiML documents ------------------------------------------------------------------------


def voice_twiml(stream_url: str, parameters: Mapping[str, str], action_url: str | None) -> str:
    """Answer an incoming call: stream it to the bot, then continue at `action_url`.

    Each parameter becomes a `<Parameter>` and arrives in `start.customParameters`. `<Connect>`
    blocks until the websocket closes; Twilio then requests `action_url` for what comes next.
    """
    params = "".join(
        _element("Parameter", {"name": name, "value": value}) for name, value in parameters.items()
    )
    stream = _element("Stream", {"url": stream_url}, params)
    return _document([_element("Connect", {"action": action_url}, stream)])


def transfer_twiml(queue: str, department_name: str, say_text: str | None) -> str:
    """Put the caller into the department's Twilio queue, optionally saying `say_text` first.

    The department name is written as an XML comment so a logged document says where the
    caller went even when queue names are codes.
    """
    if not queue.strip():
        raise ValueError("transfer_twiml needs a non-empty queue name")
    children = [_comment(f"transfer to {department_name}")] if department_name else []
    if say_text:
        children.append(_element("Say", {"language": SAY_LANGUAGE}, _text(say_text)))
    children.append(_element("Enqueue", {}, _text(queue)))
    return _document(children)


DIAL_TIMEOUT_S = 30  # an agent's phone that rings this long unanswered ends the dial


def dial_twiml(target: str, department_name: str, action: str | None = None) -> str:
    """Connect the caller to the agent who accepted them: a SIP URI (`<Dial><Sip>`) or a phone
    number (`<Dial><Number>`), as Twilio's TwiML reference defines them. With `action`,
    Twilio requests that URL when the dialled call ends (DialCallStatus, DialCallDuration), so
    the agent stays busy for the whole conversation and its length counts in the estimates."""
    target = target.strip()
    if not target:
        raise ValueError("dial_twiml needs a number or SIP URI")
    noun = "Sip" if target.lower().startswith(("sip:", "sips:")) else "Number"
    children = [_comment(f"agent of {department_name}")] if department_name else []
    attributes = {"timeout": str(DIAL_TIMEOUT_S)}
    if action:
        attributes.update(action=action, method="POST")
    children.append(_element("Dial", attributes, _element(noun, {}, _text(target))))
    return _document(children)


CALLBACK_AGENT_TEXT = "正在回拨来电者，请稍候。"
CALLBACK_AFTER_TEXT = "回拨已结束，请在工作台记录结果。"


def callback_twiml(citizen: str, caller_id: str, department_name: str = "") -> str:
    """The agent's leg of a call back (遇忙回拨), placed agent first: the agent who clicked
    hears a short line, then Twilio dials the citizen showing the hotline's number
    (`callerId`), so a citizen never answers to a silent line while an agent is found.
    Whatever the dial came to, the agent is reminded to record the outcome at the desk."""
    if not citizen.strip() or not caller_id.strip():
        raise ValueError("callback_twiml needs the citizen's number and the caller ID")
    children = [_comment(f"call back for {department_name}")] if department_name else []
    children.append(_element("Say", {"language": SAY_LANGUAGE}, _text(CALLBACK_AGENT_TEXT)))
    children.append(_element("Dial", {"callerId": caller_id.strip(),
                                      "timeout": str(DIAL_TIMEOUT_S)},
                             _element("Number", {}, _text(citizen.strip()))))
    children.append(_element("Say", {"language": SAY_LANGUAGE}, _text(CALLBACK_AFTER_TEXT)))
    return _document(children)


BUSY_TEXT = "线路繁忙，请稍后再拨。"


def busy_twiml(text: str = BUSY_TEXT) -> str:
    """The line is full (admission control): say so, then hang up, rather than stream a call
    the server cannot serve in time."""
    return _document([_element("Say", {"language": SAY_LANGUAGE}, _text(text)),
                      _element("Hangup", {})])


def hangup_twiml() -> str:
    """End the call."""
    return _document([_element("Hangup", {})])


def _comment(text: str) -> str:
    # "--" may not appear inside an XML comment, nor may it end with "-".
    body = _XML_INVALID.sub("", text).replace("--", "- -").rstrip("-")
    return f"<!-- {body} -->"


# ---- URLs -------------------------------------------------------------------------------------


def stream_url_for(host: str, public_url: str | None, scheme_hint: str) -> str:
    """The websocket URL Twilio should stream to (`…/twilio/media`).

    `public_url` (configured, e.g. "https://ivr.example.org" or "https://x.org/ivr") wins and
    keeps its path prefix and its security (https→wss, http→ws). Otherwise the request's Host
    is used with wss, except plain http on a loopback host gives ws (local testing); a TLS
    proxy in front of us usually makes requests look like http, and Twilio only dials wss.
    """
    return _url_for(host, public_url, scheme_hint, MEDIA_PATH, websocket=True)


def http_url_for(host: str, public_url: str | None, scheme_hint: str, path: str) -> str:
    """Absolute http(s) URL for `path` (e.g. AFTER_STREAM_PATH), by the same rules."""
    return _url_for(host, public_url, scheme_hint, path, websocket=False)


def _url_for(host: str, public_url: str | None, hint: str, path: str, *, websocket: bool) -> str:
    if public_url:
        secure, netloc, prefix = _split_public_url(public_url)
    else:
        netloc, prefix = _checked_host(host), ""
        secure = not (hint.lower() in ("http", "ws") and _is_loopback(netloc))
    scheme = ("wss" if secure else "ws") if websocket else ("https" if secure else "http")
    return f"{scheme}://{netloc}{prefix}{path}"


def _split_public_url(public_url: str) -> tuple[bool, str, str]:
    """(secure, host[:port], path prefix without trailing slash) of a configured public URL."""
    text = public_url.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"public_url must be http(s) or ws(s), got {public_url!r}")
    return scheme in ("https", "wss"), _checked_host(parts.netloc), parts.path.rstrip("/")


def _checked_host(host: str) -> str:
    # The Host header is caller-controlled; refuse anything that is not host[:port].
    host = host.strip()
    if not _HOST.match(host):
        raise ValueError(f"not a valid host[:port]: {host!r}")
    return host


def _is_loopback(netloc: str) -> bool:
    hostname = urlsplit("//" + netloc).hostname or ""
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


# ---- X-Twilio-Signature -----------------------------------------------------------------------

Params = Mapping[str, str] | Mapping[str, Sequence[str]]


def twilio_signature(url: str, params: Params, auth_token: str) -> str:
    """Base64 HMAC-SHA1 of the URL followed by every parameter as name+value, sorted.

    Repeated parameters contribute each distinct value in sorted order, as Twilio's helper
    libraries compute it.
    """
    signed = url + "".join(
        name + value for name in sorted(params) for value in sorted(set(_values(params[name])))
    )
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def validate_twilio_signature(
    url: str, params: Params, signature: str | None, auth_token: str
) -> bool:
    """True if `signature` (the X-Twilio-Signature header) matches the request.

    `url` must be the full URL Twilio requested (scheme, host, path, query). Because proxies
    add or strip default ports, the URL is also tried with the port removed and with the
    default port added, like Twilio's own validators do. Comparison is constant-time.
    """
    if not signature or not auth_token:
        return False
    given = signature.strip().encode("utf-8")
    return any(
        hmac.compare_digest(twilio_signature(candidate, params, auth_token).encode("ascii"), given)
        for candidate in _url_variants(url)
    )


def _values(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else [str(item) for item in value]


def _url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return [url]
    hostname = parts.hostname or ""
    host = f"[{hostname}]" if ":" in hostname else hostname
    userinfo = parts.netloc.rpartition("@")[0]
    userinfo = userinfo + "@" if userinfo else ""
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    without = urlunsplit(parts._replace(netloc=f"{userinfo}{host}"))
    variants = [url, without]
    if port is None and default is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{userinfo}{host}:{default}")))
    return list(dict.fromkeys(variants))
