from alphacast.alphacast import Alphacast

RESEARCH_KEY: str = "{{BOB}}"

client = Alphacast(api_key=RESEARCH_KEY, timeout=30)
repo = client.repository.create("Keyword and reuse", returnIdIfExists=True)
# The key is used again below, so the assignment stays and reads the store.
print("03", repo["id"], repo["name"], len(RESEARCH_KEY) > 20)
