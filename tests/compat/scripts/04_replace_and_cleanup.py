# Full replacement (deleteMissingFromDB=True), keep-existing (onConflictUpdateDB=False),
# 0.1.9's Datasets.Dataset(dataset_id, api_key) form, lookups, search and deletes.
import json
import time

import pandas as pd
from dotenv import dotenv_values

from alphacast import Alphacast

API_KEY = dotenv_values(".env").get("API_KEY")
alphacast = Alphacast(API_KEY)


def wait(dataset, process):
    for _ in range(500):
        state = json.loads(dataset.process(json.loads(process)["id"]))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.02)


repo = alphacast.repository.create("Energy", privacy="Private", slug="energy-data")
keep = alphacast.datasets.create("Electricity demand", repo["id"], "Monthly GWh")
scratch = alphacast.datasets.create("Scratch", repo["id"])

ds = alphacast.datasets.Dataset(keep["id"], alphacast.api_key)
ds.initialize_columns("Date", ["region", "sector"], "%Y-%m")
df = pd.DataFrame({
    "Date": ["2024-01", "2024-01", "2024-02", "2024-02"],
    "region": ["North", "South", "North", "South"],
    "sector": ["Residential", "Residential", "Industrial", "Industrial"],
    "gwh": [1200.5, 980.0, 1100.25, 1010.0],
})
print(wait(ds, ds.upload_data_from_df(df, uploadIndex=False))["statusDescription"])
print(wait(ds, ds.upload_data_from_df(df.assign(gwh=0.0), False, False, False))["statusDescription"])
replacement = df.iloc[2:].assign(gwh=[1111.0, 1011.0])
print(wait(ds, ds.upload_data_from_df(replacement, True, True, False))["statusDescription"])
print(ds.download_data(format="json"))

other = alphacast.datasets.dataset(scratch["id"])
print(wait(other, other.upload_data_from_df(df, uploadIndex=False, dateColumnName="Date", dateFormat="%Y-%m",
                                            entitiesColumnNames=["region", "sector"]))["statusDescription"])
other.delete()

print(alphacast.datasets.read_by_name("Scratch", repo["id"]))
print(alphacast.datasets.read_by_name("Electricity demand", repo["id"])["id"] == keep["id"])
print(alphacast.repository.read_by_name("Energy")["slug"])
print(sorted(r["name"] for r in alphacast.repository.read_all()))
print([d["name"] for d in alphacast.search.datasets("Electricity", repository_id=repo["id"])["data"]])
