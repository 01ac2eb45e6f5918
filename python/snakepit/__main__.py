"""Entry point of a worker process: ``python -m snakepit --adapter package.module:Class``."""
import sys

from .worker import main

sys.exit(main())
