# What scripts do with failures: catch Exception and look for the status code; then
# read a series and a repository by id.
import json
import time

import pandas as pd
from dotenv import dotenv_values

from alphacast import Alphacast

alphacast = Alphacast(dotenv_values(".env").get("API_KEY"))


def wait(dataset, process):
    for _ in range(500):
        state = json.loads(dataset.process(json.loads(process)["id"]))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.02)


try:
    alphacast.datasets.dataset(999999).metadata()
except Exception as e:
    print("404" in str(e), "Dataset 999999 not found." in str(e))

repo = alphacast.repository.create("Labour")
try:
    alphacast.repository.create("Labour")
except ValueError as e:
    print(str(e) == f"Repository already exists: {repo['id']}")
dataset = alphacast.datasets.create("Unemployment", repo["id"])
try:
    alphacast.datasets.create("Unemployment", repo["id"])
except ValueError as e:
    print(str(e) == f"Dataset already exists: {dataset['id']}")

ds = alphacast.datasets.dataset(dataset["id"])
ds.initialize_columns("Date", ["country"], "%Y-%m-%d")
df = pd.DataFrame({"Date": ["2023-12-31", "2023-12-31"], "country": ["Chile", "Peru"], "rate": [8.7, 6.8]})
print(wait(ds, ds.upload_data_from_df(df, deleteMissingFromDB=False, onConflictUpdateDB=False, uploadIndex=False))["status"])
print(json.loads(ds.datestats())["frequency"])
print(alphacast.repository.read_by_id(repo["id"])["name"])
print(alphacast.series(1).metadata()["column"])
print(alphacast.series(1).download_data(format="csv").decode())
