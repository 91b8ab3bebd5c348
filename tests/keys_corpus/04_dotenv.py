# The key in .env beside the script, read with python-dotenv as 0.1.9 examples did.
from dotenv import dotenv_values

from alphacast import Alphacast

API_KEY = dotenv_values(".env").get("API_KEY")
alphacast = Alphacast(API_KEY)
repo = alphacast.repository.create("From dotenv", returnIdIfExists=True)
print("04", repo["id"], repo["name"], alphacast.profile)
