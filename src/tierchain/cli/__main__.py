"""`python -m tierchain.cli ...`: the same as the `tierchain` command."""

from tierchain.cli.main import main

if __name__ == "__main__":
    main()
