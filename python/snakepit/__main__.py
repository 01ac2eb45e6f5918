"""Entry point of a worker process: ``python -m snakepit --adapter package.module:Class``."""
import sys

from .startup import main

sys.exit(main())
