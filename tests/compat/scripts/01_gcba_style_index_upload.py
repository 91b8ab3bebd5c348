# A connector in the style of the public alphacastio/connectors-* scripts: a date
# index named "Date", a constant country column, the key from .env, every flag True.
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


repo = alphacast.repository.create("City statistics", repo_description="GCBA", privacy="Public", returnIdIfExists=True)
dataset = alphacast.datasets.create("Economic activity", repo["id"], "Quarterly index", returnIdIfExists=True)

df = pd.DataFrame({"Indicador Trimestral de Actividad Economica": [100.0, 101.5, 99.8, 102.2, 104.0]})
df.index = pd.date_range(start="1/1/2013", periods=len(df), freq="QS")
df.index.name = "Date"
df["country"] = "CABA"

ds = alphacast.datasets.dataset(dataset["id"])
print(wait(ds, ds.upload_data_from_df(df, deleteMissingFromDB=True, onConflictUpdateDB=True, uploadIndex=True))["statusDescription"])

# The next run of the connector revises the last quarter and drops the first.
df = df.iloc[1:].copy()
df.iloc[-1, 0] = 103.1
print(wait(ds, ds.upload_data_from_df(df, deleteMissingFromDB=True, onConflictUpdateDB=True, uploadIndex=True))["statusDescription"])
print(ds.download_data(format="csv").decode())
print(json.dumps(ds.get_column_definitions(), sort_keys=True))
