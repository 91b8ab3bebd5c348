"""The ``explicit`` provider: a key passed in code."""

from __future__ import annotations

import pytest

from alphacast import CredentialError
from alphacast.providers.explicit import ExplicitKeyProvider

KEY = "ak_explicit_0123456789abcdef"


def test_registered_instance_holds_no_key():
    provider = ExplicitKeyProvider()
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == "no api_key was passed to Alphacast()"


def test_passed_key_serves_every_profile():
    provider = ExplicitKeyProvider(KEY)
    for profile in ("default", "prod"):
        credential = provider.resolve(profile)
        assert credential is not None
        assert (credential.api_key, credential.profile) == (KEY, profile)
        assert credential.source == "Alphacast(api_key=...)"
        assert KEY not in repr(credential)


def test_custom_source_is_kept():
    credential = ExplicitKeyProvider(KEY, source="--api-key").resolve("default")
    assert credential is not None and credential.source == "--api-key"


@pytest.mark.parametrize("bad", ["", "  ", "ak_with space_0123456789"])
def test_malformed_key_is_refused_without_echo(bad):
    with pytest.raises(CredentialError) as caught:
        ExplicitKeyProvider(bad)
    if bad.strip():
        assert bad.strip() not in str(caught.value)
