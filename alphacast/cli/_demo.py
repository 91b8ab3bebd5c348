"""``alphacast demo``: the main workflow in one command, offline.

It starts the emulator in this process with two accounts, gives each account's
key to a different credential provider (the ``env`` provider and the
``shared-file`` provider, in a temporary directory), and walks through the
job: repository, dataset, columns, upload, process, download, search, and
what the other account may and may not see.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from alphacast._client import Alphacast
from alphacast.errors import PermissionDeniedError

TABLE = """Date,country,gdp,inflation
2023-01-01,Argentina,632.2,94.8
2023-01-01,Uruguay,77.2,8.3
2024-01-01,Argentina,604.3,211.4
2024-01-01,Uruguay,80.1,5.1
"""

#: Variables the demo sets for itself, restored afterwards.
_DEMO_VARIABLES = (
    "ALPHACAST_API_KEY",
    "ALPHACAST_API_KEY_FILE",
    "ALPHACAST_PROFILE",
    "ALPHACAST_SHARED_CREDENTIALS_FILE",
    "ALPHACAST_CONFIG_FILE",
    "ALPHACAST_DOTENV_FILE",
    "ALPHACAST_CREDENTIAL_CHAIN",
    "ALPHACAST_API_URL",
    "ALPHACAST_WORKSPACE_URL",
)


@contextlib.contextmanager
def _demo_environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in _DEMO_VARIABLES}
    for name in _DEMO_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}")


def _show(label: str, value: object) -> None:
    print(f"    {label}: {value}")


def _wait_for_process(client: Alphacast, dataset_id: int, process_id: int) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        process: dict[str, object] = json.loads(
            client.datasets.dataset(dataset_id).process(process_id)
        )
        if process.get("status") not in ("Requested", "Processing") or time.monotonic() > deadline:
            return process
        time.sleep(0.1)


def run_demo() -> int:
    from alphacast.emulator import Emulator

    analyst_key = "ak_demo_" + secrets.token_hex(12)
    etl_key = "ak_demo_" + secrets.token_hex(12)
    print("Alphacast SDK demo: everything runs locally against the bundled emulator.")
    with (
        tempfile.TemporaryDirectory(prefix="alphacast-demo-") as workdir,
        Emulator(accounts={"analyst": analyst_key, "etl": etl_key}) as emu,
    ):
        shared_file = Path(workdir) / "credentials"
        _step(1, "Started the emulator with two accounts, 'analyst' and 'etl'")
        _show("API host", emu.api_url)
        _show("workspace host (search)", emu.workspace_url)
        environment = {
            "ALPHACAST_API_KEY": analyst_key,
            "ALPHACAST_SHARED_CREDENTIALS_FILE": str(shared_file),
            "ALPHACAST_CONFIG_FILE": str(Path(workdir) / "config"),
            "ALPHACAST_DOTENV_FILE": str(Path(workdir) / ".env"),
            "ALPHACAST_API_URL": emu.api_url,
            "ALPHACAST_WORKSPACE_URL": emu.workspace_url,
        }
        with _demo_environment(environment):
            from alphacast import plugins

            plugins.registry().providers["shared-file"].store("etl", etl_key)  # type: ignore[attr-defined]
            _step(2, "Keys come from two different providers")
            _show("analyst", "ALPHACAST_API_KEY in the environment (the 'env' provider)")
            _show("etl", f"profile [etl] in {shared_file} (the 'shared-file' provider)")
            with Alphacast() as analyst, Alphacast(profile="etl") as etl:
                _show("Alphacast() resolved", analyst.credential)
                _show("Alphacast(profile='etl') resolved", etl.credential)
                _workflow(analyst, etl)
    print("\nDone. Next: `alphacast auth list`, `alphacast --help`, and the docs' quick start.")
    return 0


def _workflow(analyst: Alphacast, etl: Alphacast) -> None:
    _step(3, "analyst creates a private repository and a dataset")
    repo = analyst.repository.create("Demo Macro", privacy="Private", returnIdIfExists=True)
    _show("repository", f"{repo['id']} {repo['name']!r}")
    dataset = analyst.datasets.create("GDP and inflation", repo["id"], returnIdIfExists=True)
    dataset_id = int(dataset["id"])
    _show("dataset", f"{dataset_id} {dataset['name']!r}")

    _step(4, "analyst declares the date column and the entity column")
    ds = analyst.datasets.dataset(dataset_id)
    columns = json.loads(ds.initialize_columns("Date", ["country"], "%Y-%m-%d"))
    for column in columns.get("columnDefinitions", []):
        _show("column", f"{column.get('sourceName')} ({column.get('dataType')})")

    _step(5, "analyst uploads a small table (gzip CSV, multipart PUT)")
    process = json.loads(ds.upload_data_from_csv(TABLE, deleteMissingFromDB=True))
    _show("upload process", f"{process['id']} status {process['status']}")
    finished = _wait_for_process(analyst, dataset_id, int(process["id"]))
    _show("process", f"{finished.get('status')}: {finished.get('statusDescription')}")

    _step(6, "analyst downloads the data back")
    print("    " + ds.download_data(format="csv").decode().strip().replace("\n", "\n    "))
    rows = ds.download_data(format="json", filterEntities={"country": ["Uruguay"]})
    _show("only Uruguay, as JSON", rows)

    _step(7, "analyst searches for it")
    found = analyst.search.datasets("GDP")
    _show("search 'GDP'", [(d.get("id"), d.get("name")) for d in found.get("data", [])])

    _step(8, "etl, another account, may not read analyst's private dataset")
    try:
        etl.datasets.dataset(dataset_id).metadata()
    except PermissionDeniedError as exc:
        _show("refused as expected", str(exc).splitlines()[0])
    else:  # pragma: no cover - the emulator enforces privacy
        raise AssertionError("the emulator let another account read a private dataset")
    public = analyst.repository.create("Demo Public", privacy="Public", returnIdIfExists=True)
    shared = analyst.datasets.create("Public GDP", public["id"], returnIdIfExists=True)
    _show("but a public dataset is readable", etl.datasets.dataset(shared["id"]).metadata()["name"])
