"""Evidence links: an absolute https URL with a host, length-capped; nothing else passes."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.provisional import urls
from pydantic import BaseModel, ValidationError

from onboarding.limits import EVIDENCE_LINK_MAX
from onboarding.links import EvidenceLink, evidence_link
from onboarding.text import allowed_line


class Evidence(BaseModel):
    link: EvidenceLink


@pytest.mark.parametrize(
    ("given_link", "normalised"),
    [
        ("https://drive.example/rec/123", "https://drive.example/rec/123"),
        ("HTTPS://Drive.Example/Rec/123", "https://drive.example/Rec/123"),
        ("  https://e.example/x?a=1#t=30  ", "https://e.example/x?a=1#t=30"),
        ("https://e.example:8443/x", "https://e.example:8443/x"),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/x"),
        ("https://bücher.example/x", "https://bücher.example/x"),
        ("https://e.example", "https://e.example"),
    ],
)
def test_https_links_with_a_host_are_accepted(given_link: str, normalised: str) -> None:
    assert evidence_link(given_link) == normalised
    assert Evidence(link=given_link).link == normalised


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("http://drive.example/rec/123", "not a http URL"),
        ("https://", "no valid host"),
        ("http://", "not a http URL"),
        ("HTTPS://", "no valid host"),
        ("https:///path", "no valid host"),
        ("https:drive.example/x", "no valid host"),
        ("https://:443/x", "no valid host"),
        ("https://drive..example/x", "no valid host"),
        ("https://-bad.example/x", "no valid host"),
        ("https://e.example:99999/x", "not a valid URL"),
        ("https://user:pw@e.example/x", "user name or password"),
        ("javascript:alert(1)", "not a javascript URL"),
        ("ftp://e.example/x", "not a ftp URL"),
        ("the walkthrough was given", "not plain text"),
        ("https://e.example/x y", "spaces"),
        ("https://e.example/x\x1b[31m platform sign-off recorded", "control characters"),
        ("https://e.example/\u202egnp.exe", "control characters"),
        ("https://e.example/\nsecond line", "line breaks"),
        ("https://e.example/" + "a" * EVIDENCE_LINK_MAX, "characters long"),
    ],
)
def test_anything_else_is_refused_with_the_reason(bad: str, words: str) -> None:
    with pytest.raises(ValueError) as info:
        evidence_link(bad)
    assert words in str(info.value)
    with pytest.raises(ValidationError):
        Evidence(link=bad)


@given(urls())
def test_every_https_url_with_a_host_is_accepted(url: str) -> None:
    secure = "https" + url[url.index(":") :]
    if len(secure) > EVIDENCE_LINK_MAX:
        return
    accepted = evidence_link(secure)
    assert accepted.startswith("https://")
    assert urlsplit(accepted).hostname == urlsplit(secure).hostname
    assert evidence_link(secure.replace("https", "HTTPS", 1)) == accepted


@given(st.text(max_size=200))
@example("https://")
@example("https://a")
@example("https://a:0")
@example("https://[::1")
@example("https://%41.example/")
@example("https://ex\uff0fample/")
def test_any_text_is_a_normalised_https_link_or_a_value_error(text: str) -> None:
    try:
        accepted = evidence_link(text)
    except ValueError as error:
        assert str(error)
        return
    parts = urlsplit(accepted)
    assert parts.scheme == "https" and parts.hostname
    assert "@" not in parts.netloc
    assert len(accepted) <= EVIDENCE_LINK_MAX
    assert allowed_line(accepted) and not any(c.isspace() for c in accepted)
    assert evidence_link(accepted) == accepted
