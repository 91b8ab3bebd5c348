"""A large dataset downloaded to disk: time and peak RSS growth.

This SDK streams to the file (``download_data(path=...)``); 0.1.9 can only
download into memory, so its side writes ``download_data()``'s bytes out.
The dataset is the one the upload case kept, or is seeded here (untimed) by
uploading the generated CSV and waiting for the emulator to process it.
"""

from __future__ import annotations

from pathlib import Path

from _common import PYTHON, WORK, log, median, run_worker, venv_python, worker_env
from _context import Context
from _data import MB, generate_csv
from _report import Check, Measurement, megabytes, ratio, seconds

RSS_LIMIT = 64 * MB
SIDES = ("sdk", "v019")
MANIFEST = {"dateColumnName": "Date", "dateFormat": "%Y-%m-%d", "entitiesColumnNames": ["Entity"]}


def seed(ctx: Context) -> int:
    """A dataset holding the generated CSV."""
    if ctx.download_dataset is not None:
        return ctx.download_dataset
    csv = generate_csv(ctx.size_mb)
    dataset_id = ctx.create_dataset("bench-download")
    log(f"seeding dataset {dataset_id} with {csv.name} for the download benchmark")
    import json

    response = ctx.client.datasets.dataset(dataset_id).upload_data_from_csv(csv, **MANIFEST)
    ctx.wait_processed(dataset_id, json.loads(response))
    ctx.download_dataset = dataset_id
    return dataset_id


def run(ctx: Context) -> None:
    dataset_id = seed(ctx)
    out = WORK / "download.csv"
    outcome: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    reps = max(3, ctx.reps_transfer)  # cheap next to uploads: no processing to wait for
    for rep in range(reps):
        for side in SIDES:
            python = venv_python() if side == "v019" else PYTHON
            env = worker_env(REQUESTS_CA_BUNDLE=ctx.ca_file) if side == "v019" else worker_env()
            args = [side, *ctx.endpoint_args(dataset_id), str(out)]
            try:
                result = run_worker(python, "download.py", args, env)
            finally:
                Path(out).unlink(missing_ok=True)
            outcome[side].append(result)
            log(
                f"download {side} rep {rep + 1}: {megabytes(result['bytes'])} in "
                f"{seconds(result['seconds'])}, RSS +{megabytes(result['rss_growth'])}"
            )
    sdk, ref = (_summary(outcome[side]) for side in SIDES)
    how = f"median of {reps}"
    ctx.results.measurements.append(
        Measurement(
            f"download_data to disk: {sdk['bytes'] / MB:.0f} MB CSV, {how} "
            "(0.1.9: in memory, then written)",
            sdk["text"],
            ref["text"],
        )
    )
    ctx.results.checks += [
        Check(
            "download to disk: peak RSS growth",
            "< 64 MB",
            f"{megabytes(sdk['growth'])} (0.1.9: {megabytes(ref['growth'])})",
            sdk["growth"] < RSS_LIMIT,
        ),
        Check(
            "download to disk: throughput vs 0.1.9",
            ">= 1.00x",
            ratio(ref["seconds"] / sdk["seconds"]),
            sdk["seconds"] <= ref["seconds"],
        ),
    ]


def _summary(results: list[dict[str, float]]) -> dict[str, float | str]:
    took = median([r["seconds"] for r in results])
    growth = max(r["rss_growth"] for r in results)
    size = results[0]["bytes"]
    text = f"{seconds(took)} ({size / MB / took:.1f} MB/s), RSS +{megabytes(growth)}"
    return {"seconds": took, "growth": growth, "bytes": size, "text": text}
