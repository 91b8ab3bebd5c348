"""A large CSV uploaded from a file and from a DataFrame: time and peak RSS growth.

Each upload goes to a fresh dataset from a fresh process; the orchestrator then
waits for the emulator to finish processing it (untimed, so no upload competes
with the previous one's processing) and deletes the dataset, except the first
one, which the download case reuses.
"""

from __future__ import annotations

from _common import PYTHON, log, median, run_worker, venv_python, worker_env
from _context import Context
from _data import MB, generate_csv
from _report import Check, Measurement, megabytes, ratio, seconds

RSS_LIMIT = 64 * MB
VARIANTS = [("file", "sdk"), ("file", "v019"), ("df", "sdk"), ("df", "v019")]
SOURCE_LABEL = {
    "file": "upload_data_from_csv",
    "df": "upload_data_from_df",
}


def run(ctx: Context) -> None:
    csv = generate_csv(ctx.size_mb)
    size = csv.stat().st_size
    outcome: dict[tuple[str, str], list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for rep in range(ctx.reps_transfer):
        for source, side in VARIANTS:
            dataset_id = ctx.create_dataset(f"bench-upload-{source}-{side}")
            python = venv_python() if side == "v019" else PYTHON
            env = worker_env(REQUESTS_CA_BUNDLE=ctx.ca_file) if side == "v019" else worker_env()
            args = [side, *ctx.endpoint_args(dataset_id), source, str(csv)]
            result = run_worker(python, "upload.py", args, env)
            outcome[(source, side)].append(result)
            log(
                f"upload {source}/{side} rep {rep + 1}: {seconds(result['seconds'])}, "
                f"RSS +{megabytes(result['rss_growth'])} "
                f"(baseline {megabytes(result['baseline_rss'])})"
            )
            ctx.wait_processed(dataset_id, result["process"])
            if ctx.download_dataset is None and side == "sdk" and source == "file":
                ctx.download_dataset = dataset_id
            else:
                ctx.delete_dataset(dataset_id)
    _report(ctx, outcome, size)


def _report(
    ctx: Context, outcome: dict[tuple[str, str], list[dict[str, float]]], size: int
) -> None:
    reps = ctx.reps_transfer
    how = f"median of {reps}" if reps > 1 else "1 run"
    for source in ("file", "df"):
        sdk = _summary(outcome[(source, "sdk")], size)
        ref = _summary(outcome[(source, "v019")], size)
        what = (
            "a file (0.1.9: the file read into a str first)" if source == "file" else "a DataFrame"
        )
        ctx.results.measurements.append(
            Measurement(
                f"{SOURCE_LABEL[source]}: {size / MB:.0f} MB CSV from {what}, {how}",
                sdk["text"],
                ref["text"],
            )
        )
        ctx.results.checks += [
            Check(
                f"{SOURCE_LABEL[source]} ({source}): peak RSS growth",
                "< 64 MB",
                f"{megabytes(sdk['growth'])} (0.1.9: {megabytes(ref['growth'])})",
                sdk["growth"] < RSS_LIMIT,
            ),
            Check(
                f"{SOURCE_LABEL[source]} ({source}): throughput vs 0.1.9",
                ">= 1.00x",
                ratio(ref["seconds"] / sdk["seconds"]),
                sdk["seconds"] <= ref["seconds"],
            ),
        ]


def _summary(results: list[dict[str, float]], size: int) -> dict[str, object]:
    took = median([r["seconds"] for r in results])
    growth = max(r["rss_growth"] for r in results)
    baseline = median([r["baseline_rss"] for r in results])
    text = (
        f"{seconds(took)} ({size / MB / took:.1f} MB/s), "
        f"RSS +{megabytes(growth)} over {megabytes(baseline)}"
    )
    return {"seconds": took, "growth": growth, "text": text}
