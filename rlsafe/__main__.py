from rlsafe.run import cli

cli()
