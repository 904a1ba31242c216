"""`python -m tierchain.cli`: the tierchain command line."""

from tierchain.cli.main import main

main()
