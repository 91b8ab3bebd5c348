"""A reusable pytest suite every credential provider should pass.

Like keyring's ``BackendBasicTests``: subclass :class:`ProviderContract` (for a
read-only provider) or :class:`WritableProviderContract` (for a
:class:`~alphacast.WritableCredentialProvider`) in a test module, say how to build
your provider and how to put a key in its store, and pytest collects the
inherited tests::

    # tests/test_contract.py of a plugin distribution
    from alphacast.testing import ProviderContract
    from my_package.plugin import MyStoreProvider

    class TestMyStoreContract(ProviderContract):
        entry_point = "my-store"                 # check plugin discovery too
        profiles = ("default", "contract-other")  # the store holds many profiles

        def make_provider(self, tmp_path, monkeypatch):
            monkeypatch.setenv("MY_STORE_DIR", str(tmp_path / "store"))
            return MyStoreProvider()

        def store_key(self, provider, profile, key):
            (self.tmp_path / "store").mkdir(exist_ok=True)
            (self.tmp_path / "store" / profile).write_text(key)

A writable provider needs only ``make_provider``: the suite fills it through its
own ``store()`` and adds store/resolve/delete round trips.

The interface, all of it:

``make_provider(tmp_path, monkeypatch)`` (required)
    Return a fresh provider whose store is empty. Called once per test, after the
    suite has isolated the test: ``HOME`` points at ``tmp_path / "home"``, the
    working directory is ``tmp_path / "work"`` and no ``ALPHACAST_*`` variable is
    set. ``self.tmp_path`` and ``self.monkeypatch`` hold the same objects, for
    :meth:`~ProviderContract.store_key`.
``store_key(provider, profile, key)``
    Put ``key`` into the provider's store for ``profile``. The default calls
    ``provider.store()``; read-only providers must override it.
``profiles``
    Profiles the store can hold at the same time; the first is used for single-key
    tests. Ambient providers (environment, ``.env``), which serve only the
    implicit profile, keep the default ``("default",)``; others should list two,
    such as ``("default", "contract-other")``, so that the suite checks that
    profiles never cross.
``entry_point``
    The name of the provider's entry point in the ``alphacast`` group, if the
    suite should check that plugin discovery yields the provider (leave ``None``
    for providers registered some other way).
``corrupt_store(provider, profile)`` (optional)
    Put something broken into the store for ``profile`` (a malformed file, an
    unreadable entry); the suite then checks that ``resolve`` raises
    :class:`~alphacast.CredentialError`, without the stored key in the message.
    Return ``True`` once done. The default returns ``False`` and the test is
    skipped; override the test itself if the store cannot be broken.

What the suite checks: the provider has a non-empty ``name`` and sane class
attributes; an unknown profile resolves to ``None`` and ``describe_miss`` gives
a string without the key; a stored key resolves to a :class:`~alphacast.Credential`
with the provider's name, the profile and the right fingerprint, whose ``repr``,
``str`` and ``source`` never show the key; profiles do not cross; writable
providers round-trip ``store``/``resolve``/``delete`` and refuse malformed keys;
``resolve`` raises nothing but :class:`~alphacast.CredentialError`, even for odd
profile names; and the entry point, if named, reaches the provider (the test
is skipped when ``entry_point`` is ``None``).

This module imports pytest only inside the tests, so importing it costs nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from alphacast._credentials import Credential, CredentialProvider, WritableCredentialProvider
from alphacast.errors import CredentialError

if TYPE_CHECKING:
    import pytest

__all__ = ["ProviderContract", "WritableProviderContract"]

#: Keys the suite stores; long enough to get a real fingerprint.
KEY_A = "ak_contract_alpha_7f3c9e21b04d"
KEY_B = "ak_contract_bravo_5a81d6f2c93e"
UNKNOWN_PROFILE = "contract-unknown-profile"
#: Profile names a provider must survive (miss or refuse), never crash on.
ODD_PROFILES = ("", " ", "a b", "[x]", "x]\n[y", "ü-profil", "../../etc/passwd", "p" * 300, "\x00")


class ProviderContract:
    """Base class of a provider's contract tests; see the module docstring."""

    profiles: ClassVar[tuple[str, ...]] = ("default",)
    entry_point: ClassVar[str | None] = None

    tmp_path: Path
    monkeypatch: pytest.MonkeyPatch

    # -- what a subclass provides ------------------------------------------------

    def make_provider(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CredentialProvider:
        """Return a provider with an empty store (override this)."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_provider()")

    def store_key(self, provider: CredentialProvider, profile: str, key: str) -> None:
        """Put ``key`` into ``provider``'s store for ``profile``.

        The default calls ``provider.store()``; read-only providers must override it.
        """
        if not isinstance(provider, WritableCredentialProvider):
            raise NotImplementedError(
                f"{type(self).__name__} must implement store_key() for the read-only "
                f"provider {provider.name!r}"
            )
        provider.store(profile, key)

    def corrupt_store(self, provider: CredentialProvider, profile: str) -> bool:
        """Break the stored entry of ``profile``; return False if not supported."""
        return False

    # -- plumbing ------------------------------------------------------------------

    def _provider(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CredentialProvider:
        for name in list(os.environ):
            if name.startswith("ALPHACAST_"):
                monkeypatch.delenv(name)
        home, work = tmp_path / "home", tmp_path / "work"
        home.mkdir(exist_ok=True)
        work.mkdir(exist_ok=True)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.chdir(work)
        self.tmp_path, self.monkeypatch = tmp_path, monkeypatch
        return self.make_provider(tmp_path, monkeypatch)

    @staticmethod
    def _assert_hidden(text: str, key: str, what: str) -> None:
        # The fingerprint may show the last four characters, nothing more.
        assert key not in text, f"{what} contains the key: {text!r}"
        assert key[:-4] not in text, f"{what} contains most of the key: {text!r}"

    # -- the contract ----------------------------------------------------------------

    def test_name_and_attributes(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = self._provider(tmp_path, monkeypatch)
        assert isinstance(provider, CredentialProvider)
        assert isinstance(provider.name, str) and provider.name.strip() == provider.name != ""
        assert isinstance(provider.priority, int)
        assert isinstance(provider.ambient, bool) and isinstance(provider.cacheable, bool)
        assert provider.name in repr(provider)

    def test_empty_store_misses(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = self._provider(tmp_path, monkeypatch)
        for profile in self.profiles:
            assert provider.resolve(profile) is None
            why = provider.describe_miss(profile)
            assert isinstance(why, str) and why

    def test_unknown_profile_misses(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = self._provider(tmp_path, monkeypatch)
        self.store_key(provider, self.profiles[0], KEY_A)
        assert provider.resolve(UNKNOWN_PROFILE) is None
        why = provider.describe_miss(UNKNOWN_PROFILE)
        assert isinstance(why, str) and why
        self._assert_hidden(why, KEY_A, "describe_miss()")

    def test_stored_key_resolves(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = self._provider(tmp_path, monkeypatch)
        profile = self.profiles[0]
        self.store_key(provider, profile, KEY_A)
        credential = provider.resolve(profile)
        assert isinstance(credential, Credential)
        assert credential.api_key == KEY_A
        assert credential.provider == provider.name
        assert credential.profile == profile
        assert credential.fingerprint == "…" + KEY_A[-4:]
        assert isinstance(credential.source, str) and credential.source
        for what, text in (
            ("repr()", repr(credential)),
            ("str()", str(credential)),
            ("source", credential.source),
            ("describe_miss()", provider.describe_miss(UNKNOWN_PROFILE)),
        ):
            self._assert_hidden(text, KEY_A, what)

    def test_profiles_do_not_cross(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = self._provider(tmp_path, monkeypatch)
        if len(self.profiles) < 2:
            self.store_key(provider, self.profiles[0], KEY_A)
            assert provider.resolve(UNKNOWN_PROFILE) is None
            return
        first, second = self.profiles[:2]
        self.store_key(provider, first, KEY_A)
        assert provider.resolve(second) is None
        self.store_key(provider, second, KEY_B)
        one, two = provider.resolve(first), provider.resolve(second)
        assert one is not None and one.api_key == KEY_A and one.profile == first
        assert two is not None and two.api_key == KEY_B and two.profile == second

    def test_profiles_lists_what_is_stored_or_says_it_cannot(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``profiles()`` is ``None`` (cannot list) or names every stored profile, and
        never an unknown one; it shows no key."""
        provider = self._provider(tmp_path, monkeypatch)
        for profile, key in zip(self.profiles[:2], (KEY_A, KEY_B), strict=False):
            self.store_key(provider, profile, key)
        try:
            listed = provider.profiles()
        except CredentialError as exc:  # could list, but not here and now: a reason
            self._assert_hidden(str(exc), KEY_A, "the error of profiles()")
            return
        if listed is None:
            return
        assert isinstance(listed, list) and all(isinstance(name, str) for name in listed)
        assert set(self.profiles[:2]) <= set(listed)
        assert UNKNOWN_PROFILE not in listed
        self._assert_hidden(repr(listed), KEY_A, "profiles()")

    def test_resolve_raises_only_credential_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        provider = self._provider(tmp_path, monkeypatch)
        self.store_key(provider, self.profiles[0], KEY_A)
        for profile in ODD_PROFILES:
            try:
                found = provider.resolve(profile)
            except CredentialError as exc:
                self._assert_hidden(str(exc), KEY_A, "the error")
            else:
                assert found is None or found.api_key == KEY_A
            why = provider.describe_miss(profile)
            assert isinstance(why, str)

    def test_broken_store_raises_credential_error(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import pytest

        provider = self._provider(tmp_path, monkeypatch)
        self.store_key(provider, self.profiles[0], KEY_A)
        if not self.corrupt_store(provider, self.profiles[0]):
            pytest.skip("corrupt_store() is not implemented for this provider")
        with pytest.raises(CredentialError) as caught:
            provider.resolve(self.profiles[0])
        self._assert_hidden(str(caught.value), KEY_A, "the error")

    def test_entry_point_yields_provider(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import pytest

        from alphacast import plugins

        provider = self._provider(tmp_path, monkeypatch)
        if self.entry_point is None:
            pytest.skip("no entry_point named")
        plugins.reset()
        try:
            found = plugins.registry()
        finally:
            plugins.reset()
        info = [p for p in found.plugins if p.name == self.entry_point]
        assert info, f"no entry point {self.entry_point!r} in the 'alphacast' group"
        assert info[0].error is None, info[0].error
        assert provider.name in info[0].providers
        assert type(found.providers[provider.name]) is type(provider)


class WritableProviderContract(ProviderContract):
    """The contract of a :class:`~alphacast.WritableCredentialProvider`: everything in
    :class:`ProviderContract`, plus ``store``/``delete`` round trips."""

    def _writable(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> WritableCredentialProvider:
        provider = self._provider(tmp_path, monkeypatch)
        assert isinstance(provider, WritableCredentialProvider), (
            f"{provider.name} is not a WritableCredentialProvider: use ProviderContract"
        )
        return provider

    def test_writable_round_trip(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        provider = self._writable(tmp_path, monkeypatch)
        profile = self.profiles[-1]
        where = provider.store(profile, KEY_A)
        assert isinstance(where, str) and where
        self._assert_hidden(where, KEY_A, "store()'s return value")
        first = provider.resolve(profile)
        assert first is not None and first.api_key == KEY_A
        provider.store(profile, KEY_B)
        second = provider.resolve(profile)
        assert second is not None and second.api_key == KEY_B
        assert provider.delete(profile) is True
        assert provider.resolve(profile) is None
        assert provider.delete(profile) is False

    def test_store_refuses_malformed_keys(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import pytest

        provider = self._writable(tmp_path, monkeypatch)
        for bad in ("", "   ", KEY_A[:10] + " " + KEY_A[10:], KEY_A + "\x07"):
            with pytest.raises(CredentialError) as caught:
                provider.store(self.profiles[0], bad)
            if bad.strip():
                self._assert_hidden(str(caught.value), bad.strip(), "the error")
        assert provider.resolve(self.profiles[0]) is None
