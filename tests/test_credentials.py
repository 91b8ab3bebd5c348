"""The Credential value object: immutable, never shows its key."""

from __future__ import annotations

import pickle
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alphacast import AlphacastWarning, Credential, CredentialError, CredentialProvider

KEY = "ak_live_5ecret5ecret5ecretWXYZ"


def make(key: str = KEY, **kwargs: object) -> Credential:
    return Credential(key, provider="test", source="a test", **kwargs)  # type: ignore[arg-type]


def test_repr_and_str_show_provenance_not_key():
    credential = make(profile="prod")
    for text in (repr(credential), str(credential), f"{credential}", f"{credential!r}"):
        assert KEY not in text
        assert KEY[:-4] not in text
        assert "provider='test'" in text
        assert "profile='prod'" in text
        assert "…WXYZ" in text


def test_fingerprint_is_at_most_last_four_characters():
    assert make().fingerprint == "…WXYZ"
    assert make("ak_short").fingerprint == "****"


def test_immutable_and_unpicklable():
    credential = make()
    with pytest.raises(AttributeError):
        credential.provider = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del credential.source
    with pytest.raises(TypeError):
        pickle.dumps(credential)


def test_surrounding_whitespace_is_stripped_with_a_warning_naming_the_source():
    with pytest.warns(AlphacastWarning, match="a test") as caught:
        credential = make(f"  {KEY}\n")
    assert credential.api_key == KEY
    assert all(KEY not in str(w.message) for w in caught)


@pytest.mark.parametrize("bad", ["ak_one two", "ak_tab\there", "ak_nul\x00x", "", "   ", "ak_\u200bzw"])
def test_inner_whitespace_control_or_empty_is_refused(bad: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphacastWarning)
        with pytest.raises(CredentialError) as info:
            make(bad)
    assert "a test" in str(info.value)
    if bad.strip():
        assert bad.strip() not in str(info.value)


def test_non_string_key_is_refused():
    with pytest.raises(CredentialError, match="not a string"):
        make(12345)  # type: ignore[arg-type]


def test_expiry():
    soon = make(expires_at=datetime.now(UTC) + timedelta(seconds=30))
    later = make(expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert soon.expires_within(60)
    assert not later.expires_within(60)
    assert not make().expires_within(60)
    naive = make(expires_at=datetime(2030, 1, 1))
    assert naive.expires_at is not None and naive.expires_at.tzinfo is UTC


def test_equality_and_profile_relabel():
    assert make() == make()
    assert make() != make("ak_live_other_key_1234")
    relabelled = make().with_profile("prod")
    assert relabelled.profile == "prod" and relabelled.api_key == KEY


@settings(max_examples=300, deadline=None)
@given(key=st.text(max_size=60))
def test_any_key_text_is_accepted_or_refused_without_showing_it(key: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            credential = Credential(key, provider="fuzz", source="hypothesis")
        except CredentialError as exc:
            inner = key.strip()
            if len(inner) >= 4:
                assert inner not in str(exc)
        else:
            assert credential.api_key == key.strip()
            # All of the repr is fixed text but the fingerprint (a substring test would
            # fail for a key such as "provider", which the repr spells as a field name).
            assert repr(credential) == (
                "Credential(provider='fuzz', source='hypothesis', profile='default', "
                f"fingerprint={credential.fingerprint!r})"
            )
            assert credential.fingerprint in ("****", "…" + credential.api_key[-4:])
    for warning in caught:
        if len(key.strip()) >= 4:
            assert key.strip() not in str(warning.message)


class _Odd(CredentialProvider):
    name = "odd"

    def __init__(self, value: object) -> None:
        self.value = value

    def resolve(self, profile: str) -> Credential | None:
        return self.value  # type: ignore[return-value]


@settings(max_examples=100, deadline=None)
@given(value=st.one_of(st.none(), st.integers(), st.text(), st.binary(), st.lists(st.text()), st.dictionaries(st.text(), st.text())))
def test_any_plugin_return_value_is_a_credential_none_or_a_plugin_error(value: object):
    from alphacast import PluginError
    from alphacast.chain import CredentialChain

    chain = CredentialChain([_Odd(value)])
    try:
        chain.resolve("default")
    except PluginError as exc:
        assert value is not None and "not a Credential" in str(exc)
        if isinstance(value, str) and len(value) >= 4:
            assert value not in str(exc)
    except CredentialError:
        assert value is None
