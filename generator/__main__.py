"""`python -m generator` is the same as the `awspan` console script."""

from generator.cli.main import main

raise SystemExit(main())
