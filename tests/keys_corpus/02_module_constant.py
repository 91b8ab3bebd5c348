"""Report builder: the key in a module constant that only feeds the client."""

import alphacast.alphacast

# The production key.
API_KEY = "{{ALICE}}"


def main():
    client = alphacast.alphacast.Alphacast(API_KEY)
    repo = client.repository.create("Module constant", returnIdIfExists=True)
    print("02", repo["id"], repo["name"])  # same id on every run


if __name__ == "__main__":
    main()
