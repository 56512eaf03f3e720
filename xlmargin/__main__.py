import sys

from xlmargin.cli import main

sys.exit(main())
