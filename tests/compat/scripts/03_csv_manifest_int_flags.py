# A CSV upload with a manifest (day-first dates, a text column), flags as 0/1, a new
# column accepted later, and filtered downloads.
import datetime
import json
import time

from dotenv import dotenv_values

from alphacast import Alphacast

alphacast = Alphacast(dotenv_values(".env").get("API_KEY"))


def wait(dataset, process):
    for _ in range(500):
        state = json.loads(dataset.process(json.loads(process)["id"]))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.02)


repo = alphacast.repository.create("Prices", repo_description="Consumer prices", privacy="Private")
dataset = alphacast.datasets.create("CPI by country", repo["id"], "Monthly CPI")
ds = alphacast.datasets.dataset(dataset["id"])

csv = """Fecha,country,cpi,source
31/01/2024,Argentina,20.6,INDEC
31/01/2024,Uruguay,1.6,INE
29/02/2024,Argentina,13.2,INDEC
29/02/2024,Uruguay,0.8,INE
31/03/2024,Argentina,11.0,INDEC
31/03/2024,Uruguay,0.6,INE
"""
state = wait(ds, ds.upload_data_from_csv(csv, 0, 1, dateColumnName="Fecha", dateFormat="%d/%m/%Y",
                                         entitiesColumnNames=["country"], stringColumnNames=["source"]))
print(state["status"], state["statusDescription"])

more = """Fecha,country,cpi,core
31/03/2024,Argentina,11.1,9.4
30/04/2024,Argentina,8.8,6.3
30/04/2024,Uruguay,0.5,0.4
"""
state = wait(ds, ds.upload_data_from_csv(more, deleteMissingFromDB=0, onConflictUpdateDB=1, acceptNewColumns=1))
print(state["status"], state["statusDescription"])

print(json.dumps(ds.get_column_definitions(), sort_keys=True))
print(ds.download_data(format="json", startDate=datetime.datetime(2024, 3, 1), filterEntities={"country": ["Argentina"]}, filterVariables=["cpi"]))
print(ds.download_data(format="json", endDate=datetime.date(2024, 2, 29)))
print(ds.download_data(format="tsv").decode())
print(ds.download_data(format="pandas").sort_values(["Fecha", "country"]).to_string())
