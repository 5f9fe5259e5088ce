"""`python -m tethers.cli`."""

from . import main

main()
