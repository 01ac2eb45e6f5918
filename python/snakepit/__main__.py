"""Entry point of a worker process: ``python -m snakepit --adapter package.module:Class``; with
``--template`` last, of the template preloaded workers are forked from (template.py)."""
import sys

if sys.argv[-1:] == ["--template"]:
    from .template import main as template_main

    from .startup import read_command_line
    sys.exit(template_main(read_command_line(sys.argv[1:-1])))

from .startup import main

sys.exit(main())
