"""`python -m tierchain`: the tierchain command line."""

from tierchain.cli.main import main

main()
