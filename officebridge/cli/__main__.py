"""`python -m officebridge.cli`: the same command as `officebridge`."""

from officebridge.cli import main

main(prog_name="officebridge")
