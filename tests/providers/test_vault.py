"""The ``vault`` provider against a real OpenBao dev server (see ``openbao.py``)."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from alphacast import AlphacastWarning, Credential, CredentialError, CredentialProvider, plugins
from alphacast.chain import CredentialChain, ResolvedCredential, resolve_with
from alphacast.providers.vault import VaultProvider
from alphacast.testing import KEY_A, KEY_B, UNKNOWN_PROFILE, ProviderContract
from tests.providers.helpers import write_config
from tests.providers.openbao import ROOT_TOKEN, OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault


@pytest.fixture
def bao(openbao: OpenBao, monkeypatch: pytest.MonkeyPatch) -> OpenBao:  # noqa: F811
    """The server, named by VAULT_ADDR, with a root token in VAULT_TOKEN."""
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    return openbao


def reader_token(bao: OpenBao, api_path: str) -> str:
    name = "read-" + api_path.replace("/", "-")
    bao.policy(name, f'path "{api_path}" {{ capabilities = ["read"] }}')
    return bao.token(name)


def resolve(profile: str) -> Credential | None:
    return VaultProvider().resolve(profile)


def error_of(profile: str) -> str:  # SHOW
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve(profile)
    assert info.value.provider == "vault"
    assert str(info.value).startswith("vault: ")
    return str(info.value)


# -- taking part -------------------------------------------------------------------


def test_without_a_server_the_provider_passes():
    provider = VaultProvider()
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == "VAULT_ADDR/BAO_ADDR not set"


def test_registered_through_the_entry_point_after_the_local_stores():
    found = plugins.registry().providers["vault"]
    assert isinstance(found, VaultProvider)
    assert (found.priority, found.cacheable, found.ambient) == (80, True, False)


def test_missing_hvac_with_a_server_says_how_to_install(monkeypatch, bao):
    monkeypatch.setitem(sys.modules, "hvac", None)
    text = error_of("default")
    assert "pip install 'alphacast[vault]'" in text
    assert bao.address in text


def test_missing_hvac_without_a_server_is_only_a_miss(monkeypatch):
    monkeypatch.setitem(sys.modules, "hvac", None)
    assert VaultProvider().resolve("default") is None


# -- where the key is read ------------------------------------------------------------


def test_reads_kv2_secret_alphacast_profile_api_key_by_default(bao):
    bao.put_kv2("alphacast/kv2default", {"api_key": "ak_kv2_default_0000001"})
    before = datetime.now(UTC)
    credential = resolve("kv2default")
    assert credential is not None
    assert credential.api_key == "ak_kv2_default_0000001"
    assert credential.provider == "vault"
    assert credential.profile == "kv2default"
    assert credential.source == f"vault {bao.address} secret/alphacast/kv2default#api_key"
    # Re-read within the last fifth of vault_refresh_seconds (300, with jitter): expiry is
    # that plus the chain's margin.
    assert credential.expires_at is not None
    assert before + timedelta(seconds=240 + 60 - 1) < credential.expires_at
    assert credential.expires_at < datetime.now(UTC) + timedelta(seconds=361)
    assert "ak_kv2_default_0000001" not in repr(credential)
    assert ROOT_TOKEN not in repr(credential)


def test_mount_path_and_field_come_from_the_profile_section(bao, home):
    bao.api("POST", "sys/mounts/team-kv", {"type": "kv", "options": {"version": "2"}})
    bao.put_kv2("data/alphacast", {"key": "ak_custom_location_01", "other": "x"}, mount="team-kv")
    write_config(
        home,
        """
        [profile custom]
        vault_mount = team-kv
        vault_path = data/alphacast
        vault_field = key
        vault_kv_version = 2
        """,
    )
    credential = resolve("custom")
    assert credential is not None
    assert credential.api_key == "ak_custom_location_01"
    assert credential.source == f"vault {bao.address} team-kv/data/alphacast#key"


@pytest.mark.parametrize("version_setting", ["1", "auto"])
def test_reads_kv1(bao, home, version_setting):
    bao.enable_kv1("kv1")
    bao.put_kv1(f"alphacast/v1-{version_setting}", {"api_key": "ak_kv1_secret_000001"}, mount="kv1")
    write_config(
        home,
        f"""
        [profile v1-{version_setting}]
        vault_mount = kv1
        vault_kv_version = {version_setting}
        """,
    )
    credential = resolve(f"v1-{version_setting}")
    assert credential is not None
    assert credential.api_key == "ak_kv1_secret_000001"
    assert credential.source == f"vault {bao.address} kv1/alphacast/v1-{version_setting}#api_key"


@pytest.mark.parametrize("profile", ["../../sys/mounts", " ", "a?list=true", "x\ny"])
def test_profiles_that_would_escape_the_path_are_refused(bao, profile):
    text = error_of(profile)
    assert "is not a usable Vault path" in text and "set vault_path" in text


def test_kv_version_setting_is_validated(bao, home):
    write_config(home, "[profile badversion]\nvault_kv_version = 3\n")
    assert "must be 1, 2 or auto" in error_of("badversion")


# -- authentication ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["VAULT_TOKEN", "BAO_TOKEN", "~/.vault-token"])
def test_token_sources(bao, home, monkeypatch, where):
    bao.put_kv2("alphacast/tokens", {"api_key": "ak_token_source_00001"})
    token = reader_token(bao, "secret/data/alphacast/tokens")
    monkeypatch.delenv("VAULT_TOKEN")
    if where == "~/.vault-token":
        (home / ".vault-token").write_text(token + "\n")
        (home / ".vault-token").chmod(0o600)
    else:
        monkeypatch.setenv(where, token)
    credential = resolve("tokens")
    assert credential is not None and credential.api_key == "ak_token_source_00001"


def test_bao_addr_is_used_when_vault_addr_is_not(bao, monkeypatch):
    bao.put_kv2("alphacast/baoaddr", {"api_key": "ak_bao_addr_0000001"})
    monkeypatch.delenv("VAULT_ADDR")
    monkeypatch.setenv("BAO_ADDR", bao.address)
    credential = resolve("baoaddr")
    assert credential is not None and credential.api_key == "ak_bao_addr_0000001"


def test_vault_token_file_readable_by_others_is_refused(bao, home, monkeypatch):
    monkeypatch.delenv("VAULT_TOKEN")
    (home / ".vault-token").write_text(ROOT_TOKEN)
    (home / ".vault-token").chmod(0o644)
    assert "chmod 600 ~/.vault-token" in error_of("default")


def test_no_token_anywhere_says_how_to_log_in(bao, monkeypatch):
    monkeypatch.delenv("VAULT_TOKEN")
    text = error_of("notoken")
    assert "set VAULT_TOKEN" in text and "bao login" in text and "AppRole" in text


@pytest.mark.parametrize("configured_in", ["config", "environment"])
def test_approle_login(bao, home, monkeypatch, configured_in):
    profile = f"approle-{configured_in}"
    bao.put_kv2(f"alphacast/{profile}", {"api_key": "ak_approle_login_0001"})
    bao.policy(profile, f'path "secret/data/alphacast/{profile}" {{ capabilities = ["read"] }}')
    role_id, secret_id = bao.approle(profile, profile)
    monkeypatch.delenv("VAULT_TOKEN")  # AppRole alone must be enough
    if configured_in == "config":
        secret_file = home / "secret-id"
        secret_file.write_text(secret_id + "\n")
        secret_file.chmod(0o600)
        write_config(
            home,
            f"""
            [profile {profile}]
            vault_role_id = {role_id}
            vault_secret_id_file = {secret_file}
            """,
        )
    else:
        monkeypatch.setenv("VAULT_ROLE_ID", role_id)
        monkeypatch.setenv("VAULT_SECRET_ID", secret_id)
    credential = resolve(profile)
    assert credential is not None and credential.api_key == "ak_approle_login_0001"


def test_approle_with_a_wrong_secret_id_fails_clearly(bao, home, monkeypatch):
    role_id, secret_id = bao.approle("wrong-secret", "default")
    write_config(
        home,
        f"[profile wrongsecret]\nvault_role_id = {role_id}\nvault_secret_id = not-{secret_id}\n",
    )
    text = error_of("wrongsecret")
    assert f"AppRole login at {bao.address} (auth/approle/login) failed" in text
    assert "check the role id and secret id" in text
    assert secret_id not in text and ROOT_TOKEN not in text


def test_half_configured_approle_is_an_error(bao, monkeypatch):
    monkeypatch.setenv("VAULT_ROLE_ID", "some-role-id")
    assert "a secret id is missing" in error_of("halfrole")


# -- failures are errors that name the place and the fix ------------------------------------


def test_narrow_policy_403_names_the_path_and_the_policy_fix(bao, monkeypatch):
    bao.put_kv2("alphacast/denied", {"api_key": "ak_denied_secret_0001"})
    token = reader_token(bao, "secret/data/alphacast/somewhere-else")
    monkeypatch.setenv("VAULT_TOKEN", token)
    text = error_of("denied")
    assert f"permission denied reading secret/alphacast/denied on {bao.address}" in text
    assert "(token from VAULT_TOKEN)" in text
    assert "the policy must grant `read` on `secret/data/alphacast/denied`" in text
    assert token not in text and "ak_denied_secret_0001" not in text


def test_narrow_policy_403_on_kv1_names_the_v1_path(bao, home, monkeypatch):
    bao.enable_kv1("kv1")
    bao.put_kv1("alphacast/denied1", {"api_key": "ak_denied_secret_0002"}, mount="kv1")
    monkeypatch.setenv("VAULT_TOKEN", reader_token(bao, "kv1/elsewhere"))
    write_config(home, "[profile denied1]\nvault_mount = kv1\nvault_kv_version = 1\n")
    assert "the policy must grant `read` on `kv1/alphacast/denied1`" in error_of("denied1")


def test_revoked_token_is_reported_as_possibly_invalid(bao, monkeypatch):
    token = reader_token(bao, "secret/data/alphacast/revoked")
    bao.api("POST", "auth/token/revoke", {"token": token})
    monkeypatch.setenv("VAULT_TOKEN", token)
    text = error_of("revoked")
    assert "either the token is no longer valid" in text
    assert "`secret/data/alphacast/revoked`" in text
    assert token not in text


def test_missing_secret_is_an_error_not_a_fall_through(bao):
    text = error_of("absent")
    assert f"no secret at secret/alphacast/absent on {bao.address}" in text
    assert "bao kv put -mount=secret alphacast/absent api_key=..." in text
    assert "credential_chain without vault" in text

    class Later(CredentialProvider):
        name = "later"

        def resolve(self, profile: str) -> Credential | None:
            return Credential("ak_other_account_0001", provider=self.name, source="later")

    with pytest.raises(CredentialError, match="no secret at"):
        CredentialChain([VaultProvider(), Later()]).resolve("absent")


def test_missing_field_lists_the_fields_not_their_values(bao):
    bao.put_kv2("alphacast/nofield", {"token": "ak_not_this_one_00001", "user": "x"})
    text = error_of("nofield")
    assert "has no field 'api_key' (fields: token, user)" in text
    assert "vault_field" in text
    assert "ak_not_this_one_00001" not in text


def test_refused_connection_fails_fast_and_names_the_address(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("VAULT_ADDR", address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    text = error_of("default")
    assert f"cannot reach the Vault server to read secret/alphacast/default on {address}" in text
    assert "Connection refused" in text and "Check VAULT_ADDR" in text


def test_silent_server_times_out_within_seconds(monkeypatch):
    # Accepts connections (the kernel does) and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"http://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("VAULT_ADDR", address)
        monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
        started = time.monotonic()
        text = error_of("default")
        elapsed = time.monotonic() - started
    assert elapsed < 10
    assert f"cannot reach the Vault server to read secret/alphacast/default on {address}" in text
    assert "Read timed out" in text and "ALPHACAST_VAULT_TIMEOUT (now 3 s)" in text


def test_timeout_variable_is_validated(bao, monkeypatch):
    monkeypatch.setenv("ALPHACAST_VAULT_TIMEOUT", "soon")
    assert "ALPHACAST_VAULT_TIMEOUT='soon' must be a positive number" in error_of("default")


def test_https_to_a_plain_http_server_fails_on_tls(bao, monkeypatch):
    address = bao.address.replace("http://", "https://")
    monkeypatch.setenv("VAULT_ADDR", address)
    text = error_of("default")
    assert f"TLS verification failed reading secret/alphacast/default on {address}" in text
    assert "VAULT_CACERT" in text and "use http://" in text


# -- plain http only to loopback (issue 11, item 4) ----------------------------------------


class Relay:
    """A TCP relay from ``host`` (an address of this machine) to a loopback port,
    counting the connections it accepts: the real server, under another address."""

    def __init__(self, host: str, port: int) -> None:
        self.listener = socket.create_server((host, 0))
        self.listener.settimeout(0.1)
        self.address = f"http://{host}:{self.listener.getsockname()[1]}"
        self.port = port
        self.connections = 0
        self._open: list[socket.socket] = []
        self._closed = threading.Event()
        self._threads = [threading.Thread(target=self._serve)]
        self._threads[0].start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", self.port))
            self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                pump = threading.Thread(target=self._pump, args=(source, sink))
                self._threads.append(pump)
                pump.start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._closed.set()
        self._threads[0].join()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads[1:]:
            thread.join(5)
        for sock in [self.listener, *self._open]:
            sock.close()


def _non_loopback_ipv4() -> str | None:
    """An IPv4 address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.123", 9))  # no packet is sent: only a route is chosen
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address


@pytest.fixture(params=["0.0.0.0", "lan"])
def non_loopback_bao(request, bao):
    """The real server under a plain-http address that is not loopback: ``0.0.0.0``
    (which Linux connects to this machine) or a relay on the machine's LAN address."""
    if request.param == "0.0.0.0":
        yield f"http://0.0.0.0:{bao.port}", None
        return
    host = _non_loopback_ipv4()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    relay = Relay(host, bao.port)
    try:
        yield relay.address, relay
    finally:
        relay.close()


def _audited(bao: OpenBao) -> int:
    return len(bao.audit_log.read_text().splitlines())


def test_plain_http_to_a_real_server_at_a_non_loopback_address_is_refused(
    bao, monkeypatch, non_loopback_bao
):
    address, relay = non_loopback_bao
    bao.put_kv2("alphacast/overhttp", {"api_key": "ak_never_in_clear_0001"})
    monkeypatch.setenv("VAULT_ADDR", address)
    monkeypatch.setenv("VAULT_TOKEN", "s.token-that-must-not-travel")
    before = _audited(bao)
    text = error_of("overhttp")
    host = address.split("//")[1].rsplit(":", 1)[0]
    assert f"refusing to read from Vault over plain http at {host} (VAULT_ADDR={address})" in text
    assert "Use https://" in text and "http:// only for a loopback address" in text
    assert "token-that-must-not-travel" not in text and "ak_never_in_clear_0001" not in text
    assert _audited(bao) == before  # the server saw no request: neither token nor key moved
    if relay is not None:
        assert relay.connections == 0  # not even a connection was opened


@pytest.mark.parametrize(
    "address",
    ["http://vault.example:8200", "http://vault.localhost:8200", "http://[::ffff:10.0.0.1]:8200"],
)
def test_plain_http_names_that_are_not_loopback_are_refused(bao, monkeypatch, address):
    monkeypatch.setenv("BAO_ADDR", address)
    monkeypatch.delenv("VAULT_ADDR")
    text = error_of("default")
    assert "over plain http at" in text and f"(BAO_ADDR={address})" in text
    assert "Use https://" in text


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_plain_http_to_loopback_is_allowed(bao, monkeypatch, host):
    if host == "127.0.0.2" and sys.platform == "darwin":
        pytest.skip("macOS routes only 127.0.0.1 to loopback by default")
    bao.put_kv2("alphacast/loopback", {"api_key": "ak_loopback_http_0001"})
    monkeypatch.setenv("VAULT_ADDR", f"http://{host}:{bao.port}")
    relay = None
    if host == "127.0.0.2":
        # OpenBao listens on 127.0.0.1 only: relay 127.0.0.2 to it.
        relay = Relay("127.0.0.2", bao.port)
        monkeypatch.setenv("VAULT_ADDR", relay.address)
    try:
        credential = resolve("loopback")
    finally:
        if relay is not None:
            relay.close()
    assert credential is not None and credential.api_key == "ak_loopback_http_0001"


def test_a_loopback_server_is_never_reached_through_an_environment_proxy(bao, monkeypatch):
    bao.put_kv2("alphacast/noproxy", {"api_key": "ak_not_via_a_proxy_01"})
    with socket.create_server(("127.0.0.1", 0)) as proxy:
        proxy.settimeout(0.5)
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.getsockname()[1]}")
        credential = resolve("noproxy")
        assert credential is not None and credential.api_key == "ak_not_via_a_proxy_01"
        with pytest.raises(TimeoutError):
            proxy.accept()  # nobody connected to the proxy


@pytest.fixture(scope="module")
def tls_bao(tmp_path_factory):
    with OpenBao(tmp_path_factory.mktemp("openbao-tls"), tls=True) as server:
        server.put_kv2("alphacast/tls", {"api_key": "ak_over_tls_00000001"})
        yield server


def test_tls_server_is_verified_against_vault_cacert(tls_bao, monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", tls_bao.address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    # The dev CA is not trusted by default, and VAULT_SKIP_VERIFY changes nothing.
    monkeypatch.setenv("VAULT_SKIP_VERIFY", "true")
    with pytest.warns(AlphacastWarning, match="VAULT_SKIP_VERIFY is ignored"):
        with pytest.raises(CredentialError, match="TLS verification failed"):
            resolve("tls")
    monkeypatch.delenv("VAULT_SKIP_VERIFY")
    monkeypatch.setenv("VAULT_CACERT", str(tls_bao.ca_cert))
    credential = resolve("tls")
    assert credential is not None and credential.api_key == "ak_over_tls_00000001"


def test_vault_cacert_that_does_not_exist_is_named(bao, monkeypatch, tmp_path):
    monkeypatch.setenv("VAULT_CACERT", str(tmp_path / "missing-ca.pem"))
    assert f"VAULT_CACERT names {tmp_path / 'missing-ca.pem'}, which does not exist" in error_of(
        "default"
    )


# -- expiry and rotation ------------------------------------------------------------------


def test_kv2_custom_metadata_ttl_bounds_the_expiry(bao):
    bao.put_kv2("alphacast/metattl", {"api_key": "ak_metadata_ttl_00001"})
    bao.set_kv2_metadata("alphacast/metattl", {"ttl": "2m"})
    credential = resolve("metattl")
    assert credential is not None and credential.expires_at is not None
    remaining = (credential.expires_at - datetime.now(UTC)).total_seconds()
    assert 110 < remaining <= 120


def test_kv2_custom_metadata_expires_at(bao):
    bao.put_kv2("alphacast/metaexp", {"api_key": "ak_metadata_exp_00001"})
    stated = (datetime.now(UTC) + timedelta(seconds=200)).replace(microsecond=0)
    bao.set_kv2_metadata("alphacast/metaexp", {"expires_at": stated.isoformat()})
    credential = resolve("metaexp")
    assert credential is not None and credential.expires_at == stated


def test_kv2_custom_metadata_in_the_past_is_an_expired_key(bao):
    bao.put_kv2("alphacast/metapast", {"api_key": "ak_metadata_past_0001"})
    bao.set_kv2_metadata("alphacast/metapast", {"expires_at": "2020-01-01T00:00:00Z"})
    text = error_of("metapast")
    assert "expired at 2020-01-01T00:00:00+00:00" in text and "store a new key" in text


def test_kv1_lease_duration_bounds_the_expiry(bao, home):
    bao.enable_kv1("kv1")
    bao.put_kv1("alphacast/lease", {"api_key": "ak_kv1_lease_0000001", "ttl": "100s"}, mount="kv1")
    write_config(home, "[profile lease]\nvault_mount = kv1\nvault_kv_version = 1\n")
    credential = resolve("lease")
    assert credential is not None and credential.expires_at is not None
    remaining = (credential.expires_at - datetime.now(UTC)).total_seconds()
    assert 90 < remaining <= 100


def test_rotation_is_picked_up_when_the_cache_is_bypassed(bao):
    provider = VaultProvider()
    bao.put_kv2("alphacast/rotate", {"api_key": "ak_before_rotation_01"})
    assert resolve_with(provider, "rotate").api_key == "ak_before_rotation_01"
    bao.put_kv2("alphacast/rotate", {"api_key": "ak_after_rotation_001"})
    assert resolve_with(provider, "rotate").api_key == "ak_before_rotation_01"  # cached
    assert resolve_with(provider, "rotate", fresh=True).api_key == "ak_after_rotation_001"


def test_rotation_is_picked_up_after_vault_refresh_seconds(bao, home):
    write_config(home, "[profile rotate-timer]\nvault_refresh_seconds = 1\n")
    provider = VaultProvider()
    bao.put_kv2("alphacast/rotate-timer", {"api_key": "ak_timer_before_00001"})
    resolved = ResolvedCredential(resolve_with(provider, "rotate-timer"), provider)
    assert resolved.current.api_key == "ak_timer_before_00001"
    bao.put_kv2("alphacast/rotate-timer", {"api_key": "ak_timer_after_000001"})
    time.sleep(1.2)
    assert resolved.current.api_key == "ak_timer_after_000001"
    assert resolved.current.source.endswith("secret/alphacast/rotate-timer#api_key")


def test_re_reads_are_spread_with_jitter(bao):
    bao.put_kv2("alphacast/jitter", {"api_key": "ak_jitter_000000000001"})
    expiries = []
    for _ in range(10):
        before = datetime.now(UTC)
        credential = resolve("jitter")
        assert credential is not None and credential.expires_at is not None
        seconds = (credential.expires_at - before).total_seconds() - 60  # the chain's margin
        assert 240 - 1 < seconds < 300 + 1
        expiries.append(round(seconds))
    assert len(set(expiries)) > 3  # not in lockstep


def test_cache_key_names_the_secret_and_never_the_token(bao, home, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", "s.very-secret-token-value")
    provider = VaultProvider()
    key = provider.cache_key("prod")
    shown = repr(key)
    for part in (bao.address, "'secret'", "'alphacast/prod'", "'api_key'", "'prod'"):
        assert part in shown
    assert "very-secret-token-value" not in shown
    write_config(home, "[profile prod]\nvault_path = other/prod\n")
    assert provider.cache_key("prod") != key
    assert provider.cache_key("prod") != provider.cache_key("staging")


# -- the contract every provider passes --------------------------------------------------------


class TestVaultContract(ProviderContract):
    """The shared suite, with the server configured.

    Deliberate deviation: with VAULT_ADDR set, a profile without a secret is a
    CredentialError (the server is authoritative), not a miss, so the three
    "misses" checks are replaced by ones asserting that error.
    """

    profiles = ("default", "contract-other")
    entry_point = "vault"

    @pytest.fixture(autouse=True)
    def _server(self, openbao):  # noqa: F811
        self.bao = openbao
        yield
        for profile in self.profiles:
            openbao.delete_kv2(f"alphacast/{profile}")

    def make_provider(self, tmp_path, monkeypatch):
        monkeypatch.setenv("VAULT_ADDR", self.bao.address)
        monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
        return VaultProvider()

    def store_key(self, provider, profile, key):
        self.bao.put_kv2(f"alphacast/{profile}", {"api_key": key})

    def corrupt_store(self, provider, profile):
        self.bao.put_kv2(f"alphacast/{profile}", {"api_key": "two words"})
        return True

    def _assert_missing(self, provider, profile, stored_key=None):
        with pytest.raises(CredentialError, match="no secret at") as info:
            provider.resolve(profile)
        if stored_key:
            self._assert_hidden(str(info.value), stored_key, "the error")

    def test_empty_store_misses(self, tmp_path, monkeypatch):
        provider = self._provider(tmp_path, monkeypatch)
        for profile in self.profiles:
            self._assert_missing(provider, profile)
        monkeypatch.delenv("VAULT_ADDR")
        assert all(provider.resolve(profile) is None for profile in self.profiles)

    def test_unknown_profile_misses(self, tmp_path, monkeypatch):
        provider = self._provider(tmp_path, monkeypatch)
        self.store_key(provider, self.profiles[0], KEY_A)
        self._assert_missing(provider, UNKNOWN_PROFILE, KEY_A)

    def test_profiles_do_not_cross(self, tmp_path, monkeypatch):
        provider = self._provider(tmp_path, monkeypatch)
        first, second = self.profiles
        self.store_key(provider, first, KEY_A)
        self._assert_missing(provider, second, KEY_A)
        self.store_key(provider, second, KEY_B)
        assert provider.resolve(first).api_key == KEY_A
        assert provider.resolve(second).api_key == KEY_B
