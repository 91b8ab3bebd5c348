# Connector style: the key pasted into the call.
from alphacast import Alphacast

alphacast = Alphacast("{{ALICE}}")
repo = alphacast.repository.create("Literal call", repo_description="corpus", privacy="Private", returnIdIfExists=True)
print("01", repo["id"], repo["name"])
