"""A module whose import blocks, to show the lifeline works before the worker is even connected."""
import threading

threading.Event().wait(60)


class Never:
    pass
