"""The command line in a real process: JSON announcement, requests, SIGTERM, exit 0."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import requests

from alphacast.emulator.cli import build_parser, main

KEY = "ak_cli_secret_0000000000007"


def start(*extra: str) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "alphacast.emulator", "--json", "--account", f"a={KEY}", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()
    assert line, proc.stderr.read()
    return proc, json.loads(line)


def test_json_line_requests_and_sigterm_exit_cleanly():
    proc, info = start("--seed", "1")
    try:
        assert info["api_url"].startswith("http://127.0.0.1:") and info["accounts"] == ["a"]
        assert requests.get(info["api_url"] + "/repositories", auth=(KEY, "")).json() == []
        r = requests.get(info["workspace_url"] + "/api/search", params={"apiKey": KEY, "q": "x"})
        assert r.json()["totalItems"] == 0
        assert requests.get(info["api_url"] + "/repositories", auth=("ak_other", "")).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert KEY not in out + err + json.dumps(info)


def test_sigint_tls_and_a_persistent_db(tmp_path):
    db = tmp_path / "emu.sqlite3"
    proc, info = start("--tls", "--db", str(db))
    try:
        assert info["api_url"].startswith("https://") and info["ca_file"]
        r = requests.post(info["api_url"] + "/repositories", data={"name": "kept"}, auth=(KEY, ""), verify=info["ca_file"])
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    proc, info = start("--db", str(db))
    try:
        names = [x["name"] for x in requests.get(info["api_url"] + "/repositories", auth=(KEY, "")).json()]
        assert names == ["kept"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_human_output_names_accounts_not_keys():
    proc = subprocess.Popen([sys.executable, "-m", "alphacast.emulator", "--account", f"alpha={KEY}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline()]
    while "Ctrl+C" not in lines[-1] and lines[-1]:
        lines.append(proc.stdout.readline())
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    text = "".join(lines) + out + err
    assert "http://127.0.0.1:" in text and "alpha" in text and KEY not in text
    assert proc.returncode == 0


def test_usage_errors_and_help(capsys):
    assert main(["--help"]) == 0
    assert "--fail-rate" in capsys.readouterr().out
    assert main([]) == 2
    assert main(["--account", "no-equals"]) == 2
    assert main(["--account", "a=k1", "--account", "a=k2"]) == 2
    assert main(["--account", "a=k", "--fail-rate", "2"]) == 2
    capsys.readouterr()
    options = {a for action in build_parser()._actions for a in action.option_strings}
    assert {"--account", "--host", "--port", "--workspace-port", "--db", "--json", "--tls", "--fail-rate",
            "--fail-status", "--reset-rate", "--latency", "--seed"} <= options


def test_accounts_file_keeps_keys_out_of_argv(tmp_path):
    accounts = tmp_path / "accounts"
    # A byte-order mark first, as some editors write one.
    accounts.write_text(f"\ufeff# name=key, one per line\n\nfile={KEY}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "alphacast.emulator", "--json", "--accounts-file", str(accounts)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        info = json.loads(proc.stdout.readline() or proc.stderr.read())
        assert info["accounts"] == ["file"]
        assert requests.get(info["api_url"] + "/repositories", auth=(KEY, "")).json() == []
        assert KEY not in " ".join(proc.args)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert KEY not in out + err


def test_a_malformed_accounts_file_names_the_line_not_its_content(tmp_path, capsys):
    accounts = tmp_path / "accounts"
    accounts.write_text(f"a={KEY}\n{KEY}\n")
    assert main(["--accounts-file", str(accounts)]) == 2
    err = capsys.readouterr().err
    assert f"{accounts}, line 2: expected NAME=KEY" in err and KEY not in err
    assert main(["--accounts-file", str(tmp_path / "missing")]) == 2
    assert "cannot read" in capsys.readouterr().err
    accounts.write_text(f"a={KEY}\n")
    assert main(["--accounts-file", str(accounts), "--account", f"a={KEY}"]) == 2
    assert "account names given twice: a" in capsys.readouterr().err
    # Files add up, like --account: the same file twice names every account twice.
    assert main(["--accounts-file", str(accounts), "--accounts-file", str(accounts)]) == 2
    assert "account names given twice: a" in capsys.readouterr().err
    accounts.write_bytes(b"a=k\xff\n")
    assert main(["--accounts-file", str(accounts)]) == 2
    err = capsys.readouterr().err
    assert f"cannot read {accounts}: not UTF-8 text" in err and "xff" not in err
