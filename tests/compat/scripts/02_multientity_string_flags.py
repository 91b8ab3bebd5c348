# Entities declared with a string, flags written as strings (as read from a config
# file or copied from the query string): "False" keeps rows, "True" overwrites.
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


repo = alphacast.repository.create("Agriculture", returnIdIfExists=True)
dataset = alphacast.datasets.create("Weekly harvest", repo["id"], returnIdIfExists=True)
ds = alphacast.datasets.dataset(dataset["id"])
print(json.dumps(json.loads(ds.initialize_columns("Date", "province", "%Y-%m-%d"))["columnDefinitions"], sort_keys=True))

df = pd.DataFrame({
    "Date": ["2024-01-05", "2024-01-05", "2024-01-12", "2024-01-12", "2024-01-19", "2024-01-19"],
    "province": ["Buenos Aires", "Cordoba", "Buenos Aires", "Cordoba", "Buenos Aires", "Cordoba"],
    "harvested": [10.5, 7.25, 21.0, 14.5, 30.0, 22.0],
    "planted": [100, 80, 100, 80, 100, 80],
})
print(wait(ds, ds.upload_data_from_df(df, deleteMissingFromDB="False", onConflictUpdateDB="True", uploadIndex=False))["statusDescription"])

latest = df[df["Date"] == "2024-01-19"].copy()
latest["harvested"] = [31.0, 23.5]
state = wait(ds, ds.upload_data_from_df(latest, deleteMissingFromDB="False", onConflictUpdateDB="True", uploadIndex=False))
print(state["statusDescription"], state["deleteMissingFromDB"], state["onConflictUpdateDB"])

late = latest.copy()
late["harvested"] = [0.0, 0.0]
state = wait(ds, ds.upload_data_from_df(late, deleteMissingFromDB="false", onConflictUpdateDB="False", uploadIndex=False))
print(state["statusDescription"], state["deleteMissingFromDB"], state["onConflictUpdateDB"])

for row in ds.download_data(format="json"):
    print(row)
