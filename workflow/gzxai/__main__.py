import sys

from gzxai.cli import main

sys.exit(main())
