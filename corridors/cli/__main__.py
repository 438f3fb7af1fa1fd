"""``python -m corridors.cli``."""

from corridors.cli import main

main()
